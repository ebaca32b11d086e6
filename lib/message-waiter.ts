import { masterTable } from './adapters/master-table';
import { waitForWriteConcern, type WaitOutcome } from './ack-waiter';
import { getConfig } from './config';
import { BadRequestError, NotFoundError } from './errors';
import { parseWriteConcern } from './validation';

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
  const outcome = await waitForWriteConcern(id, concern, config.waitTimeoutMs);
  return { ...outcome, w: concern };
}
