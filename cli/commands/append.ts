import { type Context, failure, isObject, out, pending, printBody, unexpected, withSpinner } from '../context';
import { EXIT } from '../exit-codes';

export interface AppendOptions {
  writeConcern?: number;
  idempotencyKey?: string;
}

/** POST /append: 201 → the id (exit 0); 202 → how to wait for it (exit 3); errors → 4/5. */
export async function append(ctx: Context, msg: string, opts: AppendOptions): Promise<number> {
  const body = { msg, ...(opts.writeConcern !== undefined ? { w: opts.writeConcern } : {}) };
  const headers: Record<string, string> = opts.idempotencyKey !== undefined ? { 'Idempotency-Key': opts.idempotencyKey } : {};
  const res = await withSpinner(
    ctx,
    `appending, waiting until ${opts.writeConcern ?? 1} node${(opts.writeConcern ?? 1) > 1 ? 's' : ''} hold it…`,
    'the message may already be stored: check with `replog list`',
    () => ctx.client.request('POST', '/append', { body, headers }),
  );
  if (res.status === 202) return pending(ctx, res);
  if (res.status !== 201) return failure(ctx, res);
  const r = res.body;
  if (!isObject(r) || typeof r.id !== 'number') return unexpected(ctx, res, '{"id", "msg", "w", "acks"}');
  if (ctx.json) printBody(ctx, res);
  else out(ctx, `appended id ${r.id} (w=${String(r.w)}, acks=${String(r.acks)})`);
  return EXIT.ok;
}
