import { setTimeout as sleep } from 'node:timers/promises';
import { BatchExecuteStatementCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients';
import { unlessConditionFails } from './conditional-write';
import { classifyStatement, insertStatement, STATEMENTS_PER_REQUEST, type Insert, type InsertOutcome } from './insert-statements';
import { unprocessedRetryMs } from '../backoff';
import { chunks, forEachLimited, REQUESTS_AT_ONCE } from '../batches';

export type { Insert, InsertOutcome } from './insert-statements';

const ATTEMPTS = 6;

/** One item: a conditional PutItem (for a single item it costs DynamoDB less work than a statement). */
async function insertOne({ table, item }: Insert): Promise<InsertOutcome> {
  const key = Object.keys(item)[0] as string;
  const put = new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(#k)', ExpressionAttributeNames: { '#k': key } });
  return (await unlessConditionFails(() => dynamo.send(put))) ? 'inserted' : 'exists';
}

/**
 * Writes each item unless its key is taken — a conditional put per item — in as few requests as
 * DynamoDB allows: one BatchExecuteStatement per 25, across tables (a single item is one
 * conditional PutItem). Each item succeeds or fails on its own; the outcomes come back in the
 * order of `inserts`. Throws only if a request as a whole fails (then none of its items is known
 * to be written). The first attribute of each item must be part of its key.
 */
export async function insertEach(inserts: readonly Insert[]): Promise<InsertOutcome[]> {
  if (inserts.length === 1) return [await insertOne(inserts[0] as Insert)];
  const outcomes: InsertOutcome[] = new Array<InsertOutcome>(inserts.length);
  const slices = chunks(
    inserts.map((insert, index) => ({ insert, index })),
    STATEMENTS_PER_REQUEST,
  );
  await forEachLimited(slices, REQUESTS_AT_ONCE, async (slice) => {
    let pending = slice;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(unprocessedRetryMs(attempt));
      const out = await dynamo.send(new BatchExecuteStatementCommand({ Statements: pending.map((p) => insertStatement(p.insert)) }));
      const retry: typeof pending = [];
      pending.forEach((p, i) => {
        const error = out.Responses?.[i]?.Error;
        const outcome = classifyStatement(error);
        if (outcome !== 'retry') outcomes[p.index] = outcome;
        else if (attempt + 1 < ATTEMPTS) retry.push(p);
        else outcomes[p.index] = { failed: `${error?.Code}: still failing after ${ATTEMPTS} attempts` };
      });
      pending = retry;
    }
  });
  return outcomes;
}
