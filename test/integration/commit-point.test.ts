import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, waitUntilTableExists, waitUntilTableNotExists } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { projectRoot } from '../../localstack/definition';
import { api, eventually, listSecondary } from '../support/api';
import { dynamo, snapshotLog, sqs, table, takeIdWithoutWriting } from '../support/aws';
import { freshSystem } from '../support/faults';
import { inject } from 'vitest';

// api.md: an append is committed once the master holds it. These tests break a real part of the
// stack (a queue, a table) for one request, and put it back exactly as it was.

const SETTABLE_QUEUE_ATTRIBUTES = ['VisibilityTimeout', 'MessageRetentionPeriod', 'RedrivePolicy', 'DelaySeconds', 'MaximumMessageSize', 'ReceiveMessageWaitTimeSeconds'];

/** Deletes a queue for the duration of `act`, then creates it again with its attributes. */
async function withoutQueue<T>(name: string, act: () => Promise<T>): Promise<T> {
  const QueueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
  const all = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes ?? {};
  const Attributes = Object.fromEntries(Object.entries(all).filter(([k]) => SETTABLE_QUEUE_ATTRIBUTES.includes(k)));
  await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  try {
    return await act();
  } finally {
    await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes }));
  }
}

/** Deletes the counter table for the duration of `act`, then creates it again holding the same count. */
async function withoutCounterTable<T>(act: () => Promise<T>): Promise<T> {
  const TableName = table('counter');
  const client = new DynamoDBClient({ endpoint: inject('awsEndpoint'), region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const item = (await dynamo.send(new GetCommand({ TableName, Key: { name: 'log' }, ConsistentRead: true }))).Item;
  await client.send(new DeleteTableCommand({ TableName }));
  await waitUntilTableNotExists({ client, maxWaitTime: 30 }, { TableName });
  try {
    return await act();
  } finally {
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'name', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }],
      }),
    );
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName });
    if (item) await dynamo.send(new PutCommand({ TableName, Item: item }));
    client.destroy();
  }
}

/** The functions' log lines (JSON) written so far by the test stack. */
function stackLog(): Array<Record<string, unknown>> {
  return readFileSync(join(projectRoot, 'test-output', 'stack.log'), 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

describe('the commit point: the master write', () => {
  beforeAll(freshSystem, 60_000);

  it('a replicate job that cannot be sent is logged and healed at once: the append still answers 201 with w=N+1', async () => {
    // Prepare: s1's replicate queue is gone, so the fan-out's send to s1 fails.
    const res = await withoutQueue('replog-local-replicate-s1', async () => {
      // Act
      return api('POST', '/append', { body: { msg: 'rocket 🚀 while s1 has no queue', w: 3 } });
    });

    // Assert: committed → 201 with every node holding it (s1 through the catch-up of this id).
    expect(res.status).toBe(201);
    const id = res.body.id as number;
    expect(res.body).toEqual({ id, msg: 'rocket 🚀 while s1 has no queue', w: 3, acks: 3 });
    expect((await listSecondary('s1')).body.messages).toContainEqual({ id, msg: 'rocket 🚀 while s1 has no queue' });
    const logged = await eventually(
      async () => stackLog().filter((l) => l.level === 'ERROR' && l.id === id && l.secondary === 's1'),
      (lines) => lines.length > 0,
    );
    expect(logged[0]?.message).toMatch(/replicate job not sent/);
    // The queue is back: the next append goes through it as usual.
    expect((await api('POST', '/append', { body: { msg: 'after', w: 3 } })).status).toBe(201);
  }, 30_000);

  it('when the catch-up request cannot be sent either, the append still answers and the repair pass heals the entry', async () => {
    // Prepare: neither s1's replicate queue nor the repair queue exists.
    const res = await withoutQueue('replog-local-replicate-s1', () =>
      withoutQueue('replog-local-repair', () =>
        // Act
        api('POST', '/append', { body: { msg: 'no queue at all 😀', w: 2 } }),
      ),
    );

    // Assert: committed (s2 holds it); both failures logged with the id and the secondary.
    expect(res).toMatchObject({ status: 201, body: { msg: 'no queue at all 😀', w: 2, acks: 2 } });
    const id = res.body.id as number;
    const logged = await eventually(
      async () => stackLog().filter((l) => l.level === 'ERROR' && l.id === id && l.secondary === 's1').map((l) => String(l.message)),
      (lines) => lines.length >= 2,
    );
    expect(logged).toEqual([expect.stringMatching(/replicate job not sent/), expect.stringMatching(/catch-up request not sent either/)]);
    // The next entry s1 receives shows it the gap; the repair pass it asks for copies the entry.
    expect((await api('POST', '/append', { body: { msg: 'next', w: 1 } })).status).toBe(201);
    const s1 = await eventually(() => listSecondary('s1'), (r) => r.body.messages.some((m) => m.id === id), 20_000);
    expect(s1.body.messages).toContainEqual({ id, msg: 'no queue at all 😀' });
  }, 40_000);

  it('a failure before the master write (the counter is gone) answers 503 with Retry-After and stores nothing', async () => {
    // Prepare
    const before = await snapshotLog();

    // Act
    const res = await withoutCounterTable(() => api('POST', '/append', { body: { msg: 'never stored', w: 1 } }));

    // Assert
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: expect.stringMatching(/^could not take an id from the counter, so the message was not stored; retry/) });
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await snapshotLog()).toEqual(before);
    // Restored: the retry the answer asks for succeeds, with the next id.
    const retry = await api('POST', '/append', { body: { msg: 'never stored', w: 1 } });
    expect(retry.status).toBe(201);
  }, 60_000);

  it('applies a replicate job queued in the format before base64 (msg as a JSON string)', async () => {
    // Prepare: an entry the master holds whose job was queued by the previous version.
    const id = await takeIdWithoutWriting();
    const msg = 'queued before the change: grüße \u2028 done';
    await dynamo.send(new PutCommand({ TableName: table('master'), Item: { log: 'main', id, msg, w: 1, at: Date.now() } }));
    const QueueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: 'replog-local-replicate-s1' }))).QueueUrl as string;

    // Act
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ id, msg }) }));

    // Assert
    const s1 = await eventually(() => listSecondary('s1'), (r) => r.body.messages.some((m) => m.id === id));
    expect(s1.body.messages).toContainEqual({ id, msg });
  });
});
