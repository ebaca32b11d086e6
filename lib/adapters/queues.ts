import { ChangeMessageVisibilityBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqs } from './clients';
import { chunks } from '../batches';
import { getConfig } from '../config';
import { encodeJob } from '../job-codec';
import type { ReplicateJob } from '../log-entry';

const { queueUrls, secondaries, repairQueueUrl } = getConfig();

/** Enqueues the job for one secondary. */
async function sendReplicateJob(secondary: string, job: ReplicateJob): Promise<void> {
  const QueueUrl = queueUrls[secondary];
  if (!QueueUrl) throw new Error(`no replicate queue for secondary "${secondary}"`);
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: encodeJob(job) }));
}

export interface FailedSend {
  secondary: string;
  error: unknown;
}

/** Enqueues the job for every secondary at once; returns the sends that failed (none: all sent). */
export async function sendReplicateJobs(job: ReplicateJob): Promise<FailedSend[]> {
  const results = await Promise.allSettled(secondaries.map((s) => sendReplicateJob(s, job)));
  return results.flatMap((r, i) => (r.status === 'rejected' ? [{ secondary: secondaries[i] as string, error: r.reason as unknown }] : []));
}

const SQS_BATCH = 10; // entries per SQS batch request

/**
 * Makes received jobs reappear after their delays (the retry backoff), ten a request; returns the
 * receipt handles whose delay could not be set (they reappear after the visibility timeout).
 */
export async function delayRedeliveries(secondary: string, delays: ReadonlyArray<{ receiptHandle: string; seconds: number }>): Promise<string[]> {
  const QueueUrl = queueUrls[secondary];
  if (!QueueUrl || delays.length === 0) return [];
  const failed: string[] = [];
  for (const chunk of chunks(delays, SQS_BATCH)) {
    const Entries = chunk.map((d, j) => ({ Id: String(j), ReceiptHandle: d.receiptHandle, VisibilityTimeout: d.seconds }));
    try {
      const out = await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl, Entries }));
      for (const f of out.Failed ?? []) failed.push(chunk[Number(f.Id)]?.receiptHandle ?? '');
    } catch {
      failed.push(...chunk.map((d) => d.receiptHandle));
    }
  }
  return failed;
}

/** Sends one heartbeat to every secondary through its replicate queue. */
export async function sendHeartbeats(sentAt: number): Promise<void> {
  const body = encodeJob({ heartbeat: sentAt });
  await Promise.all(secondaries.map((s) => sqs.send(new SendMessageCommand({ QueueUrl: queueUrls[s], MessageBody: body }))));
}

/**
 * Asks the repair function to copy to `secondary`, now, everything it misses — or, given `ids`,
 * exactly those master entries (whether or not they are inside the master's gap-free prefix yet).
 */
export async function requestCatchUp(secondary: string, ids?: readonly number[]): Promise<void> {
  const request = { catchUp: secondary, ...(ids ? { ids } : {}), requestedAt: Date.now() };
  await sqs.send(new SendMessageCommand({ QueueUrl: repairQueueUrl, MessageBody: JSON.stringify(request) }));
}

/** Asks for a repair pass in `delaySeconds` (SQS delays delivery; at most 900 s). */
export async function requestRepair(reason: string, delaySeconds: number): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: repairQueueUrl,
      MessageBody: JSON.stringify({ reason, requestedAt: Date.now() }),
      DelaySeconds: Math.min(900, Math.max(0, Math.ceil(delaySeconds))),
    }),
  );
}
