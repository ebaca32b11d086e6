import { type Context, failure, isObject, out, pending, printBody, unexpected, withSpinner } from '../context';
import { EXIT } from '../exit-codes';

/** GET /messages/{id}/wait?w=W: 200 → met (exit 0); 202 → still pending (exit 3); 404 unknown id → 4. */
export async function wait(ctx: Context, id: number, w: number): Promise<number> {
  const res = await withSpinner(
    ctx,
    `waiting until ${w} node${w > 1 ? 's' : ''} hold id ${id}…`,
    'the message is stored and keeps replicating',
    () => ctx.client.request('GET', `/messages/${id}/wait?w=${w}`),
  );
  if (res.status === 202) return pending(ctx, res);
  if (res.status !== 200) return failure(ctx, res);
  const r = res.body;
  if (!isObject(r) || typeof r.id !== 'number') return unexpected(ctx, res, '{"id", "w", "acks"}');
  if (ctx.json) printBody(ctx, res);
  else out(ctx, `id ${r.id}: write concern w=${String(r.w)} met (acks=${String(r.acks)})`);
  return EXIT.ok;
}
