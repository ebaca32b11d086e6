import type { LogEntry, LogSlot } from './log-entry';

/** A missing id, and a time by which it was certainly taken from the counter. */
export interface Hole {
  id: number;
  olderThan: number;
}

/**
 * Ids missing from a page of entries read above `applied`, each with the time the next present
 * entry was stored: that entry's id was taken after the hole's, so the hole is at least that old.
 * The table's query answers in id order; sorting a copy keeps a present id from ever being
 * reported as a hole if a caller passes entries in another order. Pure: no AWS clients.
 */
export function holesIn(applied: number, entries: ReadonlyArray<LogEntry | LogSlot>): Hole[] {
  const holes: Hole[] = [];
  let expected = applied + 1;
  for (const entry of [...entries].sort((a, b) => a.id - b.id)) {
    for (; expected < entry.id; expected++) holes.push({ id: expected, olderThan: entry.at ?? 0 });
    expected = Math.max(expected, entry.id + 1);
  }
  return holes;
}
