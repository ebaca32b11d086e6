import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { delayRedelivery } from './adapters/queues';
import { retryDelaySeconds } from './backoff';
import { secondaryForQueueArn } from './config';
import { logger } from './logger';
import { applyReplicateJob, MalformedJobError, parseReplicateJob } from './replicator';

async function replicateRecord(record: SQSRecord): Promise<boolean> {
  // The queue a job came from says which secondary it is for: one handler serves every consumer.
  const secondary = secondaryForQueueArn(record.eventSourceARN);
  let job;
  try {
    job = parseReplicateJob(record.body);
  } catch (err) {
    if (!(err instanceof MalformedJobError)) throw err;
    // Retrying cannot fix a malformed job; dropping it is safe because catch-up copies from the master.
    logger.error('malformed replicate job dropped', { secondary, messageId: record.messageId, reason: err.message });
    return true;
  }
  try {
    await applyReplicateJob(secondary, job);
    return true;
  } catch (err) {
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
    const delay = retryDelaySeconds(receiveCount);
    logger.warn('replicate failed; retrying with backoff', { id: job.id, secondary, receiveCount, retryInSeconds: delay, error: err as Error });
    await delayRedelivery(secondary, record.receiptHandle, delay).catch((e: unknown) =>
      logger.warn('could not set retry delay', { id: job.id, secondary, error: e as Error }),
    );
    return false;
  }
}

/** Applies a batch of replicate jobs for this function's secondary; reports failures per record. */
export async function replicateBatch(records: SQSRecord[]): Promise<SQSBatchResponse> {
  const outcomes = await Promise.all(records.map(replicateRecord));
  return { batchItemFailures: records.filter((_, i) => !outcomes[i]).map((r) => ({ itemIdentifier: r.messageId })) };
}
