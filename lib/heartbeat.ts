import { setTimeout as sleep } from 'node:timers/promises';
import { markHeartbeatsStarted, recordHeartbeat } from './adapters/control-table';
import { requestCatchUp, sendHeartbeats } from './adapters/queues';
import { getConfig } from './config';
import { wasAway } from './health';
import { readHealthReport } from './health-report';
import { logger } from './logger';
import { healthPoints, METRIC, publishMetrics, recordMetric, recordMetrics } from './metrics';

// How often the heartbeat function samples /health for the Unhealthy and lag metrics: several
// samples a minute (the Unhealthy alarm looks at each minute's worst), a few reads each.
const HEALTH_SAMPLE_MS = 10_000;

async function sampleHealth(): Promise<void> {
  try {
    recordMetrics(healthPoints((await readHealthReport()).secondaries));
  } catch (err) {
    logger.warn('health sample for metrics failed', { error: err as Error });
  }
  // The function runs for a minute: publish each sample as it is taken, not at the end.
  publishMetrics();
}

/**
 * Sends a heartbeat to every secondary each interval until `untilMs`. A scheduled function runs
 * at most once a minute on AWS, so one invocation beats for the whole minute.
 */
export async function beatUntil(untilMs: number): Promise<number> {
  const { intervalMs } = getConfig().heartbeat;
  await markHeartbeatsStarted(Date.now());
  let beats = 0;
  let sampledAt = -Infinity;
  while (Date.now() + intervalMs / 2 < untilMs) {
    const started = Date.now();
    await sendHeartbeats(started).catch((err: unknown) => logger.warn('heartbeat could not be sent', { error: err as Error }));
    beats++;
    if (started - sampledAt >= HEALTH_SAMPLE_MS) {
      sampledAt = started;
      await sampleHealth();
    }
    await sleep(Math.max(0, intervalMs - (Date.now() - started)));
  }
  return beats;
}

/**
 * Heartbeats reached `secondary` (a batch may hold several when it was behind): each one's transit
 * time is the replication delay; the newest is recorded, and if the secondary was away it is
 * caught up.
 */
export async function receiveHeartbeats(secondary: string, sentAts: readonly number[]): Promise<void> {
  if (sentAts.length === 0) return;
  const now = Date.now();
  // A heartbeat travels the replicate path like a job: its transit time is the replication delay.
  for (const sentAt of sentAts) recordMetric(METRIC.replicationDelay, 'Milliseconds', Math.max(0, now - sentAt), { secondary });
  const sentAt = Math.max(...sentAts);
  const { recorded, previous } = await recordHeartbeat(secondary, sentAt);
  if (recorded && wasAway(previous, sentAt, getConfig().heartbeat)) {
    logger.info('secondary is back; catching it up', { secondary, lastBeat: previous });
    await requestCatchUp(secondary);
  }
}
