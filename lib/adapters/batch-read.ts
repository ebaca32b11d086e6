import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients';
import { chunks, forEachLimited, REQUESTS_AT_ONCE } from '../batches';

const BATCH_GET_KEYS = 100; // DynamoDB's BatchGetItem limit

/** Which attributes to read (all when omitted). */
export interface Projection {
  ProjectionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
}

/**
 * Reads the items of `keys` that exist, consistently: one BatchGetItem per 100 keys, several at
 * once, asking again for the keys DynamoDB leaves unprocessed. In no particular order.
 */
export async function getAll(tableName: string, keys: readonly Record<string, unknown>[], projection?: Projection): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  await forEachLimited(chunks(keys, BATCH_GET_KEYS), REQUESTS_AT_ONCE, async (slice) => {
    let pending = slice;
    while (pending.length > 0) {
      const out = await dynamo.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true, ...projection } } }));
      items.push(...(out.Responses?.[tableName] ?? []));
      pending = (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
  });
  return items;
}
