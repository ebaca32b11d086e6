import { masterTable } from './adapters/master-table';
import { readAll } from './adapters/log-table';
import { catchUp } from './catch-up';
import { fanOut } from './fan-out';
import { getConfig } from './config';
import { holesIn } from './holes';
import { appliedPrefix } from './log-reader';
import { logger } from './logger';
import { METRIC, recordMetric } from './metrics';
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
    recordMetric(METRIC.holesFilled, 'Count', 1);
    await fanOut({ id, noop: true });
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

async function fillMasterHoles(now: number, graceMs: number): Promise<{ filled: number; waiting: number }> {
  const applied = await appliedPrefix('master', masterTable);
  const holes = holesIn(applied, await readAll(masterTable.slots({ after: applied, limit: MAX_PAGE })));
  const due = holes.filter((h) => now - h.olderThan >= graceMs);
  const filled = (await Promise.all(due.map((h) => fillWithNoop(h.id)))).filter(Boolean).length;
  return { filled, waiting: holes.length - due.length };
}

/** One repair pass: fills master holes past their grace period, then heals every secondary. */
export async function repairLog(now = Date.now()): Promise<RepairReport> {
  const { holeGraceMs, secondaries } = getConfig();
  const { filled, waiting } = await fillMasterHoles(now, holeGraceMs);
  const masterApplied = await appliedPrefix('master', masterTable);
  const copied: Record<string, number> = {};
  await Promise.all(
    secondaries.map(async (s) => {
      copied[s] = await catchUp(s, holeGraceMs, now);
    }),
  );
  return { holesFilled: filled, holesWaiting: waiting, copied, masterApplied };
}
