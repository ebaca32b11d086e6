import { recordAck } from './adapters/acks';
import { secondaryTable } from './adapters/secondary-table';
import type { HeartbeatJob, LogEntry, ReplicateJob } from './log-entry';
import { logger } from './logger';

/** A job body that can never be applied (it is logged and dropped rather than retried forever). */
export class MalformedJobError extends Error {}

export function parseReplicateJob(body: string): ReplicateJob | HeartbeatJob {
  let job: unknown;
  try {
    job = JSON.parse(body);
  } catch {
    throw new MalformedJobError('job is not JSON');
  }
  const beat = (job as Partial<HeartbeatJob> | null)?.heartbeat;
  if (typeof beat === 'number' && Number.isFinite(beat)) return { heartbeat: beat };
  const j = job as Partial<ReplicateJob>;
  if (typeof j !== 'object' || j === null || !Number.isSafeInteger(j.id) || (j.id as number) < 0) {
    throw new MalformedJobError('job has no valid id');
  }
  if (j.noop === true) return { id: j.id as number, noop: true };
  if (typeof j.msg !== 'string') throw new MalformedJobError('job has no msg');
  return { id: j.id as number, msg: j.msg };
}

function toEntry(job: ReplicateJob): LogEntry {
  return job.noop ? { id: job.id, noop: true } : { id: job.id, msg: job.msg ?? '' };
}

/**
 * Stores a replicated entry in the secondary's own table, then acknowledges it. Jobs arrive in
 * any order and any number of times: the conditional put makes a repeat change nothing, and the
 * ack is rewritten idempotently in case an earlier attempt stored but failed before acking.
 */
export async function applyReplicateJob(secondary: string, job: ReplicateJob): Promise<'stored' | 'duplicate'> {
  const stored = await secondaryTable(secondary).putIfAbsent(toEntry(job));
  await recordAck(job.id, secondary);
  logger.info(stored ? 'replicated' : 'duplicate job ignored', { id: job.id, secondary });
  return stored ? 'stored' : 'duplicate';
}
