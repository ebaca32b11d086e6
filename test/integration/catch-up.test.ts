import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { sampleMessages } from '../../scripts/checker/message-text';
import { api, listEvery } from '../support/api';
import { MAX_PAGE } from '../../lib/validation';
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

/** Appends each message at w=1, `clients` at a time; returns their ids in message order. */
async function appendAll(messages: readonly string[], clients = 1): Promise<number[]> {
  const ids: number[] = new Array<number>(messages.length);
  let next = 0;
  const client = async () => {
    for (let i = next++; i < messages.length; i = next++) {
      const res = await api('POST', '/append', { body: { msg: messages[i], w: 1 } });
      expect(res.status).toBe(201);
      ids[i] = res.body.id as number;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return ids;
}

/**
 * s2 misses `olderCount` entries past their grace period and `recentCount` within it (appended
 * just before it comes back, their jobs failed while it was down and wait out their retry
 * backoff); then it comes back and one repair pass runs at once. Once that pass is over, s2 must
 * serve the whole log, each message exact.
 */
async function missThenCatchUp(seed: number, olderCount: number, recentCount: number, maxBytes: number): Promise<void> {
  // Prepare
  const messages = sampleMessages(seed, olderCount + recentCount, { maxBytes });
  await setFaults('s2', { down: true });
  const older = await appendAll(messages.slice(0, olderCount), 8);
  await sleep(GRACE_MS); // the rule under test is time-based: these must be past their grace period
  const recentFrom = Date.now();
  const recent = await appendAll(messages.slice(olderCount));

  // Act
  await setFaults('s2', { down: false });
  const passFrom = Date.now();
  await runRepairPass();

  // Assert: the recent entries were still within their grace period when the pass began.
  expect(passFrom - recentFrom).toBeLessThan(GRACE_MS);
  const onS2 = await listEvery('/secondaries/s2/list');
  const master = await listEvery('/list');
  expect(new Set(master.map((m) => m.id)), `seed ${seed}`).toEqual(new Set([...older, ...recent]));
  expect(onS2, `seed ${seed}`).toEqual(master);
}

describe('catch-up of a secondary that was down', () => {
  beforeEach(freshSystem);
  afterAll(() => healAll());

  it('copies in one repair pass the entries appended in the last seconds before it came back', async () => {
    const seed = Date.now() % 2 ** 31;
    const [olderCount, recentCount] = fc.sample(fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 })), { seed, numRuns: 1 })[0] as [number, number];
    await missThenCatchUp(seed, olderCount, recentCount, 2048);
  }, 30_000);

  it('does so when the recent entries run past a page of ids', async () => {
    // The pass reads a page of MAX_PAGE ids at a time: here the recent entries start a few ids
    // before the end of the first page and go on into the second.
    const seed = Date.now() % 2 ** 31;
    const [before, after] = fc.sample(fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 })), { seed, numRuns: 1 })[0] as [number, number];
    await missThenCatchUp(seed, MAX_PAGE - before, before + after, 64);
  }, 60_000);
});
