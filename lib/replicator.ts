import { ackingNodesOf, insertAcks } from './adapters/acks';
import { secondaryTable } from './adapters/secondary-table';
import type { LogEntry, ReplicateJob } from './log-entry';
import { logger } from './logger';
import { jobOutcome, type JobOutcome } from './replicate-outcome';
import type { InsertOutcome } from './adapters/insert-statements';

function toEntry(job: ReplicateJob): LogEntry {
  return job.noop ? { id: job.id, noop: true } : { id: job.id, msg: job.msg ?? '' };
}

/**
 * Stores a batch of replicated entries in the secondary's own table, then acknowledges those it
 * holds: one conditional insert per entry and per ack, a request for each kind (not two per job).
 * Jobs arrive in any order and any number of times: an id already held changes nothing, and its
 * ack is written in case an earlier attempt stored but failed before acking — an ack already
 * there keeps its first time, which is when the write concern could first count it. Jobs that are
 * `retried` (delivered before) first look for their ack: one is written only after its entry is
 * stored, so a job already acked (by an earlier attempt, or a catch-up meanwhile) is done, for a
 * read, which costs a fifth of the two writes.
 */
export async function applyReplicateJobs(secondary: string, jobs: readonly ReplicateJob[], retried: ReadonlySet<number> = new Set()): Promise<Map<number, JobOutcome>> {
  const unique = [...new Map(jobs.map((j) => [j.id, j])).values()];
  const looked = unique.filter((j) => retried.has(j.id)).map((j) => j.id);
  const acked = looked.length > 0 ? await ackingNodesOf(looked, [secondary]) : new Map<number, string[]>();
  const done = new Set(looked.filter((id) => (acked.get(id) ?? []).length > 0));
  const todo = unique.filter((j) => !done.has(j.id));
  const entries = todo.length > 0 ? await secondaryTable(secondary).insertEach(todo.map(toEntry)) : [];
  const held = todo.filter((_, i) => typeof entries[i] === 'string').map((j) => j.id);
  const acks = held.length > 0 ? await insertAcks(held, secondary) : [];
  const ackOf = new Map(held.map((id, i) => [id, acks[i]]));
  const outcomes = new Map<number, JobOutcome>([
    ...[...done].map((id) => [id, 'duplicate'] as const),
    ...todo.map((j, i) => [j.id, jobOutcome(entries[i] as InsertOutcome, ackOf.get(j.id))] as const),
  ]);
  const ids = (kind: 'stored' | 'duplicate') => [...outcomes].filter(([, o]) => o === kind).map(([id]) => id);
  logger.info('replicated', { secondary, stored: ids('stored'), duplicates: ids('duplicate') });
  return outcomes;
}
