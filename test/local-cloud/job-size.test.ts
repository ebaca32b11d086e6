import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MAX_MSG_BYTES_CEILING } from '../../lib/config';
import { decodeJob, encodeJob, SQS_MAX_MESSAGE_BYTES } from '../../lib/job-codec';
import { messageText, textOfBytes, TRICKY_CHARS } from '../../scripts/checker/message-text';
import { useLocalCloud } from '../support/local-cloud';

// Replicate jobs on the real SQS emulator: what lib/adapters/queues.ts sends must be accepted
// and come back identical, for any text and at the largest REPLOG_MAX_MSG_BYTES.
const cloud = useLocalCloud();
let sqs: SQSClient;
let QueueUrl: string;

beforeAll(async () => {
  sqs = new SQSClient({ endpoint: cloud().endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  QueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'job-size' }))).QueueUrl as string;
});

afterAll(() => sqs?.destroy());

async function receiveAll(count: number): Promise<string[]> {
  const bodies: string[] = [];
  while (bodies.length < count) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of out.Messages ?? []) {
      bodies.push(m.Body as string);
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
    if ((out.Messages ?? []).length === 0) break;
  }
  return bodies;
}

describe('replicate jobs on the SQS emulator', () => {
  it('takes the worst-case job at REPLOG_MAX_MSG_BYTES=131072 and gives it back identical', async () => {
    // Prepare: 131072 bytes of 4-byte characters (the widest, and refused raw by the emulator), the widest id.
    const msg = fc.sample(textOfBytes(MAX_MSG_BYTES_CEILING, [4]), { seed: 9, numRuns: 1 })[0] as string;
    const body = encodeJob({ id: Number.MAX_SAFE_INTEGER, msg });

    // Act
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    const [received] = await receiveAll(1);

    // Assert
    console.log(`worst-case job at ${MAX_MSG_BYTES_CEILING} bytes: ${Buffer.byteLength(body)} bytes (SQS allows ${SQS_MAX_MESSAGE_BYTES})`);
    expect(Buffer.byteLength(body)).toBe(174_796);
    expect(received).toBe(body);
    expect(decodeJob(received as string)).toEqual({ id: Number.MAX_SAFE_INTEGER, msg });
  });

  it('takes every tricky character and generated text, and each job decodes to the identical message', async () => {
    // Prepare
    const messages = [...Object.values(TRICKY_CHARS), ...fc.sample(messageText({ maxBytes: 2048 }), { seed: 42, numRuns: 60 })];
    const bodies = messages.map((msg, id) => encodeJob({ id, msg }));

    // Act
    for (let i = 0; i < bodies.length; i += 10) {
      const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: `m${i + j}`, MessageBody })) }));
      expect(out.Failed ?? []).toEqual([]);
    }
    const received = await receiveAll(bodies.length);

    // Assert
    const decoded = new Map(received.map((b) => decodeJob(b)).map((j) => ['id' in j ? j.id : -1, 'msg' in j ? j.msg : undefined]));
    expect(decoded.size).toBe(messages.length);
    messages.forEach((msg, id) => expect(decoded.get(id)).toBe(msg));
  });
});
