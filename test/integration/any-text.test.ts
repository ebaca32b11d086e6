import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { View } from '../../lib/view-model';
import { messageText, textOfBytes, TRICKY_CHARS } from '../../scripts/checker/message-text';
import { api, eventually, type Listed } from '../support/api';
import { snapshotLog } from '../support/aws';
import { freshSystem } from '../support/faults';
import { TEST_ENV } from '../support/test-stack';

// api.md: msg is any string JSON can carry, and every list returns it byte-identical.
const LIMIT = Number(TEST_ENV.REPLOG_MAX_MSG_BYTES);
const LISTS = ['/list', '/secondaries/s1/list', '/secondaries/s2/list'];

/** The entry `id` as each list and /view show it. */
async function everyView(id: number): Promise<unknown[]> {
  const lists = await Promise.all(LISTS.map(async (path) => (await api<Listed>('GET', `${path}?after=${id - 1}&limit=1`)).body.messages));
  // Nothing is appended meanwhile: each node's newest entry is this one.
  const view = (await api<View>('GET', '/view?tail=1')).body;
  return [...lists, ...view.nodes.map((n) => n.entries)];
}

describe('any text, end to end', () => {
  beforeAll(freshSystem, 60_000);

  it.each([
    ['rocket 🚀', 'rocket 🚀'],
    ['16,384 × 😀 (65,536 bytes)', '😀'.repeat(16_384)],
  ])('the issue\'s "%s" at w=1 is on both secondaries\' lists within a second', async (_, msg) => {
    // Act
    const res = await api('POST', '/append', { body: { msg, w: 1 } });

    // Assert
    expect(res.status).toBe(201);
    const id = res.body.id as number;
    expect(res.body).toEqual({ id, msg, w: 1, acks: 1 });
    for (const s of ['s1', 's2']) {
      const listed = await eventually(() => api<Listed>('GET', `/secondaries/${s}/list?after=${id - 1}`), (r) => r.body.messages.length > 0, 1000);
      expect(listed.body.messages, s).toEqual([{ id, msg }]);
    }
  });

  it.each([1, 2, 3, 4] as const)('takes exactly REPLOG_MAX_MSG_BYTES of %i-byte characters and refuses one byte more with 413, storing nothing', async (width) => {
    // Prepare: generated text of exactly the limit (a 131072-byte limit ends 3-byte text with a 2-byte character).
    const exact = fc.sample(textOfBytes(LIMIT, [width]), { seed: width, numRuns: 1 })[0] as string;
    expect(Buffer.byteLength(exact)).toBe(LIMIT);

    // Act (w=N+1: every node holds it when it answers, so nothing changes afterwards)
    const stored = await api('POST', '/append', { body: { msg: exact, w: 3 } });
    const before = await snapshotLog();
    const refused = await api('POST', '/append', { body: { msg: `${exact}a`, w: 1 } });

    // Assert
    expect(stored.status).toBe(201);
    expect(stored.body.msg).toBe(exact);
    expect(refused).toMatchObject({ status: 413, body: { error: `msg is ${LIMIT + 1} bytes (UTF-8); the limit is ${LIMIT}` } });
    expect(await snapshotLog()).toEqual(before);
  });

  it('stores generated text over all of Unicode and every node lists it identical, at w=N+1 (property)', async () => {
    const atLimit = fc.sample(textOfBytes(LIMIT, [4]), { seed: 1, numRuns: 1 })[0] as string;
    await fc.assert(
      fc.asyncProperty(messageText({ maxBytes: LIMIT }), async (msg) => {
        // Act
        const res = await api('POST', '/append', { body: { msg, w: 3 } });

        // Assert: the 201 echoes it, and the master, each secondary and /view hold it unchanged.
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(201);
        const id = res.body.id as number;
        expect(res.body).toEqual({ id, msg, w: 3, acks: 3 });
        const [master, s1, s2, ...viewed] = await everyView(id);
        for (const listed of [master, s1, s2]) expect(listed).toEqual([{ id, msg }]);
        for (const entries of viewed) expect(entries).toEqual([{ id, msg, visible: true }]);
      }),
      {
        numRuns: 60,
        // Named cases first: the byte limit in 4-byte characters, each character that tripped SQS or
        // JSON somewhere, whitespace only.
        examples: [[atLimit], ...Object.values(TRICKY_CHARS).map((c) => [c] as [string]), [' '], ['\u2028\u2029'], ['\t\n\r']],
      },
    );
  }, 240_000);
});
