import { takeNextId } from './adapters/counter';
import { masterTable } from './adapters/master-table';
import { bindIdempotencyKey, findIdempotencyKey, releaseIdempotencyKey, type IdempotencyRecord } from './adapters/control-table';
import { fillWithNoop } from './hole-filler';
import { fanOut } from './fan-out';
import { waitForWriteConcern } from './ack-waiter';
import { assertWritable } from './availability';
import { getConfig } from './config';
import { AppendNotStoredError, AppendOutcomeUnknownError, IdempotencyConflictError, ReplogError } from './errors';
import { logger } from './logger';
import { appendPoints, recordMetrics } from './metrics';
import type { AppendRequest } from './validation';

export interface AppendResult {
  id: number;
  msg: string;
  w: number;
  acks: number;
  /** false when the wait timed out before w nodes held the message (it keeps replicating). */
  met: boolean;
}

/**
 * One step before the commit point: a failure leaves nothing visible, so it answers 503 (retry).
 * Errors a client can act on (read-only, a key conflict) pass through unchanged.
 */
async function beforeCommit<T>(step: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ReplogError) throw err;
    logger.error('append failed before the master stored it', { step, error: err as Error });
    throw new AppendNotStoredError(step);
  }
}

type MasterWrite = 'stored' | 'taken' | 'not stored';

/**
 * Writes the message at its id. 'taken': a no-op filled the id first (we were too slow, see
 * hole-filler.ts). A write that failed may still have been applied, and one the SDK retried
 * after a lost answer fails its condition against itself: either way the id is settled by
 * claiming it with a no-op (exactly one of the two can be stored) and reading what it holds —
 * only this request ever writes a message at this id. Throws only if even that fails.
 */
async function writeToMaster(entry: { id: number; msg: string; w: number }): Promise<MasterWrite> {
  try {
    if (await masterTable.putIfAbsent(entry)) return 'stored';
  } catch (err) {
    logger.warn('master write failed; settling whether it was applied', { id: entry.id, error: err as Error });
    try {
      if (await fillWithNoop(entry.id)) return 'not stored';
    } catch (claimErr) {
      logger.error('could not settle a failed master write', { id: entry.id, error: claimErr as Error });
      throw new AppendOutcomeUnknownError();
    }
  }
  const held = await masterTable.get(entry.id).catch(() => {
    throw new AppendOutcomeUnknownError();
  });
  return held !== undefined && !held.noop ? 'stored' : 'taken';
}

/**
 * Stores `msg` under the next free id. The counter hands out ids atomically; the conditional
 * write can still lose when a repair filled our id with a no-op because we were too slow — then
 * we take a fresh id, so no id ever holds two entries. With an Idempotency-Key, the key is bound
 * to the id before the message is stored, so two concurrent requests with one key never both
 * append: the loser leaves its own id to be filled with a no-op.
 */
async function storeAtNextId(msg: string, w: number, key: string | undefined): Promise<{ id: number } | { retryOf: IdempotencyRecord }> {
  for (;;) {
    const id = await beforeCommit('take an id from the counter', takeNextId);
    if (key !== undefined) {
      const bound = await beforeCommit('record the Idempotency-Key', () => bindIdempotencyKey(key, { id, msg, w }));
      if (bound.id !== id) {
        // An unused id is a hole; the repair pass fills it if this no-op cannot be written now.
        await fillWithNoop(id).catch((err: unknown) => logger.warn('could not fill an unused id; the repair pass will', { id, error: err as Error }));
        return { retryOf: bound };
      }
    }
    const written = await writeToMaster({ id, msg, w });
    if (written === 'stored') return { id };
    if (key !== undefined) await beforeCommit('release the Idempotency-Key', () => releaseIdempotencyKey(key, id));
    if (written === 'not stored') throw new AppendNotStoredError('write the message to the master table');
    logger.warn('id was filled before our write; taking another', { id });
  }
}

/**
 * The append `key` is bound to — unless that append never stored its message (a failed write,
 * whose id now holds a no-op): then the key is released, and this request appends anew.
 */
async function boundAppend(key: string): Promise<IdempotencyRecord | undefined> {
  const earlier = await findIdempotencyKey(key);
  if (!earlier) return undefined;
  if (!(await masterTable.get(earlier.id))?.noop) return earlier;
  await releaseIdempotencyKey(key, earlier.id);
  return undefined;
}

async function waitAndAnswer(id: number, msg: string, w: number): Promise<AppendResult> {
  const { acks, met } = await waitForWriteConcern(id, w, getConfig().waitTimeoutMs);
  return { id, msg, w, acks, met };
}

/**
 * Appends a message to the master log, fans it out to every secondary and honours `w`. The
 * commit point is the master write: before it, a failure answers 503 and nothing is visible;
 * after it, nothing fails the request — replication heals itself and the answer follows `w`.
 */
export async function appendMessage(request: AppendRequest): Promise<AppendResult> {
  const started = Date.now();
  const result = await appendOrRetry(request);
  recordMetrics(appendPoints(result.w, Date.now() - started, result.met));
  return result;
}

async function appendOrRetry(request: AppendRequest): Promise<AppendResult> {
  const { msg, w, idempotencyKey } = request;
  if (idempotencyKey !== undefined) {
    const earlier = await beforeCommit('read the Idempotency-Key', () => boundAppend(idempotencyKey));
    if (earlier) return answerRetry(earlier, request);
  }
  await beforeCommit('check the quorum', assertWritable);
  const stored = await storeAtNextId(msg, w, idempotencyKey);
  if ('retryOf' in stored) return answerRetry(stored.retryOf, request);
  const { id } = stored;
  await fanOut({ id, msg });
  logger.info('appended', { id, w });
  return waitAndAnswer(id, msg, w);
}

function answerRetry(earlier: IdempotencyRecord, request: AppendRequest): Promise<AppendResult> {
  if (earlier.msg !== request.msg) {
    throw new IdempotencyConflictError(`Idempotency-Key was first used for a different msg (id ${earlier.id}); use a new key for a new message`);
  }
  logger.info('idempotent retry', { id: earlier.id, w: request.w });
  return waitAndAnswer(earlier.id, earlier.msg, request.w);
}
