import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients';
import { getConfig } from '../config';

const { tables } = getConfig();

/** Records that `node` holds entry `id`. Writing the same ack twice changes nothing. */
export async function recordAck(id: number, node: string): Promise<void> {
  await dynamo.send(new PutCommand({ TableName: tables.acks, Item: { id, node, at: Date.now() } }));
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
