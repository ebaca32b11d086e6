import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { delayRedelivery } from './adapters/queues';
import { retryDelaySeconds } from './backoff';
import { getConfig, secondaryForQueueArn } from './config';
import { logger } from './logger';
import { decodeJob, MalformedJobError } from './job-codec';
import { METRIC, recordMetric } from './metrics';
import { applyReplicateJob } from './replicator';
import { secondaryTable } from './adapters/secondary-table';
import { reportGap } from './repair';
import { InjectedFailure, withFaults } from './fault-injection';
import { receiveHeartbeat } from './heartbeat';

/** Stored ids whose predecessor this secondary does not hold yet (checked after acking). */
async function findGaps(secondary: string, storedIds: number[]): Promise<number[]> {
  const known = rememberStored(secondary, storedIds);
  const candidates = storedIds.filter((id) => id > 0 && !known.has(id - 1));
  const table = secondaryTable(secondary);
  const present = await Promise.all(candidates.map(async (id) => (await table.get(id - 1)) !== undefined));
  return candidates.filter((_, i) => !present[i]).map((id) => id - 1);
}

type Outcome = { ok: true; secondary: string; storedId?: number } | { ok: false };

async function replicateRecord(record: SQSRecord): Promise<Outcome> {
  // The queue a job came from says which secondary it is for: one handler serves every consumer.
  const secondary = secondaryForQueueArn(record.eventSourceARN);
  let job;
  try {
    job = decodeJob(record.body);
  } catch (err) {
    if (!(err instanceof MalformedJobError)) throw err;
    // Retrying cannot fix a malformed job; dropping it is safe because catch-up copies from the master.
    logger.error('malformed replicate job dropped', { secondary, messageId: record.messageId, reason: err.message });
    return { ok: true, secondary };
  }
  if ('heartbeat' in job) {
    // A heartbeat is never retried: one that fails is simply missed, which is what it measures.
    const sentAt = job.heartbeat;
    await withFaults(secondary, () => receiveHeartbeat(secondary, sentAt)).catch((err: unknown) => {
      if (!(err instanceof InjectedFailure)) logger.warn('heartbeat failed', { secondary, error: err as Error });
    });
    return { ok: true, secondary };
  }
  try {
    const result = await withFaults(secondary, () => applyReplicateJob(secondary, job));
    return result === 'stored' ? { ok: true, secondary, storedId: job.id } : { ok: true, secondary };
  } catch (err) {
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
    const delay = retryDelaySeconds(receiveCount);
    const context = { id: job.id, secondary, receiveCount, retryInSeconds: delay };
    // At the last allowed receive SQS parks the job in the DLQ instead of delivering it again.
    const parked = receiveCount >= getConfig().maxReceiveCount;
    recordMetric(parked ? METRIC.replicateDeadLettered : METRIC.replicateRetries, 'Count', 1, { secondary });
    if (err instanceof InjectedFailure) logger.info(`job failed: ${err.message}; will retry`, context);
    else logger.warn('replicate failed; will retry', { ...context, error: err as Error });
    await delayRedelivery(secondary, record.receiptHandle, delay).catch((e: unknown) =>
      logger.warn('could not set retry delay', { id: job.id, secondary, error: e as Error }),
    );
    return { ok: false };
  }
}

// Ids this container stored lately, per secondary: a job whose predecessor is among them has no
// gap behind it, so the table need not be asked (under load that is nearly every job).
const RECENT_IDS = 4096;
const recentlyStored = new Map<string, { ids: Set<number>; order: number[] }>();

function rememberStored(secondary: string, ids: number[]): Set<number> {
  let recent = recentlyStored.get(secondary);
  // Storing an id again means the table lost it (emptied or replaced): forget what we knew.
  if (!recent || ids.some((id) => recent?.ids.has(id))) recentlyStored.set(secondary, (recent = { ids: new Set(), order: [] }));
  for (const id of ids) {
    recent.ids.add(id);
    recent.order.push(id);
  }
  while (recent.order.length > RECENT_IDS) recent.ids.delete(recent.order.shift() as number);
  return recent.ids;
}

async function reportGaps(outcomes: Outcome[]): Promise<void> {
  const stored = new Map<string, number[]>();
  for (const o of outcomes) if (o.ok && o.storedId !== undefined) stored.set(o.secondary, [...(stored.get(o.secondary) ?? []), o.storedId]);
  for (const [secondary, ids] of stored) {
    const gaps = await findGaps(secondary, ids);
    if (gaps.length > 0) await reportGap(secondary, Math.min(...gaps));
  }
}

/** Applies a batch of replicate jobs for this function's secondary; reports failures per record. */
export async function replicateBatch(records: SQSRecord[]): Promise<SQSBatchResponse> {
  const outcomes = await Promise.all(records.map(replicateRecord));
  // Acks are written by now; a failed gap check must not turn stored jobs into retries.
  await reportGaps(outcomes).catch((err: unknown) => logger.warn('gap check failed', { error: err as Error }));
  return { batchItemFailures: records.filter((_, i) => !outcomes[i]?.ok).map((r) => ({ itemIdentifier: r.messageId })) };
}
