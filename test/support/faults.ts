import { api, eventually } from './api';
import { resetLog } from './aws';

export type Status = 'Healthy' | 'Suspected' | 'Unhealthy';

export interface Health {
  readOnly: boolean;
  quorum: { required: number; available: number };
  secondaries: Record<string, { status: Status; lastHeartbeat: string | null; applied: number; lag: number }>;
}

export async function setFaults(name: string, faults: Record<string, unknown>): Promise<void> {
  const res = await api('PUT', `/admin/secondaries/${name}/faults`, { body: faults });
  if (res.status !== 200) throw new Error(`PUT faults of ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
}

export const health = async () => (await api<Health>('GET', '/health')).body;

/** Polls /health until `name` has `status`; returns how long that took. */
export async function untilStatus(name: string, status: Status, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  const h = await eventually(health, (x) => x.secondaries[name]?.status === status, timeoutMs);
  if (h.secondaries[name]?.status !== status) throw new Error(`${name} did not become ${status}: ${JSON.stringify(h)}`);
  return Date.now() - started;
}

/** Brings every secondary back up with no faults and waits until all are Healthy. */
export async function healAll(names = ['s1', 's2']): Promise<void> {
  for (const name of names) await setFaults(name, { down: false, delayMs: 0, errorRate: 0 });
  for (const name of names) await untilStatus(name, 'Healthy');
}

/** An empty log with every secondary up and Healthy: where each stateful test file starts. */
export async function freshSystem(): Promise<void> {
  await resetLog();
  await healAll();
}
