/** Seconds before a failed replicate job is retried: 1, 2, 4 … by receive count, capped. */
export function retryDelaySeconds(receiveCount: number, baseSeconds = 1, capSeconds = 30): number {
  // A missing or garbled count (NaN) counts as a first receive rather than poisoning the delay.
  const attempt = Number.isNaN(receiveCount) ? 1 : Math.max(1, Math.floor(receiveCount));
  // 2^30 s is far past any cap; clamping the exponent keeps the arithmetic finite.
  return Math.min(capSeconds, baseSeconds * 2 ** Math.min(attempt - 1, 30));
}

/**
 * Intervals for polling acks: fast at first (an ack usually lands within milliseconds), then
 * backing off so a long wait costs few reads.
 */
export function* pollIntervals(firstMs = 2, factor = 1.5, maxMs = 100): Generator<number, never> {
  let next = firstMs;
  for (;;) {
    yield Math.round(next);
    next = Math.min(maxMs, next * factor);
  }
}

/**
 * When to take the first look at the next wait for acks, after a wait was met: a little earlier
 * if this one was met at its first look (its acks may have been there sooner), later if it took
 * more looks. The steps settle where about two waits in three are met at the first look, so an
 * append's acks are usually read once rather than polled for from 2 ms on while its jobs are
 * still in flight, and the rest cost one more look a couple of milliseconds later.
 */
export function nextFirstPoll(currentMs: number, metAtFirstLook: boolean, floorMs = 2, capMs = 100): number {
  return Math.min(capMs, Math.max(floorMs, currentMs * (metAtFirstLook ? 0.97 : 1.07)));
}

/** The pause before trying again what a DynamoDB batch request left unprocessed (attempt ≥ 1). */
export function unprocessedRetryMs(attempt: number): number {
  return Math.min(1000, 20 * 2 ** attempt);
}
