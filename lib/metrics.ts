import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger } from './logger';

// CloudWatch metrics in the embedded metric format (EMF): Powertools writes one JSON line per
// flush to stdout, and CloudWatch Logs turns it into metrics, with no API call and no IAM grant.
// Namespace and the `service` dimension come from POWERTOOLS_METRICS_NAMESPACE and
// POWERTOOLS_SERVICE_NAME (serverless.yml); the alarms in scripts/serverless/stack.js use the
// names below.

export const METRIC = {
  /** ms from receiving an append to answering it, by `w`. */
  appendLatency: 'AppendLatency',
  /** 1 per append answered 201 (w met in time), by `w`. */
  writeConcernMet: 'WriteConcernMet',
  /** 1 per append answered 202 (w not met within REPLOG_WAIT_TIMEOUT_MS), by `w`. */
  writeConcernTimedOut: 'WriteConcernTimedOut',
  /** Appends refused with 503 read-only (no quorum). */
  readOnlyRefusals: 'ReadOnlyRefusals',
  /** 5xx answers, by `route` ("POST /append"). */
  serverErrors: 'ServerErrors',
  /** Entries a secondary's gap-free prefix is behind the master's, by `secondary`. */
  replicationLag: 'ReplicationLag',
  /** ms a heartbeat took from the master through a secondary's queue and consumer, by `secondary`. */
  replicationDelay: 'ReplicationDelay',
  /** Replicate jobs that failed and will be retried, by `secondary`. */
  replicateRetries: 'ReplicateRetries',
  /** Replicate jobs that failed their last allowed receive (SQS parks them in the DLQ), by `secondary`. */
  replicateDeadLettered: 'ReplicateDeadLettered',
  /** Entries copied to a secondary by catch-up, by `secondary`. */
  catchUpCopied: 'CatchUpCopied',
  /** Holes in the master log filled with a no-op. */
  holesFilled: 'HolesFilled',
  /** 1 while a secondary is Unhealthy, else 0, sampled by the heartbeat function, by `secondary`. */
  unhealthy: 'Unhealthy',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export interface MetricPoint {
  name: MetricName;
  unit: 'Count' | 'Milliseconds';
  value: number;
  dimensions?: Readonly<Record<string, string>>;
}

/** What an answered append adds: its latency and whether its write concern was met, by w. */
export function appendPoints(w: number, latencyMs: number, met: boolean): MetricPoint[] {
  const dimensions = { w: String(w) };
  return [
    { name: METRIC.appendLatency, unit: 'Milliseconds', value: Math.max(0, latencyMs), dimensions },
    { name: METRIC.writeConcernMet, unit: 'Count', value: met ? 1 : 0, dimensions },
    { name: METRIC.writeConcernTimedOut, unit: 'Count', value: met ? 0 : 1, dimensions },
  ];
}

/** One health sample: per secondary, Unhealthy (1/0) and its lag in entries. */
export function healthPoints(secondaries: Readonly<Record<string, { status: string; lag: number }>>): MetricPoint[] {
  return Object.entries(secondaries).flatMap(([secondary, s]) => [
    { name: METRIC.unhealthy, unit: 'Count' as const, value: s.status === 'Unhealthy' ? 1 : 0, dimensions: { secondary } },
    { name: METRIC.replicationLag, unit: 'Count' as const, value: Math.max(0, s.lag), dimensions: { secondary } },
  ]);
}

/** "POST /append": the route template API Gateway matched, a low-cardinality dimension. */
export function routeOf(event: { httpMethod?: string; resource?: string; path?: string } | undefined): string {
  return `${event?.httpMethod ?? '?'} ${event?.resource ?? event?.path ?? '?'}`;
}

// One Powertools buffer per dimension set: the buffers only accumulate, so appends answered at
// the same time in one process (serverless-offline runs them side by side) never mix their
// dimensions, and whichever invocation flushes publishes them all.
const buffers = new Map<string, Metrics>();

function bufferFor(dimensions: Readonly<Record<string, string>> = {}): Metrics {
  const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));
  let buffer = buffers.get(key);
  if (!buffer) {
    buffer = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'replog', defaultDimensions: { ...dimensions } });
    buffers.set(key, buffer);
  }
  return buffer;
}

export function recordMetrics(points: readonly MetricPoint[]): void {
  for (const p of points) bufferFor(p.dimensions).addMetric(p.name, MetricUnit[p.unit], p.value);
}

export function recordMetric(name: MetricName, unit: MetricPoint['unit'], value: number, dimensions?: Record<string, string>): void {
  recordMetrics([{ name, unit, value, ...(dimensions ? { dimensions } : {}) }]);
}

/** Writes what was recorded as EMF lines (one per dimension set); nothing when nothing was. */
export function publishMetrics(): void {
  for (const buffer of buffers.values()) {
    if (!buffer.hasStoredMetrics()) continue;
    try {
      buffer.publishStoredMetrics();
    } catch (err) {
      // Metrics describe the work; they must never fail it.
      logger.warn('could not publish metrics', { error: err as Error });
    }
  }
}

/** Wraps a non-HTTP handler so its metrics are published when it returns or throws. */
export function withMetrics<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await handler(...args);
    } finally {
      publishMetrics();
    }
  };
}
