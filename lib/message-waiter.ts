import { readAppliedPrefix } from './adapters/control-table';
import { masterTable } from './adapters/master-table';
import { secondaryTable } from './adapters/secondary-table';
import { waitForWriteConcern, type WaitOutcome } from './ack-waiter';
import { getConfig } from './config';
import { BadRequestError, NotFoundError } from './errors';
import { appliedPrefix } from './log-reader';
import { acksMayHaveExpired, holdersByPrefix } from './retention';
import { parseWriteConcern } from './validation';

/**
 * The secondaries whose applied watermark reaches `id`. The recorded prefix answers for an old id
 * in one read; only a secondary recorded below it is read on from there.
 */
async function holdersByWatermark(id: number): Promise<string[]> {
  const { secondaries } = getConfig();
  const prefixes = await Promise.all(
    secondaries.map(async (s) => {
      const recorded = await readAppliedPrefix(s);
      return [s, recorded >= id ? recorded : await appliedPrefix(s, secondaryTable(s))] as const;
    }),
  );
  return holdersByPrefix(id, Object.fromEntries(prefixes));
}

/** GET /messages/{id}/wait: waits again for write concern `rawW` (default: the append's own w). */
export async function waitForMessage(id: number, rawW: string | undefined): Promise<WaitOutcome & { w: number }> {
  const config = getConfig();
  let w: number | undefined;
  if (rawW !== undefined) {
    if (!/^\d+$/.test(rawW)) throw new BadRequestError(`w must be an integer from 1 to ${config.secondaries.length + 1}, got "${rawW}"`);
    w = parseWriteConcern(Number(rawW), config.secondaries.length);
  }
  const entry = await masterTable.get(id);
  if (!entry || entry.noop) throw new NotFoundError(`no message with id ${id}`);
  const concern = w ?? entry.w ?? 1;
  // Within the retention every ack is still there; past it some may be gone, and the watermarks
  // say who holds the entry, so the answer does not change when acks expire.
  const heldBy = concern > 1 && acksMayHaveExpired(entry.at, Date.now(), config.ackRetentionMs) ? await holdersByWatermark(id) : [];
  const outcome = await waitForWriteConcern(id, concern, config.waitTimeoutMs, heldBy);
  return { ...outcome, w: concern };
}
