import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { LogEntry } from '../../lib/log-entry';
import { extendPrefix, PageBuilder, type ListedMessage, type LogPage } from '../../lib/prefix-view';
import { responseBytes } from '../../lib/response-size';

/** The specification: the highest k such that 0..k are all in `ids` (-1 when 0 is missing). */
function longestRun(ids: Iterable<number>): number {
  const present = new Set(ids);
  let k = -1;
  while (present.has(k + 1)) k++;
  return k;
}

const ascending = (ids: readonly number[]) => [...ids].sort((a, b) => a - b);

/**
 * Sets of ids in 0..29. Uniform subsets almost never hold 0,1,2…, so most sets are a run 0..k-1
 * plus scattered ids above it: long prefixes, gaps right after them and ids beyond the gaps.
 */
const idSet = fc.oneof(
  fc.uniqueArray(fc.integer({ min: 0, max: 29 }), { maxLength: 30 }),
  fc
    .tuple(fc.nat({ max: 20 }), fc.uniqueArray(fc.integer({ min: 0, max: 29 }), { maxLength: 10 }))
    .map(([run, extra]) => [...new Set([...Array.from({ length: run }, (_, i) => i), ...extra])]),
);

const message = (id: number): LogEntry => ({ id, msg: `m${id}` });
const noop = (id: number): LogEntry => ({ id, noop: true });

/** A table of entries (ascending by id, usually with a gap somewhere) with about a quarter no-ops. */
const table = fc
  .tuple(idSet, fc.array(fc.nat({ max: 3 }), { minLength: 30, maxLength: 30 }))
  .map(([ids, kinds]) => ascending(ids).map((id) => (kinds[id] === 0 ? noop(id) : message(id))));

/** What the log table's query answers: up to `limit` entries with id > after, ascending. */
const query = (entries: readonly LogEntry[], after: number, limit: number) => entries.filter((e) => e.id > after).slice(0, limit);

/** The page built from one read after some id (at most `limit` entries, ascending). */
function visiblePage(scanned: readonly LogEntry[], applied: number, limit: number): LogPage {
  const builder = new PageBuilder(applied, limit);
  builder.add(scanned);
  return builder.page();
}

const visibleOf = (entries: readonly LogEntry[], applied: number): ListedMessage[] =>
  entries.filter((e) => e.id <= applied && !e.noop).map((e) => ({ id: e.id, msg: e.msg as string }));

describe('extendPrefix', () => {
  it.each([
    ['nothing held', -1, [], -1],
    ['0,1,3 held: the prefix stops before the gap at 2', -1, [0, 1, 3], 1],
    ['0 missing: no prefix at all', -1, [1, 2, 3], -1],
    ['a run from 0 with nothing after it', -1, [0, 1, 2, 3], 3],
    ['an earlier prefix extended by the ids right above it', 4, [5, 6, 8, 9], 6],
    ['an earlier prefix with the next id missing stays put', 4, [6, 7], 4],
    ['ids at or below the earlier prefix are ignored', 4, [2, 3, 4, 5], 5],
    ['duplicates do not stop the run', -1, [0, 0, 1, 1, 2, 2], 2],
  ])('%s', (_, applied, ids, expected) => {
    expect(extendPrefix(applied, ids)).toBe(expected);
  });

  it('is exactly the longest run 0..k of the ids held (property)', () => {
    fc.assert(
      fc.property(idSet, (ids) => {
        expect(extendPrefix(-1, ascending(ids))).toBe(longestRun(ids));
      }),
    );
  });

  it('never reaches an id after a gap: every id up to the result is held, the next one is not (property)', () => {
    fc.assert(
      fc.property(idSet, (ids) => {
        const held = new Set(ids);

        const k = extendPrefix(-1, ascending(ids));

        for (let id = 0; id <= k; id++) expect(held.has(id)).toBe(true);
        expect(held.has(k + 1)).toBe(false);
      }),
    );
  });

  it('gives the same prefix when ids are repeated (property)', () => {
    fc.assert(
      fc.property(idSet, fc.array(fc.nat({ max: 3 }), { maxLength: 30 }), (ids, repeats) => {
        const sorted = ascending(ids);
        const withDuplicates = sorted.flatMap((id, i) => Array<number>(1 + (repeats[i] ?? 0)).fill(id));

        expect(extendPrefix(-1, withDuplicates)).toBe(extendPrefix(-1, sorted));
      }),
    );
  });

  it('resumes from any point inside the prefix with only the ids above it, as the paged reader does (property)', () => {
    fc.assert(
      fc.property(idSet, fc.nat({ max: 30 }), fc.integer({ min: 1, max: 5 }), (ids, resumeAt, pageSize) => {
        const sorted = ascending(ids);
        const full = longestRun(ids);
        // Start from any recorded prefix that really is gap-free (-1..full).
        let applied = Math.min(resumeAt, full + 1) - 1;

        // Read pages of ids above `applied` until a gap or the end, like appliedPrefix().
        for (;;) {
          const page = sorted.filter((id) => id > applied).slice(0, pageSize);
          const extended = extendPrefix(applied, page);
          const reachedGap = extended < (page.at(-1) ?? applied);
          applied = extended;
          if (reachedGap || page.length < pageSize) break;
        }

        expect(applied).toBe(full);
      }),
    );
  });
});

describe('PageBuilder: the visible part of one read', () => {
  it('shows only the gap-free prefix: 0,1,3 held and applied=1 → 0,1', () => {
    const scanned = [message(0), message(1), message(3)];

    const page = visiblePage(scanned, 1, 1000);

    expect(page).toEqual({ messages: [{ id: 0, msg: 'm0' }, { id: 1, msg: 'm1' }] });
  });

  it('hides no-ops but keeps the messages around them', () => {
    const page = visiblePage([message(0), noop(1), message(2)], 2, 1000);

    expect(page.messages).toEqual([{ id: 0, msg: 'm0' }, { id: 2, msg: 'm2' }]);
  });

  it('shows nothing when nothing is applied yet', () => {
    expect(visiblePage([message(0), message(1)], -1, 2)).toEqual({ messages: [] });
  });

  it('returns only id and msg for each message, not internal fields such as w', () => {
    const page = visiblePage([{ id: 0, msg: 'a', w: 3 }], 0, 10);

    expect(page.messages).toEqual([{ id: 0, msg: 'a' }]);
    expect(Object.keys(page.messages[0] ?? {})).toEqual(['id', 'msg']);
  });

  it('offers next = the last id read when the page is full and the prefix goes on', () => {
    const page = visiblePage([message(3), message(4)], 9, 2);

    expect(page).toEqual({ messages: [{ id: 3, msg: 'm3' }, { id: 4, msg: 'm4' }], next: 4 });
  });

  it('offers next past a trailing no-op so the following page does not read it again', () => {
    const page = visiblePage([message(3), noop(4)], 9, 2);

    expect(page).toEqual({ messages: [{ id: 3, msg: 'm3' }], next: 4 });
  });

  it('offers no next when the page was not full: the table has nothing more', () => {
    expect(visiblePage([message(3)], 9, 2)).not.toHaveProperty('next');
  });

  it('offers no next when the full page ends exactly at the prefix', () => {
    expect(visiblePage([message(3), message(4)], 4, 2)).not.toHaveProperty('next');
  });

  it('offers no next when the full page already runs past the prefix', () => {
    const page = visiblePage([message(3), message(4), message(6)], 4, 3);

    expect(page).toEqual({ messages: [{ id: 3, msg: 'm3' }, { id: 4, msg: 'm4' }] });
  });

  it('offers no next for an empty page', () => {
    expect(visiblePage([], 5, 10)).toEqual({ messages: [] });
  });

  it('never shows a no-op or an entry above applied, and keeps id order (property)', () => {
    fc.assert(
      fc.property(table, fc.integer({ min: -1, max: 30 }), (entries, applied) => {
        const page = visiblePage(entries, applied, entries.length + 1);

        expect(page.messages).toEqual(visibleOf(entries, applied));
      }),
    );
  });

  it('offers next only when more entries inside the prefix follow the page (property)', () => {
    fc.assert(
      fc.property(table, fc.integer({ min: -1, max: 30 }), fc.integer({ min: 1, max: 6 }), (entries, after, limit) => {
        const applied = extendPrefix(-1, entries.map((e) => e.id));

        const page = visiblePage(query(entries, after, limit), applied, limit);

        const lastRead = query(entries, after, limit).filter((e) => e.id <= applied).at(-1)?.id;
        const moreInPrefix = lastRead !== undefined && entries.some((e) => e.id > lastRead && e.id <= applied);
        expect(page.next !== undefined).toBe(moreInPrefix);
        if (page.next !== undefined) expect(page.next).toBe(lastRead);
      }),
    );
  });

  it('paging with next yields every visible entry exactly once, in id order (property)', () => {
    fc.assert(
      fc.property(table, fc.integer({ min: 1, max: 6 }), (entries, limit) => {
        const applied = extendPrefix(-1, entries.map((e) => e.id));
        const seen: ListedMessage[] = [];
        let after = -1;

        for (let pages = 0; ; pages++) {
          expect(pages).toBeLessThanOrEqual(entries.length + 1); // terminates
          const page = visiblePage(query(entries, after, limit), applied, limit);
          seen.push(...page.messages);
          if (page.next === undefined) break;
          expect(page.next).toBeGreaterThan(after); // always moves forward
          after = page.next;
        }

        expect(seen).toEqual(visibleOf(entries, applied));
      }),
    );
  });

  it('pages through 0,1,3 with limit 1 to exactly 0,1', () => {
    const entries = [message(0), message(1), message(3)];
    const applied = extendPrefix(-1, [0, 1, 3]);

    const first = visiblePage(query(entries, -1, 1), applied, 1);
    const second = visiblePage(query(entries, first.next ?? Infinity, 1), applied, 1);

    expect(first).toEqual({ messages: [{ id: 0, msg: 'm0' }], next: 0 });
    expect(second).toEqual({ messages: [{ id: 1, msg: 'm1' }] });
  });
});

describe('PageBuilder: pages cut by bytes as well as by count', () => {
  /** Entries read after `after` in batches of `batch`, as the table adapter yields them. */
  function buildPage(entries: readonly LogEntry[], after: number, applied: number, limit: number, maxBytes: number, batch: number) {
    const page = new PageBuilder(applied, limit, maxBytes, (m) => m.msg.length);
    const read = entries.filter((e) => e.id > after && e.id <= applied).slice(0, limit);
    for (let i = 0; i < read.length && page.add(read.slice(i, i + batch)); i += batch);
    return page.page();
  }

  /** Entries 0..n-1 (a gap-free log) of drawn sizes, about a quarter no-ops. */
  const sizedLog = fc.array(fc.tuple(fc.nat({ max: 50 }), fc.nat({ max: 3 })), { minLength: 1, maxLength: 40 }).map((drawn) =>
    drawn.map(([size, kind], id): LogEntry => (kind === 0 ? noop(id) : { id, msg: 'x'.repeat(size) })),
  );

  it('paging with next yields every visible entry exactly once, each page within the bytes or a single message (property)', () => {
    fc.assert(
      fc.property(sizedLog, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 5 }), (entries, limit, maxBytes, batch) => {
        const applied = entries.length - 1;
        const seen: ListedMessage[] = [];
        let after = -1;
        for (let pages = 0; ; pages++) {
          expect(pages).toBeLessThanOrEqual(entries.length + 1);
          const page = buildPage(entries, after, applied, limit, maxBytes, batch);
          const bytes = page.messages.reduce((sum, m) => sum + m.msg.length, 0);
          if (page.messages.length > 1) expect(bytes).toBeLessThanOrEqual(maxBytes);
          seen.push(...page.messages);
          if (page.next === undefined) break;
          expect(page.next).toBeGreaterThan(after);
          after = page.next;
        }
        expect(seen).toEqual(visibleOf(entries, applied));
      }),
    );
  });

  it('offers next when the bytes ran out before the prefix did, whatever the count', () => {
    const entries = [0, 1, 2, 3].map((id) => ({ id, msg: 'x'.repeat(10) }));

    expect(buildPage(entries, -1, 3, 1000, 25, 4)).toEqual({ messages: entries.slice(0, 2), next: 1 });
    expect(buildPage(entries, 1, 3, 1000, 25, 4)).toEqual({ messages: entries.slice(2) });
  });

  it('takes a single message larger than the bytes allowed, so paging always moves on', () => {
    expect(buildPage([{ id: 0, msg: 'x'.repeat(100) }, { id: 1, msg: 'y' }], -1, 1, 1000, 10, 1)).toEqual({ messages: [{ id: 0, msg: 'x'.repeat(100) }], next: 0 });
  });
});

describe('responseBytes', () => {
  it('counts a message as the proxy response carries it: JSON inside a JSON string', () => {
    // '"' is 1 byte, \" in the body, \\\" once the body is a string: 4 bytes; a control 7 ("\\u0001").
    const base = responseBytes({ id: 0, msg: '' });
    expect(responseBytes({ id: 0, msg: '"' }) - base).toBe(4);
    expect(responseBytes({ id: 0, msg: '\u0001' }) - base).toBe(7);
    expect(responseBytes({ id: 0, msg: '😀' }) - base).toBe(4);
    expect(responseBytes({ id: 0, msg: 'a' }) - base).toBe(1);
  });
});

