import { masterTable } from './adapters/master-table';
import { secondaryTable } from './adapters/secondary-table';
import { readAvailability } from './availability';
import { getConfig } from './config';
import type { HealthStatus } from './health';
import { appliedPrefix } from './log-reader';

export interface HealthReport {
  readOnly: boolean;
  quorum: { required: number; available: number };
  secondaries: Record<string, { status: HealthStatus; lastHeartbeat: string | null; applied: number; lag: number }>;
}

/** GET /health: each secondary's status, last heartbeat, applied prefix and lag, and the quorum. */
export async function readHealthReport(): Promise<HealthReport> {
  const { secondaries } = getConfig();
  const [availability, head, ...applied] = await Promise.all([
    readAvailability(),
    appliedPrefix('master', masterTable),
    ...secondaries.map((s) => appliedPrefix(s, secondaryTable(s))),
  ]);
  const report: HealthReport['secondaries'] = {};
  secondaries.forEach((s, i) => {
    const a = availability.secondaries[s];
    const prefix = applied[i] ?? -1;
    report[s] = {
      status: a?.status ?? 'Unhealthy',
      lastHeartbeat: a?.lastBeat === undefined ? null : new Date(a.lastBeat).toISOString(),
      applied: prefix,
      lag: Math.max(0, head - prefix),
    };
  });
  const { required, available, readOnly } = availability.quorum;
  return { readOnly, quorum: { required, available }, secondaries: report };
}
