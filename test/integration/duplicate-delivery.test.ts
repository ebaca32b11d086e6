import { beforeAll, describe, expect, it } from 'vitest';
import { listSecondary } from '../support/api';
import { resetLog } from '../support/aws';
import { TEST_PORTS } from '../support/test-stack';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:replog-local-replicate-s1';
let sequence = 0;

/** Invokes s1's consumer straight through the Lambda Invoke API, as its event source would. */
async function deliver(jobs: Array<{ id: number; msg: string }>): Promise<{ batchItemFailures: unknown[] }> {
  const Records = jobs.map((job) => ({
    messageId: `m-${sequence++}`,
    receiptHandle: `r-${sequence}`,
    body: JSON.stringify(job),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'test', ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  }));
  const res = await fetch(`http://127.0.0.1:${TEST_PORTS.lambdaPort}/2015-03-31/functions/replog-local-replicateS1/invocations`, {
    method: 'POST',
    body: JSON.stringify({ Records }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { batchItemFailures: unknown[] };
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('a secondary under duplicated, reordered delivery', () => {
  beforeAll(resetLog);

  it('shows each id once, in order, and nothing past a missing id', async () => {
    // Prepare: jobs 0..9, each twice, shuffled; id 6 held back.
    const jobs = Array.from({ length: 10 }, (_, id) => ({ id, msg: `job ${id}` }));
    const withoutSix = shuffle([...jobs, ...jobs].filter((j) => j.id !== 6));

    // Act: batches of up to 4, two of them at a time.
    const batches = Array.from({ length: Math.ceil(withoutSix.length / 4) }, (_, i) => withoutSix.slice(i * 4, i * 4 + 4));
    for (let i = 0; i < batches.length; i += 2) {
      const results = await Promise.all(batches.slice(i, i + 2).map(deliver));
      for (const r of results) expect(r.batchItemFailures).toEqual([]);
    }

    // Assert: the prefix stops at the gap.
    const partial = await listSecondary('s1');
    expect(partial.body.messages).toEqual(jobs.slice(0, 6));

    // Act: the missing job arrives, twice.
    await Promise.all([deliver([jobs[6]!]), deliver([jobs[6]!, jobs[2]!])]);

    // Assert
    const full = await listSecondary('s1');
    expect(full.body.messages).toEqual(jobs);
  });
});
