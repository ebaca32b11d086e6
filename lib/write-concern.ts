/**
 * Write concern counts nodes: the master always holds an entry it acknowledged, so w=1 is met by
 * the master alone and w=k needs k-1 distinct configured secondaries to have acked.
 */
export function countHolders(ackingSecondaries: readonly string[], configured: readonly string[]): number {
  const known = new Set(configured);
  return 1 + new Set(ackingSecondaries.filter((s) => known.has(s))).size;
}

export function isWriteConcernMet(w: number, holders: number): boolean {
  return holders >= w;
}
