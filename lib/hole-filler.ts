import { recordAck } from './adapters/acks';
import { masterTable } from './adapters/master-table';
import { sendReplicateJobs } from './adapters/queues';
import { secondaryTable } from './adapters/secondary-table';
import { getConfig } from './config';
import type { LogEntry } from './log-entry';
import { appliedPrefix } from './log-reader';
import { logger } from './logger';
import { MAX_PAGE } from './validation';

/**
 * Hole filling, as in the CORFU shared log (Balakrishnan et al., NSDI 2012): an id taken from the
 * counter whose writer died leaves a hole that would block every later entry from the gap-free
 * lists. After a grace period, a repair writes a no-op into the hole with the same "id is free"
 * condition the writer uses, so exactly one of them wins; a writer that loses takes a new id.
 */
export async function fillWithNoop(id: number): Promise<boolean> {
  const filled = await masterTable.putIfAbsent({ id, noop: true });
  if (filled) {
    logger.warn('hole filled with a no-op', { id });
    await sendReplicateJobs({ id, noop: true });
  }
  return filled;
}

export interface RepairReport {
  holesFilled: number;
  /** Holes seen that are still inside their grace period. */
  holesWaiting: number;
  /** Entries copied to secondaries that missed them (by secondary). */
  copied: Record<string, number>;
  masterApplied: number;
}

/**
 * Ids missing from a page of entries read above `applied`, each with the time the next present
 * entry was stored: that entry's id was taken after the hole's, so the hole is at least that old.
 */
export function holesIn(applied: number, entries: readonly LogEntry[]): Array<{ id: number; olderThan: number }> {
  const holes: Array<{ id: number; olderThan: number }> = [];
  let expected = applied + 1;
  for (const entry of entries) {
    for (; expected < entry.id; expected++) holes.push({ id: expected, olderThan: entry.at ?? 0 });
    expected = Math.max(expected, entry.id + 1);
  }
  return holes;
}

async function fillMasterHoles(now: number, graceMs: number): Promise<{ filled: number; waiting: number }> {
  const applied = await appliedPrefix('master', masterTable);
  const holes = holesIn(applied, await masterTable.query(applied, MAX_PAGE));
  const due = holes.filter((h) => now - h.olderThan >= graceMs);
  const filled = (await Promise.all(due.map((h) => fillWithNoop(h.id)))).filter(Boolean).length;
  return { filled, waiting: holes.length - due.length };
}

/**
 * Anti-entropy: copies to `secondary` the master entries inside the master's gap-free prefix that
 * it has not stored for longer than `graceMs` (a job lost, or parked after many failures), and
 * acknowledges them as a replicate job would.
 */
export async function copyMissingEntries(secondary: string, masterApplied: number, now: number, graceMs: number): Promise<number> {
  const table = secondaryTable(secondary);
  let after = await appliedPrefix(secondary, table);
  let copied = 0;
  while (after < masterApplied) {
    const upTo = Math.min(masterApplied, after + MAX_PAGE);
    const [wanted, held] = await Promise.all([masterTable.query(after, MAX_PAGE, upTo), table.query(after, MAX_PAGE, upTo)]);
    const heldIds = new Set(held.map((e) => e.id));
    const missing = wanted.filter((e) => !heldIds.has(e.id));
    const due = missing.filter((e) => now - (e.at ?? 0) >= graceMs);
    await Promise.all(
      due.map(async (e) => {
        await table.putIfAbsent(e.noop ? { id: e.id, noop: true } : { id: e.id, msg: e.msg });
        await recordAck(e.id, secondary);
      }),
    );
    copied += due.length;
    // An entry still within its grace period is probably in flight; the prefix cannot pass it yet.
    if (due.length < missing.length) break;
    after = upTo;
  }
  if (copied > 0) logger.warn('copied missed entries to a secondary', { secondary, copied });
  return copied;
}

/** One repair pass: fills master holes past their grace period, then heals every secondary. */
export async function repairLog(now = Date.now()): Promise<RepairReport> {
  const { holeGraceMs, secondaries } = getConfig();
  const { filled, waiting } = await fillMasterHoles(now, holeGraceMs);
  const masterApplied = await appliedPrefix('master', masterTable);
  const copied: Record<string, number> = {};
  await Promise.all(
    secondaries.map(async (s) => {
      copied[s] = await copyMissingEntries(s, masterApplied, now, holeGraceMs);
    }),
  );
  return { holesFilled: filled, holesWaiting: waiting, copied, masterApplied };
}
