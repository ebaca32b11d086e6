import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { delayRedeliveries } from './adapters/queues';
import { retryDelaySeconds } from './backoff';
import { getConfig, secondaryForQueueArn } from './config';
import { logger } from './logger';
import { METRIC, recordMetric } from './metrics';
import { applyReplicateJobs } from './replicator';
import { parseRecord, receiveCountOf, recordFailures, type JobFailure, type JobOutcome } from './replicate-outcome';
import { secondaryTable } from './adapters/secondary-table';
import { reportGap } from './repair';
import { InjectedFailure, withFaults } from './fault-injection';
import { receiveHeartbeats } from './heartbeat';

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

/** Asks for a repair when a newly stored id's predecessor is missing (checked after acking). */
async function reportGaps(secondary: string, storedIds: number[]): Promise<void> {
  if (storedIds.length === 0) return;
  const known = rememberStored(secondary, storedIds);
  const candidates = storedIds.filter((id) => id > 0 && !known.has(id - 1));
  const table = secondaryTable(secondary);
  const present = await Promise.all(candidates.map(async (id) => (await table.get(id - 1)) !== undefined));
  const gaps = candidates.filter((_, i) => !present[i]).map((id) => id - 1);
  if (gaps.length > 0) await reportGap(secondary, Math.min(...gaps));
}

/** Stores one secondary's jobs and records its heartbeats; returns the records to retry. */
async function replicateFor(secondary: string, records: readonly SQSRecord[]): Promise<SQSRecord[]> {
  const parsed = records.map(parseRecord);
  for (const p of parsed) {
    if (p.kind === 'malformed') logger.error('malformed replicate job dropped', { secondary, messageId: p.record.messageId, reason: p.reason });
  }
  const jobs = parsed.flatMap((p) => (p.kind === 'job' ? [p.job] : []));
  const redelivered = new Set(parsed.flatMap((p) => (p.kind === 'job' && receiveCountOf(p.record) > 1 ? [p.job.id] : [])));
  const beats = parsed.flatMap((p) => (p.kind === 'heartbeat' ? [p.sentAt] : []));
  let outcomes: ReadonlyMap<number, JobOutcome> = new Map();
  let failsAfterStoring = () => false;
  let batchError: JobFailure | undefined;
  try {
    ({ result: outcomes, failsAfterStoring } = await withFaults(secondary, async () => {
      const [stored] = await Promise.all([
        jobs.length > 0 ? applyReplicateJobs(secondary, jobs, redelivered) : new Map<number, JobOutcome>(),
        // A heartbeat is never retried: one that fails is simply missed, which is what it measures.
        receiveHeartbeats(secondary, beats).catch((err: unknown) => logger.warn('heartbeat failed', { secondary, error: err as Error })),
      ]);
      return stored;
    }));
  } catch (err) {
    batchError = { injected: err instanceof InjectedFailure, reason: (err as Error).message };
    if (!batchError.injected) logger.warn('replicate batch failed', { secondary, error: err as Error });
  }
  const failures = recordFailures(parsed, outcomes, batchError, failsAfterStoring);
  const storedIds = [...outcomes].filter(([, o]) => o === 'stored').map(([id]) => id);
  // Acks are written by now; a failed gap check must not turn stored jobs into retries.
  await reportGaps(secondary, storedIds).catch((err: unknown) => logger.warn('gap check failed', { secondary, error: err as Error }));
  const retried = parsed.flatMap((p, i) => {
    const failure = failures[i];
    return failure && p.kind === 'job' ? [{ record: p.record, id: p.job.id, failure }] : [];
  });
  if (retried.length === 0) return [];
  const { maxReceiveCount } = getConfig();
  const delays = retried.map(({ record, id, failure }) => {
    const receiveCount = receiveCountOf(record);
    const seconds = retryDelaySeconds(receiveCount);
    // At the last allowed receive SQS parks the job in the DLQ instead of delivering it again.
    recordMetric(receiveCount >= maxReceiveCount ? METRIC.replicateDeadLettered : METRIC.replicateRetries, 'Count', 1, { secondary });
    const context = { id, secondary, receiveCount, retryInSeconds: seconds };
    if (failure.injected) logger.info(`job failed: ${failure.reason}; will retry`, context);
    else logger.warn(`replicate failed: ${failure.reason}; will retry`, context);
    return { receiptHandle: record.receiptHandle, seconds };
  });
  const notDelayed = await delayRedeliveries(secondary, delays).catch(() => delays.map((d) => d.receiptHandle));
  if (notDelayed.length > 0) logger.warn('could not set retry delay', { secondary, jobs: notDelayed.length });
  return retried.map(({ record }) => record);
}

/** Applies a batch of replicate jobs; reports failures per record, never for the whole batch. */
export async function replicateBatch(records: SQSRecord[]): Promise<SQSBatchResponse> {
  // The queue a job came from says which secondary it is for: one handler serves every consumer.
  const bySecondary = new Map<string, SQSRecord[]>();
  for (const r of records) {
    const secondary = secondaryForQueueArn(r.eventSourceARN);
    bySecondary.set(secondary, [...(bySecondary.get(secondary) ?? []), r]);
  }
  const failed = (await Promise.all([...bySecondary].map(([secondary, rs]) => replicateFor(secondary, rs)))).flat();
  return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
}
