/**
 * When a part of the local system that holds no data exits unexpectedly, it is restarted after a
 * growing delay; a part that keeps dying is not restarted forever: after `maxRestarts` restarts
 * within `windowMs` the whole stack stops. Pure, so the rule is tested without processes.
 */
export interface RestartPolicy {
  maxRestarts: number;
  windowMs: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxRestarts: 5, windowMs: 60_000, firstDelayMs: 250, maxDelayMs: 8_000 };

export type RestartDecision =
  | { restart: true; delayMs: number; /** restarts within the window, this one included */ attempt: number; history: number[] }
  | { restart: false; reason: string };

/** `history`: when earlier restarts happened (ms). Decides what to do about an exit at `now`. */
export function decideRestart(history: readonly number[], now: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): RestartDecision {
  const recent = history.filter((at) => now - at < policy.windowMs);
  if (recent.length >= policy.maxRestarts) {
    return { restart: false, reason: `it was restarted ${recent.length} times within ${Math.round(policy.windowMs / 1000)} s` };
  }
  const delayMs = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** recent.length);
  return { restart: true, delayMs, attempt: recent.length + 1, history: [...recent, now] };
}
