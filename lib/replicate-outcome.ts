import type { SQSRecord } from 'aws-lambda';
import type { InsertOutcome } from './adapters/insert-statements';
import { decodeJob, MalformedJobError } from './job-codec';
import type { ReplicateJob } from './log-entry';

// The replicate consumer's rules, as pure functions: what a record is, what became of its job,
// and which records go back to the queue.

/** What became of one job: its entry newly stored, already held, or not held (to be retried). */
export type JobOutcome = 'stored' | 'duplicate' | { failed: string };

/**
 * A job counts once its entry is held and acknowledged: the entry inserted now ('stored') or
 * found there ('duplicate'), and its ack inserted or found. An ack is only written for an entry
 * held, so a failed entry write never leaves an ack behind.
 */
export function jobOutcome(entry: InsertOutcome, ack: InsertOutcome | undefined): JobOutcome {
  if (typeof entry === 'object') return entry;
  if (ack === undefined) return { failed: 'entry held but not acknowledged' };
  if (typeof ack === 'object') return { failed: `ack not written: ${ack.failed}` };
  return entry === 'inserted' ? 'stored' : 'duplicate';
}

/** A record as the consumer reads it. */
export type ParsedRecord =
  | { record: SQSRecord; kind: 'job'; job: ReplicateJob }
  | { record: SQSRecord; kind: 'heartbeat'; sentAt: number }
  | { record: SQSRecord; kind: 'malformed'; reason: string };

export function parseRecord(record: SQSRecord): ParsedRecord {
  try {
    const job = decodeJob(record.body);
    return 'heartbeat' in job ? { record, kind: 'heartbeat', sentAt: job.heartbeat } : { record, kind: 'job', job };
  } catch (err) {
    if (!(err instanceof MalformedJobError)) throw err;
    return { record, kind: 'malformed', reason: err.message };
  }
}

/** Why a job's record goes back to the queue (`injected`: by fault injection). */
export interface JobFailure {
  injected: boolean;
  reason: string;
}

/** Why a job's record goes back to the queue, or undefined when it is done. */
export type RecordFailure = JobFailure | undefined;

/** How many times SQS has delivered `record`, this time included. */
export function receiveCountOf(record: SQSRecord): number {
  return Number(record.attributes?.ApproximateReceiveCount ?? 1);
}

/**
 * The records to report in `batchItemFailures`: each job whose entry or ack was not written
 * (`outcomes`, or `batchError` when the batch failed as a whole), and each stored job the
 * injected error rate fails after storing (`failsAfterStoring`, drawn once per stored job, in
 * order). Heartbeats and malformed jobs never are: a missed beat is what it measures, and
 * retrying cannot fix a malformed job (catch-up copies its entry from the master).
 */
export function recordFailures(
  parsed: readonly ParsedRecord[],
  outcomes: ReadonlyMap<number, JobOutcome>,
  batchError: JobFailure | undefined,
  failsAfterStoring: () => boolean,
): RecordFailure[] {
  return parsed.map((p) => {
    if (p.kind !== 'job') return undefined;
    if (batchError) return batchError;
    const outcome = outcomes.get(p.job.id);
    if (outcome === undefined) return { injected: false, reason: 'no outcome' };
    if (typeof outcome === 'object') return { injected: false, reason: outcome.failed };
    return failsAfterStoring() ? { injected: true, reason: `injected failure after storing` } : undefined;
  });
}
