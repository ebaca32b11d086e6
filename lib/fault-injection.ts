import { setTimeout as sleep } from 'node:timers/promises';
import { readFaults, writeFaults } from './adapters/control-table';
import { assertKnownSecondary, getConfig } from './config';
import { UnavailableError } from './errors';
import { applyFaultsPatch, type Faults } from './faults';

// Each container re-reads a secondary's faults at most this often (REPLOG_FAULTS_CACHE_MS,
// default 500): a PUT takes effect within it, well inside the 1 s the API promises.
const CACHE_MS = getConfig().faultsCacheMs;
const cache = new Map<string, { faults: Faults; readAt: number }>();

/** The faults in force for `secondary`, as this container last read them (≤ 0.5 s old). */
export async function currentFaults(secondary: string): Promise<Faults> {
  const hit = cache.get(secondary);
  if (hit && Date.now() - hit.readAt < CACHE_MS) return hit.faults;
  const faults = await readFaults(secondary);
  cache.set(secondary, { faults, readAt: Date.now() });
  return faults;
}

export async function updateFaults(secondary: string, patch: Partial<Faults>): Promise<Faults> {
  assertKnownSecondary(secondary);
  const next = applyFaultsPatch(await readFaults(secondary), patch);
  await writeFaults(secondary, next);
  cache.set(secondary, { faults: next, readAt: Date.now() });
  return next;
}

export async function getFaults(secondary: string): Promise<Faults> {
  assertKnownSecondary(secondary);
  return readFaults(secondary);
}

export class InjectedFailure extends Error {}

/** A down secondary serves nothing: its list answers 503 as a stopped node's would. */
export async function assertUp(secondary: string): Promise<void> {
  if ((await currentFaults(secondary)).down) throw new UnavailableError(`secondary ${secondary} is down`);
}

/**
 * Wraps storing a batch of jobs with the injected faults: refuse when down, sleep `delayMs` first,
 * and after storing fail `errorRate` of the jobs — `failsAfterStoring()` draws for one job — so
 * their redelivery must deduplicate.
 */
export async function withFaults<T>(
  secondary: string,
  store: () => Promise<T>,
  random: () => number = Math.random,
): Promise<{ result: T; failsAfterStoring: () => boolean }> {
  const faults = await currentFaults(secondary);
  if (faults.down) throw new InjectedFailure(`secondary ${secondary} is down`);
  if (faults.delayMs > 0) await sleep(faults.delayMs);
  const result = await store();
  return { result, failsAfterStoring: () => faults.errorRate > 0 && random() < faults.errorRate };
}
