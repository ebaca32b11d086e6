import { getAll } from './batch-read';
import { putAll } from './batch-write';
import { insertEach, type InsertOutcome } from './conditional-insert';
import { getConfig } from '../config';
import { expiresAtSeconds } from '../retention';

const { tables, ackRetentionMs } = getConfig();

/**
 * Records that `node` holds each of `ids` (a replicate batch's entries): one conditional insert per
 * ack, in as few requests as DynamoDB allows, so an ack already there keeps its first time — `at`,
 * when the write concern could first count it; `expiresAt` (DynamoDB TTL) ends its retention. An
 * outcome per id, in order.
 */
export function insertAcks(ids: readonly number[], node: string): Promise<InsertOutcome[]> {
  const at = Date.now();
  const expiresAt = expiresAtSeconds(at, ackRetentionMs);
  return insertEach(ids.map((id) => ({ table: tables.acks, item: { id, node, at, expiresAt } })));
}

/**
 * Records that `node` holds each of `ids` (catch-up acks, thousands at once): a batch read finds
 * the acks already written, and only the missing ones are batch-written, so an earlier ack keeps
 * its time (a job acking in the instant between the two can see its time moved by milliseconds).
 * Not conditional inserts: DynamoDB Local takes ~3 times the CPU per item for a PartiQL insert
 * as for a BatchWriteItem put, which a catch-up of 10,000 entries would feel.
 */
export async function recordAcks(ids: readonly number[], node: string): Promise<void> {
  const acked = await ackingNodesOf(ids, [node]);
  const at = Date.now();
  const expiresAt = expiresAtSeconds(at, ackRetentionMs);
  const missing = ids.filter((id) => (acked.get(id) ?? []).length === 0);
  await putAll(tables.acks, missing.map((id) => ({ id, node, at, expiresAt })));
}

/**
 * Which of `nodes` have acknowledged each of `ids`, in consistent BatchGetItems of 100 keys, several
 * at once: every append waiting in this container is served by one read per poll, and a catch-up's
 * thousands of acks by a few rounds.
 */
export async function ackingNodesOf(ids: readonly number[], nodes: readonly string[]): Promise<Map<number, string[]>> {
  const acked = new Map<number, string[]>(ids.map((id) => [id, []]));
  const keys = ids.flatMap((id) => nodes.map((node) => ({ id, node })));
  const items = await getAll(tables.acks, keys, { ProjectionExpression: 'id, #node', ExpressionAttributeNames: { '#node': 'node' } });
  for (const item of items) acked.get(Number(item.id))?.push(String(item.node));
  return acked;
}
