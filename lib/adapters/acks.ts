import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients';
import { getConfig } from '../config';

const { tables } = getConfig();

/**
 * Records that `node` holds entry `id`. Writing the same ack twice changes nothing: `at` keeps the
 * time of the first ack, which is when the write concern could first count it.
 */
export async function recordAck(id: number, node: string): Promise<void> {
  await dynamo.send(
    new UpdateCommand({
      TableName: tables.acks,
      Key: { id, node },
      UpdateExpression: 'SET #at = if_not_exists(#at, :now)',
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: { ':now': Date.now() },
    }),
  );
}

// Catch-up acks thousands of entries at once; this many conditional writes in flight keeps it
// quick without a batch write, which could not keep an earlier ack's time.
const ACK_CONCURRENCY = 32;

/** Records that `node` holds each of `ids`, keeping the time of any ack already written. */
export async function recordAcks(ids: readonly number[], node: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) await recordAck(ids[next++] as number, node);
  };
  await Promise.all(Array.from({ length: Math.min(ACK_CONCURRENCY, ids.length) }, worker));
}

/** The secondaries that have acknowledged entry `id` (consistent read). */
export async function listAckingNodes(id: number): Promise<string[]> {
  const out = await dynamo.send(
    new QueryCommand({
      TableName: tables.acks,
      KeyConditionExpression: 'id = :id',
      ExpressionAttributeValues: { ':id': id },
      ProjectionExpression: 'node',
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((item) => String(item.node));
}
