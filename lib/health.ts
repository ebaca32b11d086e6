/** A secondary's health as the master sees it, from the age of its last heartbeat. */
export type HealthStatus = 'Healthy' | 'Suspected' | 'Unhealthy';

export interface HeartbeatPolicy {
  intervalMs: number;
  /** Missed beats before a secondary is Suspected (still counted for quorum). */
  suspectedAfter: number;
  /** Missed beats before it is Unhealthy (not counted for quorum). */
  unhealthyAfter: number;
}

/**
 * Healthy → Suspected after ~`suspectedAfter` missed intervals → Unhealthy after ~`unhealthyAfter`,
 * and back to Healthy with the next good beat. `lastBeat` is when that beat was *sent*, so a
 * secondary working through a backlog of old beats reads as late, not as healthy. A secondary
 * never heard from is judged from `monitoringSince` (when beats started), if known.
 */
export function healthStatus(lastBeat: number | undefined, now: number, policy: HeartbeatPolicy, monitoringSince?: number): HealthStatus {
  const since = lastBeat ?? monitoringSince;
  if (since === undefined) return 'Suspected';
  const missed = (now - since) / policy.intervalMs;
  if (missed > policy.unhealthyAfter) return 'Unhealthy';
  if (missed > policy.suspectedAfter) return 'Suspected';
  return lastBeat === undefined ? 'Suspected' : 'Healthy';
}

export interface Quorum {
  /** A majority of all nodes (master + N secondaries). */
  required: number;
  /** The master plus every secondary that is not Unhealthy. */
  available: number;
  readOnly: boolean;
}

export function quorumOf(statuses: readonly HealthStatus[]): Quorum {
  const nodes = statuses.length + 1;
  const required = Math.floor(nodes / 2) + 1;
  const available = 1 + statuses.filter((s) => s !== 'Unhealthy').length;
  return { required, available, readOnly: available < required };
}

/** A heartbeat back after this long means the secondary was away: time to catch it up. */
export function wasAway(previousBeat: number | undefined, beat: number, policy: HeartbeatPolicy): boolean {
  return previousBeat === undefined || beat - previousBeat > policy.suspectedAfter * policy.intervalMs;
}
