// Retention of per-id bookkeeping (acks, idempotency keys): each record carries `expiresAt`, and
// DynamoDB's TTL deletes it some time after that (within days; never on DynamoDB Local). The log
// itself never expires. Pure: the rules only, no AWS clients.

/** The `expiresAt` (epoch seconds, as DynamoDB TTL wants it) of a record written at `at`. */
export function expiresAtSeconds(at: number, retentionMs: number): number {
  return Math.ceil((at + retentionMs) / 1000);
}

/** A record whose `expiresAt` has passed counts as gone, whether or not TTL deleted it yet. */
export function isExpired(expiresAt: unknown, now: number): boolean {
  return typeof expiresAt === 'number' && expiresAt * 1000 <= now;
}

// Lambda clocks are NTP-synchronised to milliseconds; a second of slack covers an ack written by
// another container whose clock runs behind the master writer's.
const CLOCK_SLACK_MS = 1000;

/**
 * Whether some ack of an entry stored at `storedAt` may be gone. Every ack is written after the
 * entry is stored and expires a retention after it was written, so before `storedAt + retention`
 * all of them are still there and the ack records alone answer a wait (an unknown `storedAt`
 * counts as old).
 */
export function acksMayHaveExpired(storedAt: number | undefined, now: number, retentionMs: number): boolean {
  return storedAt === undefined || now >= storedAt + retentionMs - CLOCK_SLACK_MS;
}

/**
 * Secondaries that hold `id` by their applied watermark: every id at or below a secondary's
 * gap-free prefix is stored there. (One holding `id` beyond a gap is not seen this way; repair
 * fills gaps within seconds, long before a retention ends.)
 */
export function holdersByPrefix(id: number, prefixes: Readonly<Record<string, number>>): string[] {
  return Object.entries(prefixes)
    .filter(([, applied]) => applied >= id)
    .map(([name]) => name);
}
