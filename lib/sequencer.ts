import { takeNextId } from './adapters/counter';
import { masterTable } from './adapters/master-table';
import { sendReplicateJobs } from './adapters/queues';
import { bindIdempotencyKey, findIdempotencyKey, releaseIdempotencyKey, type IdempotencyRecord } from './adapters/control-table';
import { fillWithNoop } from './hole-filler';
import { waitForWriteConcern } from './ack-waiter';
import { assertWritable } from './availability';
import { getConfig } from './config';
import { IdempotencyConflictError } from './errors';
import { logger } from './logger';
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
 * Stores `msg` under the next free id. The counter hands out ids atomically; the conditional
 * write can still lose when a repair filled our id with a no-op because we were too slow
 * (see hole-filler.ts) — then we take a fresh id, so no id ever holds two entries.
 * With an Idempotency-Key, the key is bound to the id before the message is stored, so two
 * concurrent requests with one key never both append: the loser fills its own id with a no-op.
 */
async function storeAtNextId(msg: string, w: number, idempotencyKey: string | undefined): Promise<{ id: number } | { retryOf: IdempotencyRecord }> {
  for (;;) {
    const id = await takeNextId();
    if (idempotencyKey !== undefined) {
      const bound = await bindIdempotencyKey(idempotencyKey, { id, msg, w });
      if (bound.id !== id) {
        await fillWithNoop(id);
        return { retryOf: bound };
      }
    }
    if (await masterTable.putIfAbsent({ id, msg, w })) return { id };
    logger.warn('id was filled before our write; taking another', { id });
    if (idempotencyKey !== undefined) await releaseIdempotencyKey(idempotencyKey);
  }
}

async function waitAndAnswer(id: number, msg: string, w: number): Promise<AppendResult> {
  const { acks, met } = await waitForWriteConcern(id, w, getConfig().waitTimeoutMs);
  return { id, msg, w, acks, met };
}

/** Appends a message to the master log, fans it out to every secondary and honours `w`. */
export async function appendMessage(request: AppendRequest): Promise<AppendResult> {
  const { msg, w, idempotencyKey } = request;
  if (idempotencyKey !== undefined) {
    const earlier = await findIdempotencyKey(idempotencyKey);
    if (earlier) return answerRetry(earlier, request);
  }
  await assertWritable();
  const stored = await storeAtNextId(msg, w, idempotencyKey);
  if ('retryOf' in stored) return answerRetry(stored.retryOf, request);
  const { id } = stored;
  await sendReplicateJobs({ id, msg });
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
