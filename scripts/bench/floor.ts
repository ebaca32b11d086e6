/**
 * The floor: one append's storage work done with the SDK directly (no Lambda, no HTTP) — the
 * counter's UpdateItem ADD, the master's conditional PutItem and one SendMessage per secondary in
 * parallel, exactly as lib/adapters/{counter,log-table,queues}.ts do them, from clients set up like
 * lib/adapters/clients.ts's and sent where the functions send theirs. It runs against copies of the real tables and queues (same key
 * schema and queue attributes) created for the run and deleted after, so the log, its consumers
 * and its lists are untouched.
 */
import { Agent as HttpAgent } from 'node:http';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Outcome } from './stats';
import { encodeJob } from '../../lib/job-codec';

export interface Floor {
  /** One append's storage work; `i` only varies the message. */
  appendOnce(i: number): Promise<Outcome>;
  tables: string[];
  queues: number;
  /** Deletes the copies and closes the clients. */
  close(): Promise<void>;
}

export interface FloorOptions {
  awsEndpoint: string;
  /** Resource name prefix of the running stack, e.g. replog-local. */
  prefix: string;
  secondaries: readonly string[];
  msgBytes: number;
  /** Talk to DynamoDB / SQS at these endpoints instead of awsEndpoint (e.g. a backend behind the gateway). */
  dynamoEndpoint?: string;
  sqsEndpoint?: string;
  /** Name the copies apart when several floors exist at once. */
  tag?: string;
}

const region = 'us-east-1';
const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test' };

export async function createFloor(o: FloorOptions): Promise<Floor> {
  const requestHandler = { httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }) };
  const raw = new DynamoDBClient({ region, endpoint: o.dynamoEndpoint ?? o.awsEndpoint, credentials, requestHandler });
  const dynamo = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({ region, endpoint: o.sqsEndpoint ?? o.awsEndpoint, credentials, requestHandler, md5: false });
  const tag = `${o.prefix}-benchfloor-${process.pid}${o.tag ? `-${o.tag}` : ''}`;
  const counterTable = `${tag}-counter`;
  const masterTable = `${tag}-master`;
  const tables: string[] = [];
  const queueUrls: string[] = [];
  const close = async () => {
    await Promise.allSettled([
      ...tables.map((TableName) => raw.send(new DeleteTableCommand({ TableName }))),
      ...queueUrls.map((QueueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl }))),
    ]);
    raw.destroy();
    sqs.destroy();
    requestHandler.httpAgent.destroy();
  };
  try {
    for (const [real, copy] of [
      [`${o.prefix}-counter`, counterTable],
      [`${o.prefix}-master`, masterTable],
    ] as const) {
      const { Table } = await raw.send(new DescribeTableCommand({ TableName: real }));
      await raw.send(new CreateTableCommand({ TableName: copy, BillingMode: 'PAY_PER_REQUEST', KeySchema: Table?.KeySchema, AttributeDefinitions: Table?.AttributeDefinitions }));
      tables.push(copy);
      await waitUntilTableExists({ client: raw, maxWaitTime: 30 }, { TableName: copy });
    }
    for (const s of o.secondaries) {
      const { QueueUrl: realUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `${o.prefix}-replicate-${s}` }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: realUrl, AttributeNames: ['VisibilityTimeout', 'MessageRetentionPeriod'] }));
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${tag}-${s}`, Attributes }));
      queueUrls.push(QueueUrl as string);
    }
  } catch (err) {
    await close();
    throw err;
  }

  const pad = 'x'.repeat(o.msgBytes);
  return {
    tables,
    queues: queueUrls.length,
    close,
    async appendOnce(i) {
      const out = await dynamo.send(
        new UpdateCommand({
          TableName: counterTable,
          Key: { name: 'log' },
          UpdateExpression: 'ADD taken :one',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const id = Number(out.Attributes?.taken) - 1;
      const msg = `floor ${i} ${pad}`.slice(0, Math.max(1, o.msgBytes));
      await dynamo.send(
        new PutCommand({ TableName: masterTable, Item: { log: 'main', id, msg, w: 1, at: Date.now() }, ConditionExpression: 'attribute_not_exists(id)' }),
      );
      const MessageBody = encodeJob({ id, msg });
      await Promise.all(queueUrls.map((QueueUrl) => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody }))));
      return { ok: true };
    },
  };
}
