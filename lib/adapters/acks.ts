import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients';
import { putAll } from './batch-write';
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

/** Records that `node` holds each of `ids` (catch-up writes them in bulk). */
export async function recordAcks(ids: readonly number[], node: string): Promise<void> {
  const at = Date.now();
  await putAll(tables.acks, ids.map((id) => ({ id, node, at })));
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
