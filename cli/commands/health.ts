import type { ApiResponse } from '../client';
import { UnreachableError } from '../client';
import { type Context, failure, isObject, out, printBody, sleep, unexpected, warn } from '../context';
import { EXIT, exitCodeForStatus } from '../exit-codes';
import { age, paint, STATUS_STYLE, table } from '../format';

export const WATCH_INTERVAL_MS = 1000;

interface SecondaryHealth {
  status: string;
  lastHeartbeat: string | null;
  applied: number;
  lag: number;
}

interface Health {
  readOnly: boolean;
  quorum: { required: number; available: number };
  secondaries: Record<string, SecondaryHealth>;
}

function parseHealth(body: unknown): Health | undefined {
  if (!isObject(body) || typeof body.readOnly !== 'boolean') return undefined;
  if (!isObject(body.quorum) || !isObject(body.secondaries)) return undefined;
  const { required, available } = body.quorum;
  if (typeof required !== 'number' || typeof available !== 'number') return undefined;
  const secondaries: Record<string, SecondaryHealth> = {};
  for (const [name, s] of Object.entries(body.secondaries)) {
    if (!isObject(s) || typeof s.status !== 'string') return undefined;
    secondaries[name] = {
      status: s.status,
      lastHeartbeat: typeof s.lastHeartbeat === 'string' ? s.lastHeartbeat : null,
      applied: typeof s.applied === 'number' ? s.applied : -1,
      lag: typeof s.lag === 'number' ? s.lag : 0,
    };
  }
  return { readOnly: body.readOnly, quorum: { required, available }, secondaries };
}

/** The health table and the quorum line. */
export function renderHealth(h: Health, colour: boolean, now: number = Date.now()): string {
  const rows = Object.entries(h.secondaries).map(([name, s]) => [
    name,
    { text: s.status, style: STATUS_STYLE[s.status] },
    s.lastHeartbeat === null ? 'never' : `${s.lastHeartbeat} (${age(s.lastHeartbeat, now)})`,
    String(s.applied),
    String(s.lag),
  ]);
  const grid = table(
    [
      { header: 'SECONDARY' },
      { header: 'STATUS' },
      { header: 'LAST HEARTBEAT' },
      { header: 'APPLIED', align: 'right' },
      { header: 'LAG', align: 'right' },
    ],
    rows,
    colour,
  );
  const nodes = Object.keys(h.secondaries).length + 1;
  const counts = `${h.quorum.available} of ${nodes} nodes available, ${h.quorum.required} required`;
  const quorum = h.readOnly
    ? paint(`READ-ONLY: ${counts}; appends are refused (503) until enough secondaries are back`, 'red', colour)
    : `quorum: ${counts}; appends accepted`;
  return `${grid}\n\n${quorum}`;
}

type Fetched = { ok: true; res: ApiResponse; health: Health } | { ok: false; res: ApiResponse };

async function fetchHealth(ctx: Context): Promise<Fetched> {
  const res = await ctx.client.request('GET', '/health');
  const health = res.status === 200 ? parseHealth(res.body) : undefined;
  return health ? { ok: true, res, health } : { ok: false, res };
}

function failed(ctx: Context, res: ApiResponse): number {
  return res.status === 200 ? unexpected(ctx, res, '{"readOnly", "quorum", "secondaries"}') : failure(ctx, res);
}

/** GET /health once, or every second with --watch (a redrawn screen on a terminal) until Ctrl-C. */
export async function health(ctx: Context, opts: { watch?: boolean }): Promise<number> {
  const first = await fetchHealth(ctx);
  if (!first.ok) return failed(ctx, first.res);
  if (!opts.watch) {
    if (ctx.json) printBody(ctx, first.res);
    else out(ctx, renderHealth(first.health, ctx.colour));
    return EXIT.ok;
  }

  const redraw = ctx.stdout.isTTY === true && !ctx.json;
  // Ctrl-C is the way to stop watching: show the cursor again, exit as a shell reports it (as `npx` does anyway).
  const restore = (code: number) => () => {
    if (redraw) ctx.stdout.write('\x1b[?25h');
    process.exit(code);
  };
  process.on('SIGINT', restore(EXIT.interrupted));
  process.on('SIGTERM', restore(128 + 15));
  if (redraw) ctx.stdout.write('\x1b[?25l');

  const draw = (body: string) => {
    if (ctx.json) return;
    if (redraw) {
      const time = new Date().toTimeString().slice(0, 8);
      const title = `replog health  ${ctx.client.baseUrl}  every ${WATCH_INTERVAL_MS / 1000}s  ${time}  (Ctrl-C to stop)`;
      ctx.stdout.write(`\x1b[H\x1b[2J${paint(title, 'dim', ctx.colour)}\n\n${body}\n`);
    } else {
      out(ctx, `${new Date().toISOString()}\n${body}\n`);
    }
  };
  let current: Fetched | UnreachableError = first;
  for (;;) {
    const tick = Date.now();
    if (current instanceof UnreachableError) {
      showTrouble(ctx, current.message, redraw, draw);
    } else if (current.ok) {
      if (ctx.json) printBody(ctx, current.res);
      else draw(renderHealth(current.health, ctx.colour));
    } else if (current.res.status !== 200 && exitCodeForStatus(current.res.status) === EXIT.unavailable) {
      // A passing 5xx: keep watching; a 4xx or a body that is not health will not get better.
      const err = (current.res.body as { error?: unknown } | undefined)?.error;
      showTrouble(ctx, `${typeof err === 'string' ? err : 'unavailable'} (HTTP ${current.res.status})`, redraw, draw);
    } else {
      if (redraw) ctx.stdout.write('\x1b[?25h');
      return failed(ctx, current.res);
    }
    await sleep(Math.max(0, WATCH_INTERVAL_MS - (Date.now() - tick)));
    try {
      current = await fetchHealth(ctx);
    } catch (err) {
      if (!(err instanceof UnreachableError)) throw err;
      current = err;
    }
  }
}

function showTrouble(ctx: Context, message: string, redraw: boolean, draw: (body: string) => void): void {
  if (redraw) draw(paint(`${message}\nretrying every ${WATCH_INTERVAL_MS / 1000}s…`, 'red', ctx.colour));
  else warn(ctx, `${message}; retrying…`);
}
