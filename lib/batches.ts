// Splitting work into the requests an AWS batch API takes, and running them a few at a time.

/** How many batch requests an adapter sends at once for a large set (a catch-up's thousands of items). */
export const REQUESTS_AT_ONCE = 8;

/** Consecutive slices of at most `size` (the last may be shorter). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `work` on every item, at most `limit` at once, taking the items in order; resolves when
 * all are done, or rejects with the first error (the items already started run to their end).
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
