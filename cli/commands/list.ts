import type { ApiResponse } from '../client';
import { UnreachableError } from '../client';
import { type Context, failure, isObject, out, printBody, sleep, unexpected, warn } from '../context';
import { EXIT, exitCodeForStatus } from '../exit-codes';
import { oneLine, table } from '../format';

export const FOLLOW_INTERVAL_MS = 500;

interface Message {
  id: number;
  msg: string;
}

interface Page {
  messages: Message[];
  next?: number;
}

export interface ListOptions {
  secondary?: string;
  follow?: boolean;
}

function parsePage(body: unknown): Page | undefined {
  if (!isObject(body) || !Array.isArray(body.messages)) return undefined;
  const messages = body.messages.filter(
    (m): m is Message => isObject(m) && typeof m.id === 'number' && typeof m.msg === 'string',
  );
  if (messages.length !== body.messages.length) return undefined;
  return { messages, ...(typeof body.next === 'number' ? { next: body.next } : {}) };
}

type PageResult = { ok: true; res: ApiResponse; page: Page } | { ok: false; res: ApiResponse };

async function fetchPage(ctx: Context, path: string, after: number | undefined): Promise<PageResult> {
  const res = await ctx.client.request('GET', after === undefined ? path : `${path}?after=${after}`);
  if (res.status !== 200) return { ok: false, res };
  const page = parsePage(res.body);
  return page ? { ok: true, res, page } : { ok: false, res };
}

/** Pages from `after` to the end, following `next`; calls `onPage` for each page as it arrives. */
async function readAll(
  ctx: Context,
  path: string,
  after: number | undefined,
  onPage: (r: { res: ApiResponse; page: Page }) => void,
): Promise<{ ok: true } | { ok: false; res: ApiResponse }> {
  let cursor = after;
  for (;;) {
    const r = await fetchPage(ctx, path, cursor);
    if (!r.ok) return r;
    onPage(r);
    const next = r.page.next;
    // `next` is the `after` of the following page; stop if it is absent or would not move forward.
    if (next === undefined || (cursor !== undefined && next <= cursor)) return { ok: true };
    cursor = next;
  }
}

function failed(ctx: Context, res: ApiResponse): number {
  return res.status === 200 ? unexpected(ctx, res, '{"messages": [{"id", "msg"}…], "next"?}') : failure(ctx, res);
}

/** GET /list or /secondaries/{name}/list, every page; with --follow keeps polling for new entries until Ctrl-C. */
export async function list(ctx: Context, opts: ListOptions): Promise<number> {
  const path = opts.secondary === undefined ? '/list' : `/secondaries/${encodeURIComponent(opts.secondary)}/list`;
  if (opts.follow) return follow(ctx, path);

  const pages: ApiResponse[] = [];
  const messages: Message[] = [];
  const result = await readAll(ctx, path, undefined, ({ res, page }) => {
    pages.push(res);
    messages.push(...page.messages);
  });
  if (!result.ok) return failed(ctx, result.res);
  if (ctx.json) {
    // One document: the page itself, or all pages' messages joined (no `next`: nothing follows).
    if (pages.length === 1 && pages[0]) printBody(ctx, pages[0]);
    else out(ctx, JSON.stringify({ messages }));
  } else if (messages.length === 0) {
    out(ctx, '(no messages)');
  } else {
    const rows = messages.map((m) => [String(m.id), oneLine(m.msg)]);
    out(ctx, table([{ header: 'ID', align: 'right' }, { header: 'MSG' }], rows, false));
  }
  return EXIT.ok;
}

async function follow(ctx: Context, path: string): Promise<number> {
  let idWidth = 2;
  let headerPrinted = false;
  // The last id printed: the next poll starts after it (even when a read failed after printing some pages).
  let last: number | undefined;
  const print = ({ res, page }: { res: ApiResponse; page: Page }) => {
    last = page.messages.at(-1)?.id ?? last;
    if (ctx.json) {
      if (page.messages.length > 0) printBody(ctx, res);
      return;
    }
    if (!headerPrinted) {
      idWidth = Math.max(idWidth, ...page.messages.map((m) => String(m.id).length));
      out(ctx, `${'ID'.padStart(idWidth)}  MSG`);
      headerPrinted = true;
    }
    for (const m of page.messages) {
      idWidth = Math.max(idWidth, String(m.id).length);
      out(ctx, `${String(m.id).padStart(idWidth)}  ${oneLine(m.msg)}`);
    }
  };

  // Ctrl-C is the way to stop following: exit as a shell reports it (and as `npx` does anyway).
  process.on('SIGINT', () => process.exit(EXIT.interrupted));

  // The first read decides: an API that is not there, or refuses, ends the command with its code.
  const first = await readAll(ctx, path, undefined, print);
  if (!first.ok) return failed(ctx, first.res);
  let troubled = false;
  for (;;) {
    await sleep(FOLLOW_INTERVAL_MS);
    let result: Awaited<ReturnType<typeof readAll>>;
    try {
      result = await readAll(ctx, path, last, print);
    } catch (err) {
      if (!(err instanceof UnreachableError)) throw err;
      if (!troubled) warn(ctx, `${err.message} Still polling…`);
      troubled = true;
      continue;
    }
    if (!result.ok) {
      // A secondary that is down (503) or a passing 5xx: keep following; a 4xx will not get better.
      if (exitCodeForStatus(result.res.status) !== EXIT.unavailable) return failed(ctx, result.res);
      if (!troubled) warn(ctx, `${describe(result.res)}; still polling…`);
      troubled = true;
      continue;
    }
    if (troubled) warn(ctx, 'answering again');
    troubled = false;
  }
}

function describe(res: ApiResponse): string {
  const err = (res.body as { error?: unknown } | undefined)?.error;
  return `${typeof err === 'string' ? err : 'unavailable'} (HTTP ${res.status})`;
}
