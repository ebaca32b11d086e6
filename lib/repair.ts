import { requestRepair } from './adapters/queues';
import { getConfig } from './config';
import { repairLog, type RepairReport } from './hole-filler';
import { logger } from './logger';

/** Runs a repair pass and, while holes are still within their grace period, asks for another. */
export async function runRepair(): Promise<RepairReport> {
  const report = await repairLog();
  if (report.holesWaiting > 0) await requestRepair('holes within their grace period', getConfig().holeGraceMs / 1000);
  logger.info('repair pass', { ...report });
  return report;
}

// Per container: a secondary that keeps seeing the same gap asks at most once a second.
const lastRequest = new Map<string, number>();

/**
 * Called when a secondary stored an entry whose predecessor it does not hold: if the gap is still
 * there after the grace period, the delayed repair pass fills or copies it.
 */
export async function reportGap(secondary: string, missingId: number): Promise<void> {
  const now = Date.now();
  if (now - (lastRequest.get(secondary) ?? 0) < 1000) return;
  lastRequest.set(secondary, now);
  logger.info('gap seen; repair requested', { secondary, id: missingId });
  await requestRepair(`${secondary} misses id ${missingId}`, getConfig().holeGraceMs / 1000 + 1);
}
