import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients';
import { unprocessedRetryMs } from '../backoff';
import { chunks, forEachLimited, REQUESTS_AT_ONCE } from '../batches';

const BATCH = 25; // DynamoDB's BatchWriteItem limit

/**
 * Puts many items, 25 a request and several requests at once, retrying what DynamoDB leaves
 * unprocessed (with a short backoff, as its documentation asks).
 */
export async function putAll(tableName: string, items: Record<string, unknown>[]): Promise<void> {
  await forEachLimited(chunks(items, BATCH), REQUESTS_AT_ONCE, async (chunk) => {
    let requests = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 0) await sleep(unprocessedRetryMs(attempt));
      const out = await dynamo.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      if (attempt > 10 && requests.length > 0) throw new Error(`BatchWriteItem on ${tableName} left ${requests.length} items unprocessed`);
    }
  });
}
