import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { LogEntry } from '../../lib/log-entry';
// holesIn lives in a pure module: lib/hole-filler.ts creates AWS clients (and reads the config) at load.
import { holesIn } from '../../lib/holes';

/** An entry stored at `at` (ms); every tenth one a no-op, which fills its slot like a message. */
const entry = (id: number, at: number = 1000 + id): LogEntry => (id % 10 === 9 ? { id, noop: true, at } : { id, msg: `m${id}`, at });
const entries = (...ids: number[]) => ids.map((id) => entry(id));
const ids = (holes: ReturnType<typeof holesIn>) => holes.map((h) => h.id);

/**
 * The specification: every id above `applied` and below the highest id present that is missing,
 * each with the `at` of the lowest present id above it (0 when that entry has no time).
 */
function expectedHoles(applied: number, page: readonly LogEntry[]): Array<{ id: number; olderThan: number }> {
  const byId = new Map(page.map((e) => [e.id, e]));
  const top = Math.max(applied, ...page.map((e) => e.id));
  const holes: Array<{ id: number; olderThan: number }> = [];
  for (let id = applied + 1; id < top; id++) {
    if (byId.has(id)) continue;
    let next = id + 1;
    while (!byId.has(next)) next++;
    holes.push({ id, olderThan: byId.get(next)!.at ?? 0 });
  }
  return holes;
}

/** A page as the master table's query returns it: distinct ids above `applied`, ascending, with store times. */
const page = fc
  .tuple(fc.integer({ min: -1, max: 20 }), fc.uniqueArray(fc.nat({ max: 40 }), { maxLength: 25 }), fc.array(fc.nat({ max: 1e6 }), { minLength: 41, maxLength: 41 }))
  .map(([applied, raw, times]) => ({
    applied,
    page: raw
      .filter((id) => id > applied)
      .sort((a, b) => a - b)
      .map((id) => entry(id, times[id])),
  }));

describe('holesIn', () => {
  it('finds no hole in an empty page', () => {
    expect(holesIn(-1, [])).toEqual([]);
    expect(holesIn(41, [])).toEqual([]);
  });

  it('finds no hole when the page continues the prefix without a gap', () => {
    expect(holesIn(-1, entries(0, 1, 2, 3))).toEqual([]);
    expect(holesIn(4, entries(5, 6, 7))).toEqual([]);
  });

  it('finds the ids missing between entries, in id order', () => {
    expect(ids(holesIn(-1, entries(0, 1, 3, 6)))).toEqual([2, 4, 5]);
  });

  it('finds the ids missing right above the prefix, before the first entry of the page', () => {
    expect(ids(holesIn(4, entries(8, 9)))).toEqual([5, 6, 7]);
    expect(ids(holesIn(-1, entries(2)))).toEqual([0, 1]);
  });

  it('reports nothing above the last entry: an id not yet used is no hole', () => {
    expect(ids(holesIn(-1, entries(0, 2)))).toEqual([1]);
  });

  it('dates each hole by the store time of the next present entry, whose id was taken after it', () => {
    const page: LogEntry[] = [entry(0, 100), entry(3, 500), entry(5, 300)];

    expect(holesIn(-1, page)).toEqual([
      { id: 1, olderThan: 500 },
      { id: 2, olderThan: 500 },
      { id: 4, olderThan: 300 },
    ]);
  });

  it('treats a next entry without a store time as infinitely old (olderThan 0)', () => {
    expect(holesIn(-1, [{ id: 2, msg: 'x' }])).toEqual([
      { id: 0, olderThan: 0 },
      { id: 1, olderThan: 0 },
    ]);
  });

  it('counts a no-op as present: a filled hole is not a hole again', () => {
    expect(holesIn(-1, [entry(0), { id: 1, noop: true, at: 5 }, entry(2)])).toEqual([]);
  });

  it('ignores entries at or below the applied prefix', () => {
    expect(ids(holesIn(4, entries(2, 4, 5, 7)))).toEqual([6]);
  });

  it('does not report a duplicated entry twice or as a hole', () => {
    expect(ids(holesIn(-1, entries(0, 0, 1, 1, 3, 3)))).toEqual([2]);
  });

  it('gives the same holes for a page out of id order as for the sorted page', () => {
    const page: LogEntry[] = [entry(6, 600), entry(1, 100), entry(3, 300)];

    expect(holesIn(-1, page)).toEqual([
      { id: 0, olderThan: 100 },
      { id: 2, olderThan: 300 },
      { id: 4, olderThan: 600 },
      { id: 5, olderThan: 600 },
    ]);
  });

  it('is exactly the missing ids, each dated by the next present entry (property)', () => {
    fc.assert(
      fc.property(page, ({ applied, page }) => {
        expect(holesIn(applied, page)).toEqual(expectedHoles(applied, page));
      }),
    );
  });

  it('does not depend on the order of the page or on duplicates in it (property)', () => {
    fc.assert(
      fc.property(
        page.chain(({ applied, page }) =>
          fc.tuple(fc.constant(applied), fc.constant(page), fc.shuffledSubarray([...page, ...page], { minLength: 2 * page.length, maxLength: 2 * page.length })),
        ),
        ([applied, sorted, shuffled]) => {
          expect(holesIn(applied, shuffled)).toEqual(holesIn(applied, sorted));
        },
      ),
    );
  });

  it('never reports an id that is present, at or below applied, or above the last entry (property)', () => {
    fc.assert(
      fc.property(page, ({ applied, page }) => {
        const present = new Set(page.map((e) => e.id));
        const top = Math.max(applied, ...present);

        for (const hole of holesIn(applied, page)) {
          expect(present.has(hole.id)).toBe(false);
          expect(hole.id).toBeGreaterThan(applied);
          expect(hole.id).toBeLessThan(top);
        }
      }),
    );
  });
});
