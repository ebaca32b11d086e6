import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { requestRepair } from './adapters/queues';
import { catchUp, copyEntries } from './catch-up';
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

// Per container: a secondary that keeps seeing gaps asks at most once a second. The pass a request
// asks for runs a second later than the grace period needs, so it also covers the gaps seen in
// the second after it was sent.
const lastRequest = new Map<string, number>();

/**
 * Called when a secondary stored an entry whose predecessor it does not hold: if the gap is still
 * there after the grace period, the delayed repair pass fills or copies it.
 */
export async function reportGap(secondary: string, missingId: number): Promise<void> {
  const now = Date.now();
  if (now - (lastRequest.get(secondary) ?? 0) < 1000) return;
  // Counted once sent: the pass it asks for is what covers the gaps seen in the next second.
  await requestRepair(`${secondary} misses id ${missingId}`, getConfig().holeGraceMs / 1000 + 1);
  lastRequest.set(secondary, now);
  logger.info('gap seen; repair requested', { secondary, id: missingId });
}

interface CatchUpRequest {
  /** Repair-queue message ids asking for it. */
  messageIds: string[];
  /** Entries to copy whatever the prefix; a request without ids asks for a full catch-up. */
  ids: Set<number>;
  full: boolean;
}

/** `{"catchUp": name, "ids"?: [...]}` for a configured secondary, else undefined (a repair pass). */
function parseCatchUp(body: string): { name: string; ids?: number[] } | undefined {
  let request: { catchUp?: unknown; ids?: unknown };
  try {
    request = JSON.parse(body) as typeof request;
  } catch {
    return undefined;
  }
  const name = request?.catchUp;
  if (typeof name !== 'string' || !getConfig().secondaries.includes(name)) return undefined;
  const ids = Array.isArray(request.ids) ? request.ids.filter((id): id is number => Number.isSafeInteger(id) && id >= 0) : undefined;
  return ids ? { name, ids } : { name };
}

/**
 * Serves a batch of repair-queue requests: each `{"catchUp": name}` copies what that secondary
 * misses, `{"catchUp": name, "ids": [...]}` exactly those entries (each at most once per batch
 * per name); any other request, or a scheduled run (no records), runs one repair pass for all
 * of them. Failures are reported per record.
 */
export async function handleRepairRequests(records: SQSRecord[]): Promise<SQSBatchResponse> {
  const catchUps = new Map<string, CatchUpRequest>();
  const passes: string[] = [];
  for (const r of records) {
    const request = parseCatchUp(r.body);
    if (!request) {
      passes.push(r.messageId);
      continue;
    }
    const entry = catchUps.get(request.name) ?? { messageIds: [], ids: new Set<number>(), full: false };
    entry.messageIds.push(r.messageId);
    for (const id of request.ids ?? []) entry.ids.add(id);
    entry.full ||= request.ids === undefined;
    catchUps.set(request.name, entry);
  }
  const failed: string[] = [];
  const attempt = async (ids: string[], work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (err) {
      logger.warn('repair work failed; will retry', { error: err as Error });
      failed.push(...ids);
    }
  };
  await Promise.all(
    [...catchUps].map(([name, request]) =>
      attempt(request.messageIds, async () => {
        if (request.ids.size > 0) await copyEntries(name, [...request.ids]);
        if (request.full) await catchUp(name);
      }),
    ),
  );
  if (passes.length > 0 || records.length === 0) await attempt(passes, runRepair);
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}
