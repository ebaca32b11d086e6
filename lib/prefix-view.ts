import type { LogEntry } from './log-entry';

/**
 * Extends a gap-free prefix: `applied` is the highest id known to be preceded by no gap (-1 for
 * none), `idsAscending` are ids above it in ascending order. Returns the new highest gap-free id.
 */
export function extendPrefix(applied: number, idsAscending: readonly number[]): number {
  let end = applied;
  for (const id of idsAscending) {
    if (id <= end) continue;
    if (id !== end + 1) break;
    end = id;
  }
  return end;
}

export interface ListedMessage {
  id: number;
  msg: string;
}

export interface LogPage {
  messages: ListedMessage[];
  /** Present when more visible-range entries follow: the `after` of the next page. */
  next?: number;
}

/**
 * The visible part of a page read after some id: only entries inside the gap-free prefix
 * (id <= applied), without no-ops. `scanned` is the page as read (ascending, at most `limit`);
 * `next` is offered while the prefix extends past the last entry read.
 */
export function visiblePage(scanned: readonly LogEntry[], applied: number, limit: number): LogPage {
  const inPrefix = scanned.filter((e) => e.id <= applied);
  const messages = inPrefix.filter((e) => !e.noop).map((e) => ({ id: e.id, msg: e.msg as string }));
  const last = inPrefix.at(-1);
  const more = scanned.length >= limit && last !== undefined && last.id < applied;
  return more ? { messages, next: last.id } : { messages };
}
