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

// Appends check quorum on every call; a quarter-second view per container keeps that to a few
// reads a second while reacting well within one heartbeat interval.
const CACHE_MS = 250;
let cached: { at: number; quorum: Quorum } | undefined;

/** Throws the 503 read-only error when fewer than a majority of nodes are available. */
export async function assertWritable(): Promise<void> {
  const now = Date.now();
  if (!cached || now - cached.at > CACHE_MS) cached = { at: now, quorum: (await readAvailability(now)).quorum };
  const { required, available, readOnly } = cached.quorum;
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
