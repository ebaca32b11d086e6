import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getAll } from './batch-read';
import { dynamo } from './clients';
import { unlessConditionFails } from './conditional-write';
import { getConfig } from '../config';
import { NO_FAULTS, type Faults } from '../faults';
import { expiresAtSeconds, isExpired } from '../retention';

// The control table holds small per-node and per-request records, one item each, keyed by
// "<kind>#<name>": applied prefixes, idempotency keys, faults, heartbeats.
const { tables, ackRetentionMs } = getConfig();
const TableName = tables.control;

async function getItem(pk: string): Promise<Record<string, unknown> | undefined> {
  const out = await dynamo.send(new GetCommand({ TableName, Key: { pk }, ConsistentRead: true }));
  return out.Item;
}

/** Highest id of `node`'s gap-free prefix as last recorded, -1 when nothing is applied. */
export async function readAppliedPrefix(node: string): Promise<number> {
  const item = await getItem(`prefix#${node}`);
  return typeof item?.applied === 'number' ? item.applied : -1;
}

/** Raises the recorded prefix of `node` to `applied`; never lowers it (concurrent readers race here). */
export async function raiseAppliedPrefix(node: string, applied: number): Promise<void> {
  await unlessConditionFails(() =>
    dynamo.send(
      new UpdateCommand({
        TableName,
        Key: { pk: `prefix#${node}` },
        UpdateExpression: 'SET applied = :applied',
        ConditionExpression: 'attribute_not_exists(applied) OR applied < :applied',
        ExpressionAttributeValues: { ':applied': applied },
      }),
    ),
  );
}

export interface IdempotencyRecord {
  id: number;
  msg: string;
  w: number;
}

/**
 * Binds `key` to the append `record` unless another request bound it first; returns the record
 * the key is bound to afterwards (this one, or the earlier one). A key is remembered for the
 * retention (REPLOG_ACK_RETENTION_HOURS), and never longer than the acks of its append, so a
 * retry is always answered from acks that still exist; after that it counts as a new key.
 */
export async function bindIdempotencyKey(key: string, record: IdempotencyRecord): Promise<IdempotencyRecord> {
  const pk = `idem#${key}`;
  const now = Date.now();
  const bound = await unlessConditionFails(() =>
    dynamo.send(
      new PutCommand({
        TableName,
        Item: { pk, ...record, expiresAt: expiresAtSeconds(now, ackRetentionMs) },
        // An expired record that TTL has not deleted yet is free to take.
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': Math.floor(now / 1000) },
      }),
    ),
  );
  if (bound) return record;
  const existing = await findIdempotencyKey(key);
  // The key itself is the client's secret-ish token: never in a message that may be logged.
  if (!existing) throw new Error('an Idempotency-Key was bound and released while binding; retry');
  return existing;
}

export async function findIdempotencyKey(key: string): Promise<IdempotencyRecord | undefined> {
  const item = await getItem(`idem#${key}`);
  if (!item || isExpired(item.expiresAt, Date.now())) return undefined;
  return { id: Number(item.id), msg: String(item.msg), w: Number(item.w) };
}

/**
 * Unbinds a key from `id`, an id that will never hold its message (lost to a hole filler, or
 * claimed with a no-op after a failed write), so the next attempt can bind a new id. A key bound
 * to another id meanwhile is left alone.
 */
export async function releaseIdempotencyKey(key: string, id: number): Promise<void> {
  await unlessConditionFails(() =>
    dynamo.send(new DeleteCommand({ TableName, Key: { pk: `idem#${key}` }, ConditionExpression: 'id = :id', ExpressionAttributeValues: { ':id': id } })),
  );
}

/** The faults stored for `secondary` (none by default). */
export async function readFaults(secondary: string): Promise<Faults> {
  const item = await getItem(`faults#${secondary}`);
  if (!item) return { ...NO_FAULTS };
  return { down: item.down === true, delayMs: Number(item.delayMs ?? 0), errorRate: Number(item.errorRate ?? 0) };
}

export async function writeFaults(secondary: string, faults: Faults): Promise<void> {
  await dynamo.send(new PutCommand({ TableName, Item: { pk: `faults#${secondary}`, ...faults, updatedAt: Date.now() } }));
}

/**
 * Records a heartbeat sent at `sentAt` for `secondary` unless a later one is recorded already;
 * returns the previously recorded beat (undefined if none, or if this one is not newer).
 */
export async function recordHeartbeat(secondary: string, sentAt: number): Promise<{ recorded: boolean; previous?: number }> {
  const out = await unlessConditionFails(() =>
    dynamo.send(
      new UpdateCommand({
        TableName,
        Key: { pk: `hb#${secondary}` },
        UpdateExpression: 'SET lastBeat = :beat',
        ConditionExpression: 'attribute_not_exists(lastBeat) OR lastBeat < :beat',
        ExpressionAttributeValues: { ':beat': sentAt },
        ReturnValues: 'ALL_OLD',
      }),
    ),
  );
  if (!out) return { recorded: false };
  const previous = out.Attributes?.lastBeat;
  return { recorded: true, ...(typeof previous === 'number' ? { previous } : {}) };
}

/** Last recorded heartbeat of each secondary (undefined: never), and since when beats are sent: one consistent batch read. */
export async function readHeartbeats(secondaries: readonly string[]): Promise<{ beats: Record<string, number | undefined>; monitoringSince?: number }> {
  const keys = ['hb-sender', ...secondaries.map((s) => `hb#${s}`)];
  const items = new Map((await getAll(TableName, keys.map((pk) => ({ pk })))).map((item) => [String(item.pk), item]));
  const beatOf = (pk: string) => (typeof items.get(pk)?.lastBeat === 'number' ? (items.get(pk)?.lastBeat as number) : undefined);
  const beats = Object.fromEntries(secondaries.map((s) => [s, beatOf(`hb#${s}`)]));
  const startedAt = items.get('hb-sender')?.startedAt;
  return { beats, ...(typeof startedAt === 'number' ? { monitoringSince: startedAt } : {}) };
}

/** Notes when heartbeats were first sent: a secondary never heard from since is judged by it. */
export async function markHeartbeatsStarted(at: number): Promise<void> {
  await unlessConditionFails(() =>
    dynamo.send(new PutCommand({ TableName, Item: { pk: 'hb-sender', startedAt: at }, ConditionExpression: 'attribute_not_exists(pk)' })),
  );
}

/**
 * Takes a short lease named `name` unless someone holds it: one catch-up per secondary at a time
 * (several requests for it arrive together). Returns a release function, or undefined if taken.
 */
export async function takeLease(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
  const now = Date.now();
  const pk = `lease#${name}`;
  const taken = await unlessConditionFails(() =>
    dynamo.send(
      new PutCommand({
        TableName,
        Item: { pk, until: now + ttlMs, expiresAt: Math.ceil((now + ttlMs) / 1000) + 60 },
        ConditionExpression: 'attribute_not_exists(pk) OR #until < :now',
        ExpressionAttributeNames: { '#until': 'until' },
        ExpressionAttributeValues: { ':now': now },
      }),
    ),
  );
  if (!taken) return undefined;
  return async () => {
    await dynamo.send(new DeleteCommand({ TableName, Key: { pk } }));
  };
}
