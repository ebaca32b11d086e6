import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients';
import { unlessConditionFails } from './conditional-write';
import { putAll } from './batch-write';
import { insertEach, type InsertOutcome } from './conditional-insert';
import type { LogEntry, LogSlot } from '../log-entry';

// Master and secondary tables share one shape: a single partition "log" sorted by numeric id,
// so reading the log in order is one Query, never a Scan and a sort.
const PARTITION = 'main';

interface LogItem {
  log: string;
  id: number;
  msg?: string;
  noop?: boolean;
  w?: number;
  at?: number;
}

/** Ids after `after` (and up to `upTo`), oldest first unless `newestFirst`, at most `limit` entries. */
export interface LogRange {
  after: number;
  upTo?: number;
  newestFirst?: boolean;
  limit?: number;
}

function toSlot(item: Record<string, unknown>): LogSlot {
  const it = item as unknown as LogItem;
  return { id: it.id, ...(it.noop ? { noop: true as const } : {}), ...(it.at === undefined ? {} : { at: it.at }) };
}

function toEntry(item: Record<string, unknown>): LogEntry {
  const it = item as unknown as LogItem;
  const at = it.at === undefined ? {} : { at: it.at };
  return it.noop ? { id: it.id, noop: true, ...at } : { id: it.id, msg: it.msg ?? '', ...(it.w ? { w: it.w } : {}), ...at };
}

export interface LogTable {
  /** Writes the entry unless its id is taken; true when this call stored it. */
  putIfAbsent(entry: LogEntry): Promise<boolean>;
  /** The same for many entries in as few requests as DynamoDB allows; an outcome per entry, in order. */
  insertEach(entries: readonly LogEntry[]): Promise<InsertOutcome[]>;
  /**
   * Writes copies of entries already decided elsewhere (catch-up from the master): unconditional,
   * since an id's entry never changes, so overwriting a copy with the same entry is harmless.
   */
  putCopies(entries: readonly LogEntry[]): Promise<void>;
  get(id: number): Promise<LogEntry | undefined>;
  /**
   * The entries of `range`, read by as many Queries as it takes (DynamoDB answers at most 1 MB
   * each: a dozen large messages), one batch per Query. Stop iterating and nothing more is read.
   */
  entries(range: LogRange): AsyncGenerator<LogEntry[]>;
  /** The same without the message text (a projection): prefix scans, hole finding, catch-up. */
  slots(range: LogRange): AsyncGenerator<LogSlot[]>;
}

/** Everything a batch generator yields, joined. */
export async function readAll<T>(batches: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const batch of batches) all.push(...batch);
  return all;
}

export function logTable(tableName: string): LogTable {
  return {
    async putIfAbsent(entry) {
      const stored = await unlessConditionFails(() =>
        dynamo.send(
          new PutCommand({
            TableName: tableName,
            Item: { log: PARTITION, ...entry, at: Date.now() },
            ConditionExpression: 'attribute_not_exists(id)',
          }),
        ),
      );
      return stored !== undefined;
    },
    insertEach(entries) {
      const at = Date.now();
      return insertEach(entries.map((entry) => ({ table: tableName, item: { log: PARTITION, ...entry, at } })));
    },
    async putCopies(entries) {
      const at = Date.now();
      await putAll(
        tableName,
        entries.map((e) => (e.noop ? { log: PARTITION, id: e.id, noop: true, at } : { log: PARTITION, id: e.id, msg: e.msg, at })),
      );
    },
    async get(id) {
      const out = await dynamo.send(
        new GetCommand({ TableName: tableName, Key: { log: PARTITION, id }, ConsistentRead: true }),
      );
      return out.Item ? toEntry(out.Item) : undefined;
    },
    entries: (range) => readRange(tableName, range, toEntry),
    slots: (range) => readRange(tableName, range, toSlot, 'id, noop, #at'),
  };
}

async function* readRange<T>(tableName: string, range: LogRange, convert: (item: Record<string, unknown>) => T, projection?: string): AsyncGenerator<T[]> {
  const { after, upTo, newestFirst = false, limit = Infinity } = range;
  const bounded = upTo !== undefined;
  let left = limit;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamo.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: bounded ? '#log = :log AND id BETWEEN :from AND :upTo' : '#log = :log AND id > :after',
        // LOG and AT are DynamoDB reserved words.
        ExpressionAttributeNames: { '#log': 'log', ...(projection?.includes('#at') ? { '#at': 'at' } : {}) },
        ExpressionAttributeValues: bounded ? { ':log': PARTITION, ':from': after + 1, ':upTo': upTo } : { ':log': PARTITION, ':after': after },
        ...(projection ? { ProjectionExpression: projection } : {}),
        ScanIndexForward: !newestFirst,
        ConsistentRead: true,
        ExclusiveStartKey: start,
        ...(Number.isFinite(left) ? { Limit: left } : {}),
      }),
    );
    const items = (out.Items ?? []).map(convert);
    left -= items.length;
    if (items.length > 0) yield items;
    start = out.LastEvaluatedKey;
  } while (start && left > 0);
}
