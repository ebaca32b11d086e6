import { setTimeout as sleep } from 'node:timers/promises';
import { listAckingNodes } from './adapters/acks';
import { getConfig } from './config';
import { pollIntervals } from './backoff';
import { countHolders, isWriteConcernMet } from './write-concern';

export interface WaitOutcome {
  /** Nodes holding the entry when the wait ended, the master included. */
  acks: number;
  met: boolean;
}

/** Current number of nodes holding entry `id` (master + acked secondaries). */
export async function countAcks(id: number): Promise<number> {
  return countHolders(await listAckingNodes(id), getConfig().secondaries);
}

/**
 * Polls ack records until `w` nodes hold entry `id` or `timeoutMs` passes. Each append waits on
 * its own records only, so a stuck w=3 append never delays any other request.
 */
export async function waitForWriteConcern(id: number, w: number, timeoutMs: number): Promise<WaitOutcome> {
  if (w <= 1) return { acks: w === 1 ? 1 : await countAcks(id), met: true };
  const deadline = Date.now() + timeoutMs;
  const intervals = pollIntervals();
  for (;;) {
    const acks = await countAcks(id);
    if (isWriteConcernMet(w, acks)) return { acks, met: true };
    const left = deadline - Date.now();
    if (left <= 0) return { acks, met: false };
    await sleep(Math.min(intervals.next().value, left));
  }
}
