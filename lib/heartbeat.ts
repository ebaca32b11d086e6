import { setTimeout as sleep } from 'node:timers/promises';
import { markHeartbeatsStarted, recordHeartbeat } from './adapters/control-table';
import { requestCatchUp, sendHeartbeats } from './adapters/queues';
import { getConfig } from './config';
import { wasAway } from './health';
import { logger } from './logger';

/**
 * Sends a heartbeat to every secondary each interval until `untilMs`. A scheduled function runs
 * at most once a minute on AWS, so one invocation beats for the whole minute.
 */
export async function beatUntil(untilMs: number): Promise<number> {
  const { intervalMs } = getConfig().heartbeat;
  await markHeartbeatsStarted(Date.now());
  let beats = 0;
  while (Date.now() + intervalMs / 2 < untilMs) {
    const started = Date.now();
    await sendHeartbeats(started).catch((err: unknown) => logger.warn('heartbeat could not be sent', { error: err as Error }));
    beats++;
    await sleep(Math.max(0, intervalMs - (Date.now() - started)));
  }
  return beats;
}

/** A heartbeat reached `secondary`: record it, and catch the secondary up if it was away. */
export async function receiveHeartbeat(secondary: string, sentAt: number): Promise<void> {
  const { recorded, previous } = await recordHeartbeat(secondary, sentAt);
  if (recorded && wasAway(previous, sentAt, getConfig().heartbeat)) {
    logger.info('secondary is back; catching it up', { secondary, lastBeat: previous });
    await requestCatchUp(secondary);
  }
}
