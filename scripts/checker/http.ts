/** The checker's HTTP side: real requests to the replog API, with a timeout on every one. */

export interface Answer {
  /** HTTP status, or 0 when no answer came (connection error, timeout). */
  status: number;
  body: Record<string, unknown>;
  /** Date.now() when the status line arrived (for a 201: the moment the write concern was met, at the latest). */
  at: number;
  /** Why no answer came (status 0). */
  failure?: string;
}

export interface ListedMessage {
  id: number;
  msg: string;
}

export async function call(base: string, method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<Answer> {
  try {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const at = Date.now();
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { raw: text.slice(0, 200) };
    }
    const obj = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { raw: parsed };
    return { status: res.status, body: obj, at };
  } catch (err) {
    return { status: 0, body: {}, at: Date.now(), failure: (err as Error).message };
  }
}

export type ListRead =
  | { ok: true; messages: ListedMessage[]; pages: number; problems: string[] }
  | { ok: false; status: number; error: string; problems: string[] };

const PAGE = 1000;
const MAX_PAGES = 10_000;

/**
 * Reads a whole list (`/list` or `/secondaries/{name}/list`) page by page with `after`/`next`,
 * checking the paging contract on the way: ids ascend and lie above `after`, and `next` is the
 * last id of its page. Entries are only ever added at the end, so the pages joined are the list
 * as it stood when the last page was read.
 */
export async function readList(base: string, path: string): Promise<ListRead> {
  const messages: ListedMessage[] = [];
  const problems: string[] = [];
  let after: number | undefined;
  for (let pages = 1; pages <= MAX_PAGES; pages++) {
    const query = after === undefined ? `?limit=${PAGE}` : `?after=${after}&limit=${PAGE}`;
    const res = await call(base, 'GET', path + query, undefined, 30_000);
    if (res.status !== 200) {
      const error = res.failure ?? String(res.body.error ?? JSON.stringify(res.body).slice(0, 200));
      return { ok: false, status: res.status, error, problems };
    }
    const page = res.body.messages;
    if (!Array.isArray(page)) {
      problems.push(`GET ${path}${query} answered 200 without a messages array`);
      return { ok: false, status: 200, error: 'no messages array', problems };
    }
    let last = after ?? -1;
    for (const m of page as Array<Record<string, unknown>>) {
      if (!Number.isSafeInteger(m.id) || typeof m.msg !== 'string') {
        problems.push(`GET ${path}${query}: malformed entry ${JSON.stringify(m).slice(0, 120)}`);
        continue;
      }
      const id = m.id as number;
      if (id <= last) problems.push(`GET ${path}${query}: id ${id} does not ascend (after ${last})`);
      last = Math.max(last, id);
      messages.push({ id, msg: m.msg });
    }
    const next = res.body.next;
    if (next === undefined) return { ok: true, messages, pages, problems };
    // `next` is the last id the page covers: its last message's, or a hidden no-op's after it.
    const lastOnPage = (page as Array<{ id?: unknown }>).at(-1)?.id;
    if (!Number.isSafeInteger(next) || (next as number) <= (after ?? -1) || (typeof lastOnPage === 'number' && (next as number) < lastOnPage)) {
      problems.push(`GET ${path}${query}: next=${JSON.stringify(next)} does not follow its page (last id ${JSON.stringify(lastOnPage)}, after ${after ?? -1})`);
      return { ok: true, messages, pages, problems };
    }
    after = next as number;
  }
  problems.push(`GET ${path}: still paging after ${MAX_PAGES} pages`);
  return { ok: true, messages, pages: MAX_PAGES, problems };
}
