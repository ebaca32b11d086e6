/**
 * The floor: one append's storage work done with the SDK directly (no Lambda, no HTTP) — the
 * counter's UpdateItem ADD, the master's conditional PutItem and one SendMessage per secondary in
 * parallel, exactly as lib/adapters/{counter,log-table,queues}.ts do them. It runs against copies
 * of the real tables and queues (same key schema and attributes) created for the run and deleted
 * after, so the log, its consumers and its lists are untouched.
 */
import { Agent as HttpAgent } from 'node:http';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { runClosedLoop, runSequential, type Summary, type Throughput } from './stats';

export interface FloorResult {
  sequential: Summary;
  parallel: Throughput;
  tables: string[];
  queues: number;
}

export interface FloorOptions {
  awsEndpoint: string;
  /** Resource name prefix of the running stack, e.g. replog-local. */
  prefix: string;
  secondaries: readonly string[];
  samples: number;
  clients: number;
  msgBytes: number;
  timeLimitMs: number;
  warmup: number;
  log: (line: string) => void;
  /** Wraps each measured run (e.g. to account the CPU it used); `ops` is its operation count. */
  account?: <T>(name: string, ops: (result: T) => number, run: () => Promise<T>) => Promise<T>;
}

const region = 'us-east-1';
const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test' };

export async function measureFloor(o: FloorOptions): Promise<FloorResult> {
  // The same client setup as lib/adapters/clients.ts: keep-alive, one client per process.
  const requestHandler = { httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }) };
  const raw = new DynamoDBClient({ region, endpoint: o.awsEndpoint, credentials, requestHandler });
  const dynamo = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({ region, endpoint: o.awsEndpoint, credentials, requestHandler });
  const tag = `${o.prefix}-benchfloor-${process.pid}`;
  const counterTable = `${tag}-counter`;
  const masterTable = `${tag}-master`;
  const createdTables: string[] = [];
  const queueUrls: string[] = [];
  try {
    // Copy the real tables' key schema, so the floor writes items of the same shape.
    for (const [real, copy] of [
      [`${o.prefix}-counter`, counterTable],
      [`${o.prefix}-master`, masterTable],
    ] as const) {
      const { Table } = await raw.send(new DescribeTableCommand({ TableName: real }));
      await raw.send(
        new CreateTableCommand({
          TableName: copy,
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: Table?.KeySchema,
          AttributeDefinitions: Table?.AttributeDefinitions,
        }),
      );
      createdTables.push(copy);
      await waitUntilTableExists({ client: raw, maxWaitTime: 30 }, { TableName: copy });
    }
    for (const s of o.secondaries) {
      const { QueueUrl: realUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `${o.prefix}-replicate-${s}` }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: realUrl, AttributeNames: ['VisibilityTimeout', 'MessageRetentionPeriod'] }),
      );
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${tag}-${s}`, Attributes }));
      queueUrls.push(QueueUrl as string);
    }

    const pad = 'x'.repeat(Math.max(0, o.msgBytes - 16));
    const appendOnce = async (i: number) => {
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
      const msg = `floor ${i} ${pad}`.slice(0, Math.max(o.msgBytes, 1));
      await dynamo.send(
        new PutCommand({
          TableName: masterTable,
          Item: { log: 'main', id, msg, w: 1, at: Date.now() },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      const body = JSON.stringify({ id, msg });
      await Promise.all(queueUrls.map((QueueUrl) => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }))));
      return { ok: true };
    };

    o.log(`floor: warm-up (${o.warmup})`);
    await runSequential(o.warmup, o.timeLimitMs, appendOnce);
    const account = o.account ?? ((_name, _ops, run) => run());
    o.log(`floor: ${o.samples} sequential`);
    const sequential = await account('floor sequential', (r) => r.latency.n, () => runSequential(o.samples, o.timeLimitMs, appendOnce));
    o.log(`floor: ${o.samples} with ${o.clients} parallel clients`);
    const parallel = await account(`floor ${o.clients} clients`, (r) => r.completed, () => runClosedLoop(o.clients, o.samples, o.timeLimitMs, appendOnce));
    return { sequential: sequential.latency, parallel, tables: createdTables, queues: queueUrls.length };
  } finally {
    await Promise.allSettled([
      ...createdTables.map((TableName) => raw.send(new DeleteTableCommand({ TableName }))),
      ...queueUrls.map((QueueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl }))),
    ]);
    raw.destroy();
    sqs.destroy();
    requestHandler.httpAgent.destroy();
  }
}
