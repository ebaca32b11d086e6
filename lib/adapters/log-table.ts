import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients';
import { unlessConditionFails } from './conditional-write';
import { putAll } from './batch-write';
import type { LogEntry } from '../log-entry';

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

function toEntry(item: Record<string, unknown>): LogEntry {
  const it = item as unknown as LogItem;
  const at = it.at === undefined ? {} : { at: it.at };
  return it.noop ? { id: it.id, noop: true, ...at } : { id: it.id, msg: it.msg ?? '', ...(it.w ? { w: it.w } : {}), ...at };
}

export interface LogTable {
  /** Writes the entry unless its id is taken; true when this call stored it. */
  putIfAbsent(entry: LogEntry): Promise<boolean>;
  /**
   * Writes copies of entries already decided elsewhere (catch-up from the master): unconditional,
   * since an id's entry never changes, so overwriting a copy with the same entry is harmless.
   */
  putCopies(entries: readonly LogEntry[]): Promise<void>;
  get(id: number): Promise<LogEntry | undefined>;
  /** Entries with id > after (and <= upTo if given), ascending, at most `limit`. */
  query(after: number, limit: number, upTo?: number): Promise<LogEntry[]>;
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
    async query(after, limit, upTo) {
      const bounded = upTo !== undefined;
      const out = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: bounded ? '#log = :log AND id BETWEEN :from AND :upTo' : '#log = :log AND id > :after',
          // LOG is a DynamoDB reserved word.
          ExpressionAttributeNames: { '#log': 'log' },
          ExpressionAttributeValues: bounded ? { ':log': PARTITION, ':from': after + 1, ':upTo': upTo } : { ':log': PARTITION, ':after': after },
          ConsistentRead: true,
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map(toEntry);
    },
  };
}
