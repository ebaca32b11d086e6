import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients';
import { getConfig } from '../config';

const { tables } = getConfig();
const KEY = { name: 'log' };

/** Takes the next id from the atomic counter: ids start at 0 and are never handed out twice. */
export async function takeNextId(): Promise<number> {
  const out = await dynamo.send(
    new UpdateCommand({
      TableName: tables.counter,
      Key: KEY,
      UpdateExpression: 'ADD taken :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(out.Attributes?.taken) - 1;
}

