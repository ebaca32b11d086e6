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
 * Builds one page of a node's list from the entries read after some id, in id order and in as
 * many reads as it takes: only entries inside the gap-free prefix (id <= applied), no-ops hidden,
 * at most `limit` entries read (no-ops count) and at most `maxBytes` of messages as the response
 * will carry them (see response-size.ts; the first message is always taken). `next` is offered
 * when the page filled up, by count or by bytes, before the prefix's end.
 */
export class PageBuilder {
  private readonly messages: ListedMessage[] = [];
  private taken = 0;
  private bytes = 0;
  private last: number | undefined;
  private full = false;

  constructor(
    private readonly applied: number,
    private readonly limit: number,
    private readonly maxBytes = Infinity,
    private readonly sizeOf: (m: ListedMessage) => number = () => 0,
  ) {}

  /** Adds entries read next; false once the page is complete (read no further). */
  add(entries: readonly LogEntry[]): boolean {
    for (const e of entries) {
      if (e.id > this.applied) return false;
      if (this.taken >= this.limit) return !(this.full = true);
      if (!e.noop) {
        const m = { id: e.id, msg: e.msg };
        const size = this.sizeOf(m);
        if (this.messages.length > 0 && this.bytes + size > this.maxBytes) return !(this.full = true);
        this.messages.push(m);
        this.bytes += size;
      }
      this.taken++;
      this.last = e.id;
    }
    if (this.taken >= this.limit) this.full = true;
    return !this.full;
  }

  page(): LogPage {
    const more = this.full && this.last !== undefined && this.last < this.applied;
    return more ? { messages: this.messages, next: this.last } : { messages: this.messages };
  }
}
