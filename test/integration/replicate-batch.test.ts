import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeJob } from '../../lib/job-codec';
import { listSecondary } from '../support/api';
import { dynamo, scanAll, table } from '../support/aws';
import { freshSystem, setFaults } from '../support/faults';
import { TEST_PORTS } from '../support/test-stack';
import { GetCommand } from '@aws-sdk/lib-dynamodb';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:replog-local-replicate-s1';
let sequence = 0;

/** A record as s1's event source builds it (`receives`: its ApproximateReceiveCount). */
function record(body: string, receives = 1) {
  const messageId = `batch-${sequence++}`;
  return {
    messageId,
    receiptHandle: `r-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: String(receives), SentTimestamp: String(Date.now()), SenderId: 'test', ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

/** Invokes s1's consumer with one batch through the Lambda Invoke API; returns the failed message ids. */
async function deliver(records: ReturnType<typeof record>[]): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${TEST_PORTS.lambdaPort}/2015-03-31/functions/replog-local-replicateS1/invocations`, {
    method: 'POST',
    body: JSON.stringify({ Records: records }),
  });
  expect(res.status).toBe(200);
  const out = (await res.json()) as { batchItemFailures: Array<{ itemIdentifier: string }> };
  return out.batchItemFailures.map((f) => f.itemIdentifier).sort();
}

const job = (id: number, msg = `job ${id}`, receives = 1) => record(encodeJob({ id, msg }), receives);
const storedIds = async () => (await scanAll(table('secondary-s1'))).map((i) => Number(i.id)).sort((a, b) => a - b);
const ackedIds = async () =>
  (await scanAll(table('acks')))
    .filter((a) => a.node === 's1')
    .map((a) => Number(a.id))
    .sort((a, b) => a - b);
const ackAt = async (id: number) => (await dynamo.send(new GetCommand({ TableName: table('acks'), Key: { id, node: 's1' }, ConsistentRead: true }))).Item?.at;

describe('the replicate consumer writes a batch at once and reports failures per record', () => {
  beforeEach(freshSystem);
  afterEach(() => setFaults('s1', { down: false, delayMs: 0, errorRate: 0 }));

  it('stores and acks every job of a batch, and reports only the one whose entry could not be written', async () => {
    // Prepare: ids 0–4 (id 2 twice), a heartbeat, a body that is no job, and id 5 with a message
    // over DynamoDB's 400 KB item limit, so its write fails on its own.
    const tooLarge = job(5, 'x'.repeat(420_000));
    const batch = [job(0), job(1), job(2), job(2), job(3), record(encodeJob({ heartbeat: Date.now() })), record('not a job'), tooLarge, job(4)];

    // Act
    const failed = await deliver(batch);

    // Assert
    expect(failed).toEqual([tooLarge.messageId]);
    expect(await storedIds()).toEqual([0, 1, 2, 3, 4]);
    expect(await ackedIds()).toEqual([0, 1, 2, 3, 4]);
    expect((await listSecondary('s1')).body.messages).toEqual([0, 1, 2, 3, 4].map((id) => ({ id, msg: `job ${id}` })));
  });

  it('changes nothing on redelivery: an ack keeps its first time, and a stored entry its text', async () => {
    // Prepare
    expect(await deliver([job(0), job(1)])).toEqual([]);
    const first = await ackAt(1);

    // Act: id 1 again (with other text, which must not replace the stored one), plus a new id.
    await new Promise((r) => setTimeout(r, 20));
    const failed = await deliver([job(1, 'changed'), job(2)]);

    // Assert
    expect(failed).toEqual([]);
    expect(await ackAt(1)).toBe(first);
    expect((await listSecondary('s1')).body.messages).toEqual([0, 1, 2].map((id) => ({ id, msg: `job ${id}` })));
  });

  it('on redelivery, leaves a job already acked as it is and stores one that is not', async () => {
    // Prepare: ids 0 and 1 stored and acked on a first delivery.
    expect(await deliver([job(0), job(1)])).toEqual([]);
    const first = await ackAt(0);

    // Act: both again as retries (their first attempts "failed"), with a new id 2 also retried.
    const failed = await deliver([job(0, 'job 0', 3), job(1, 'job 1', 2), job(2, 'job 2', 2)]);

    // Assert
    expect(failed).toEqual([]);
    expect(await ackAt(0)).toBe(first);
    expect(await storedIds()).toEqual([0, 1, 2]);
    expect(await ackedIds()).toEqual([0, 1, 2]);
  });

  it('fails every job of the batch after storing at errorRate 1, and none is lost', async () => {
    // Prepare
    await setFaults('s1', { errorRate: 1 });
    const batch = [job(0), job(1), record(encodeJob({ heartbeat: Date.now() }))];

    // Act
    const failed = await deliver(batch);

    // Assert: both jobs go back to the queue, though stored and acked (a retry finds them held).
    expect(failed).toEqual([batch[0]?.messageId, batch[1]?.messageId].sort());
    expect(await storedIds()).toEqual([0, 1]);
    expect(await ackedIds()).toEqual([0, 1]);
  });

  it('stores nothing while down and retries every job, not the heartbeats', async () => {
    // Prepare
    await setFaults('s1', { down: true });
    const beat = Date.now();
    const batch = [job(0), record(encodeJob({ heartbeat: beat })), job(1)];

    // Act
    const failed = await deliver(batch);

    // Assert
    expect(failed).toEqual([batch[0]?.messageId, batch[2]?.messageId].sort());
    expect(await storedIds()).toEqual([]);
    expect(await ackedIds()).toEqual([]);
    const recorded = (await dynamo.send(new GetCommand({ TableName: table('control'), Key: { pk: 'hb#s1' }, ConsistentRead: true }))).Item?.lastBeat;
    expect(recorded === undefined || recorded < beat).toBe(true);
  });
});
