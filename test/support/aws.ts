import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, ListQueuesCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { eventually } from './api';

// Direct access to the test stack's emulators, for preparing states the API cannot make
// (a hole) and for checking what is stored. Never used to stand in for the system under test.
const endpoint = inject('awsEndpoint');
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const dynamoClient = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
export const dynamo = DynamoDBDocumentClient.from(dynamoClient);
export const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials });

export const table = (name: string) => `replog-local-${name}`;

export async function scanAll(tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamo.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Takes an id from the counter and writes nothing: what an append that died mid-way leaves. */
export async function takeIdWithoutWriting(): Promise<number> {
  const out = await dynamo.send(
    new UpdateCommand({
      TableName: table('counter'),
      Key: { name: 'log' },
      UpdateExpression: 'ADD taken :one',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(out.Attributes?.taken) - 1;
}

/**
 * What the log holds, as a client could ever see it: the counter, the master, every secondary,
 * the acks and the Idempotency-Key records (not heartbeats, prefixes or leases, which change by
 * themselves). Equal snapshots before and after a request: it stored nothing.
 */
export async function snapshotLog(secondaries = ['s1', 's2']): Promise<Record<string, unknown[]>> {
  const names = ['counter', 'master', 'acks', ...secondaries.map((s) => `secondary-${s}`)];
  const [control, ...items] = await Promise.all([scanAll(table('control')), ...names.map((n) => scanAll(table(n)))]);
  const byKey = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(a).localeCompare(JSON.stringify(b));
  const snapshot: Record<string, unknown[]> = Object.fromEntries(names.map((n, i) => [n, (items[i] ?? []).sort(byKey)]));
  snapshot.idempotencyKeys = control.filter((item) => String(item.pk).startsWith('idem#')).sort(byKey);
  return snapshot;
}

const KEYS: Record<string, string[]> = { counter: ['name'], acks: ['id', 'node'], control: ['pk'] };

/** Empties every replog table and queue, so a test file starts from an empty log (ids from 0). */
export async function resetLog(): Promise<void> {
  const queues = (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'replog-local-' }))).QueueUrls ?? [];
  await awaitRepairsAskedFor(queues.find((url) => url.endsWith('-repair')));
  await Promise.all(queues.map((QueueUrl) => sqs.send(new PurgeQueueCommand({ QueueUrl }))));
  const names = ((await dynamoClient.send(new ListTablesCommand({}))).TableNames ?? []).filter((n) => n.startsWith('replog-local-'));
  // The control table last: a reader that saw the log before it was emptied may record its
  // applied prefix meanwhile, and that record must go too.
  const control = table('control');
  await emptyTables(names.filter((n) => n !== control));
  await emptyTables(names.filter((n) => n === control));
}

/**
 * Lets the repair passes already asked for run before the log is emptied (for at most 15 s). A
 * secondary that asked for one counts on it for the gaps it sees in the next second
 * (lib/repair.ts), so purging it would leave the next test's first gap to the scheduled pass, a
 * minute later.
 */
async function awaitRepairsAskedFor(repairQueueUrl: string | undefined): Promise<void> {
  if (!repairQueueUrl) return;
  const counts = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;
  const pending = async () => {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: repairQueueUrl, AttributeNames: [...counts] }));
    return counts.reduce((sum, name) => sum + Number(Attributes[name] ?? 0), 0);
  };
  await eventually(pending, (n) => n === 0, 15_000);
}

async function emptyTables(names: string[]): Promise<void> {
  await Promise.all(
    names.map(async (name) => {
      const keyNames = KEYS[name.replace('replog-local-', '')] ?? ['log', 'id'];
      const items = await scanAll(name);
      for (let i = 0; i < items.length; i += 25) {
        const chunk = items.slice(i, i + 25);
        await dynamo.send(
          new BatchWriteCommand({
            RequestItems: {
              [name]: chunk.map((item) => ({ DeleteRequest: { Key: Object.fromEntries(keyNames.map((k) => [k, item[k]])) } })),
            },
          }),
        );
      }
    }),
  );
}
