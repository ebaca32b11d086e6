import { type Context, failure, isObject, out, printBody, unexpected } from '../context';
import { EXIT } from '../exit-codes';
import { table } from '../format';

export interface FaultOptions {
  down?: boolean;
  up?: boolean;
  delay?: number;
  errorRate?: number;
}

/** The PUT body for the flags given: only those fields, so the others keep their value (api.md). */
export function faultsPatch(opts: FaultOptions): Record<string, boolean | number> {
  return {
    ...(opts.down ? { down: true } : {}),
    ...(opts.up ? { down: false } : {}),
    ...(opts.delay !== undefined ? { delayMs: opts.delay } : {}),
    ...(opts.errorRate !== undefined ? { errorRate: opts.errorRate } : {}),
  };
}

/** GET (no flags) or PUT /admin/secondaries/{name}/faults, then the faults now stored. */
export async function fault(ctx: Context, name: string, opts: FaultOptions): Promise<number> {
  const patch = faultsPatch(opts);
  const path = `/admin/secondaries/${encodeURIComponent(name)}/faults`;
  const res =
    Object.keys(patch).length === 0
      ? await ctx.client.request('GET', path)
      : await ctx.client.request('PUT', path, { body: patch });
  if (res.status !== 200) return failure(ctx, res);
  const f = res.body;
  if (!isObject(f) || typeof f.down !== 'boolean') return unexpected(ctx, res, '{"down", "delayMs", "errorRate"}');
  if (ctx.json) {
    printBody(ctx, res);
  } else {
    const row = [
      name,
      f.down ? { text: 'down', style: 'red' as const } : { text: 'up', style: 'green' as const },
      String(f.delayMs ?? 0),
      String(f.errorRate ?? 0),
    ];
    const columns = [
      { header: 'SECONDARY' },
      { header: 'STATE' },
      { header: 'DELAY MS', align: 'right' as const },
      { header: 'ERROR RATE', align: 'right' as const },
    ];
    out(ctx, table(columns, [row], ctx.colour));
  }
  return EXIT.ok;
}
