import { beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, listMaster, listSecondary, type Listed } from '../support/api';
import { resetLog } from '../support/aws';

/** A small seeded generator (mulberry32) so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('concurrent appends', () => {
  beforeAll(resetLog);

  it('200 appends from 20 parallel clients with random w get 200 distinct ids, and all lists end identical', async () => {
    // Prepare
    const seed = Number(process.env.REPLOG_TEST_SEED ?? 20261125);
    const random = seeded(seed);
    const plan = Array.from({ length: 200 }, (_, i) => ({ msg: `c${i}`, w: 1 + Math.floor(random() * 3) }));

    // Act: 20 clients, each taking the next planned append when it is free.
    let next = 0;
    const answers: Array<{ status: number; body: Record<string, unknown> }> = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < plan.length) {
          const item = plan[next++]!;
          answers.push(await api('POST', '/append', { body: item }));
        }
      }),
    );

    // Assert
    expect(answers.filter((a) => a.status !== 201), `seed ${seed}`).toEqual([]);
    for (const a of answers) expect(a.body.acks as number).toBeGreaterThanOrEqual(a.body.w as number);
    const appendedIds = answers.map((a) => a.body.id as number);
    expect(new Set(appendedIds).size).toBe(200);
    const complete = (r: { body: Listed }) => r.body.messages.length === 200;
    const master = await eventually(listMaster, complete, 15_000);
    expect(master.body.messages.map((m) => m.id).sort((x, y) => x - y)).toEqual([...appendedIds].sort((x, y) => x - y));
    for (const name of ['s1', 's2']) {
      const list = await eventually(() => listSecondary(name), complete, 15_000);
      expect(list.body).toEqual(master.body);
    }
  }, 90_000);
});
