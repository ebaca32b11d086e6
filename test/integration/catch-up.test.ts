import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { sampleMessages } from '../../scripts/checker/message-text';
import { api, listMaster, listSecondary, type Listed } from '../support/api';
import { freshSystem, healAll, setFaults } from '../support/faults';
import { TEST_ENV, TEST_PORTS } from '../support/test-stack';

const GRACE_MS = Number(TEST_ENV.REPLOG_HOLE_GRACE_MS);

/** Runs one repair pass (as the schedule does) through the Lambda Invoke API. */
async function runRepairPass(): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${TEST_PORTS.lambdaPort}/2015-03-31/functions/replog-local-repair/invocations`, {
    method: 'POST',
    body: JSON.stringify({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }),
  });
  expect(res.status).toBe(200);
  await res.text();
}

async function appendAll(messages: readonly string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const msg of messages) {
    const res = await api('POST', '/append', { body: { msg, w: 1 } });
    expect(res.status).toBe(201);
    ids.push(res.body.id as number);
  }
  return ids;
}

describe('catch-up of a secondary that was down', () => {
  beforeAll(freshSystem);
  afterAll(() => healAll());

  it('copies in one repair pass the entries appended in the last seconds before it came back', async () => {
    // Prepare: s2 misses older entries (past the grace period) and recent ones (within it), whose
    // jobs failed while it was down and are waiting out their retry backoff.
    const seed = Date.now() % 2 ** 31;
    const [olderCount, recentCount] = fc.sample(fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 })), { seed, numRuns: 1 })[0] as [number, number];
    const messages = sampleMessages(seed, olderCount + recentCount, { maxBytes: 2048 });
    await setFaults('s2', { down: true });
    const older = await appendAll(messages.slice(0, olderCount));
    await sleep(GRACE_MS); // the rule under test is time-based: these must be past their grace period
    const recentFrom = Date.now();
    const recent = await appendAll(messages.slice(olderCount));

    // Act: s2 comes back, and one repair pass runs at once.
    await setFaults('s2', { down: false });
    const passFrom = Date.now();
    await runRepairPass();

    // Assert: the recent entries were still within their grace period when the pass began, and
    // s2 serves the whole log, each message exact, once the pass is over.
    expect(passFrom - recentFrom).toBeLessThan(GRACE_MS);
    const onS2 = await listSecondary('s2');
    expect(onS2.status).toBe(200);
    const master: Listed = (await listMaster()).body;
    expect(master.messages.map((m) => m.id), `seed ${seed}`).toEqual([...older, ...recent]);
    expect(onS2.body.messages, `seed ${seed}`).toEqual(master.messages);
  }, 30_000);
});
