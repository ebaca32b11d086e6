import { readHeartbeats } from './adapters/control-table';
import { getConfig } from './config';
import { ReadOnlyError } from './errors';
import { healthStatus, quorumOf, type HealthStatus, type Quorum } from './health';
import { METRIC, recordMetric } from './metrics';

export interface Availability {
  secondaries: Record<string, { status: HealthStatus; lastBeat: number | undefined }>;
  quorum: Quorum;
}

/** Each secondary's status from its heartbeats, and whether the master has a quorum. */
export async function readAvailability(now = Date.now()): Promise<Availability> {
  const { secondaries, heartbeat } = getConfig();
  const { beats, monitoringSince } = await readHeartbeats(secondaries);
  const entries = secondaries.map((s) => [s, { status: healthStatus(beats[s], now, heartbeat, monitoringSince), lastBeat: beats[s] }] as const);
  return { secondaries: Object.fromEntries(entries), quorum: quorumOf(entries.map(([, e]) => e.status)) };
}

// Appends check quorum on every call. Each container keeps a view of it: fresh for a quarter of a
// second; up to half a second old it is still used while one read refreshes it in the background,
// so under load no append waits for that read; older, the append waits for the read. Appends
// arriving together share one read.
const FRESH_MS = 250;
const STALE_MS = 500;
let cached: { at: number; quorum: Quorum } | undefined;
let refreshing: Promise<Quorum> | undefined;

function refreshQuorum(): Promise<Quorum> {
  refreshing ??= (async () => {
    try {
      const at = Date.now();
      const { quorum } = await readAvailability(at);
      cached = { at, quorum };
      return quorum;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

async function currentQuorum(): Promise<Quorum> {
  const age = cached ? Date.now() - cached.at : Infinity;
  if (cached && age <= FRESH_MS) return cached.quorum;
  if (cached && age <= STALE_MS) {
    // A failed background refresh leaves the view to age until an append reads for itself.
    refreshQuorum().catch(() => undefined);
    return cached.quorum;
  }
  return refreshQuorum();
}

/** Throws the 503 read-only error when fewer than a majority of nodes are available. */
export async function assertWritable(): Promise<void> {
  const quorum = await currentQuorum();
  const { required, available, readOnly } = quorum;
  if (readOnly) {
    recordMetric(METRIC.readOnlyRefusals, 'Count', 1);
    const { secondaries, heartbeat } = getConfig();
    const n = secondaries.length;
    // The quorum can come back with the next heartbeat that gets through.
    const retryAfterSeconds = Math.max(1, Math.ceil(heartbeat.intervalMs / 1000));
    throw new ReadOnlyError(
      `no quorum: ${available - 1} of ${n} secondaries are available (not Unhealthy), and ${required - 1} are needed with the master for a majority of ${n + 1} nodes; appends resume when enough secondaries are back`,
      retryAfterSeconds,
    );
  }
}
