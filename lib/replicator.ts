import { recordAck } from './adapters/acks';
import { secondaryTable } from './adapters/secondary-table';
import type { LogEntry, ReplicateJob } from './log-entry';
import { logger } from './logger';

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
