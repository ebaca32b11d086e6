import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, listMaster, listSecondary, type Listed } from '../support/api';
import { scanAll, table } from '../support/aws';
import { freshSystem, healAll, health, setFaults, untilStatus } from '../support/faults';

describe('health from heartbeats', () => {
  beforeAll(freshSystem);
  afterAll(() => healAll());

  it('walks a downed secondary Healthy → Suspected → Unhealthy, and back to Healthy', async () => {
    // Prepare
    expect((await health()).secondaries.s1?.status).toBe('Healthy');

    // Act + Assert: beats every second; Suspected after ~2 missed, Unhealthy after ~5.
    await setFaults('s1', { down: true });
    const toSuspected = await untilStatus('s1', 'Suspected');
    const toUnhealthy = await untilStatus('s1', 'Unhealthy');
    expect(toSuspected).toBeGreaterThan(500);
    expect(toUnhealthy).toBeGreaterThan(1000);
    const down = await health();
    expect(down.secondaries.s2?.status).toBe('Healthy');
    expect(down.quorum).toEqual({ required: 2, available: 2 });
    expect(down.readOnly).toBe(false);

    await setFaults('s1', { down: false });
    expect(await untilStatus('s1', 'Healthy', 5000)).toBeLessThan(3000);
    const back = await health();
    expect(back.secondaries.s1?.lastHeartbeat).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(back.quorum.available).toBe(3);
  }, 40_000);

  it('reports applied prefix and lag per secondary', async () => {
    const a = await api('POST', '/append', { body: { msg: 'counted', w: 3 } });
    const h = await eventually(health, (x) => x.secondaries.s2?.applied === a.body.id);
    expect(h.secondaries.s2).toMatchObject({ applied: a.body.id, lag: 0 });
  });
});

describe('quorum', () => {
  beforeAll(freshSystem);
  afterAll(() => healAll());

  it('turns read-only without a majority, stores nothing, and resumes by itself', async () => {
    // Prepare: both secondaries down until they are Unhealthy.
    await setFaults('s1', { down: true });
    await setFaults('s2', { down: true });
    await untilStatus('s1', 'Unhealthy');
    await untilStatus('s2', 'Unhealthy');
    const before = { counter: await scanAll(table('counter')), master: await scanAll(table('master')) };

    // Act
    const refused = await api('POST', '/append', { body: { msg: 'refused', w: 1 } });
    const malformed = await api('POST', '/append', { body: { msg: '' } });

    // Assert
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatch(/^read-only: .*0 of 2 secondaries are available.*1 are needed/);
    expect(malformed.status).toBe(400);
    expect({ counter: await scanAll(table('counter')), master: await scanAll(table('master')) }).toEqual(before);
    expect((await health()).readOnly).toBe(true);
    expect((await listMaster()).status).toBe(200);

    // Act: one secondary back is a majority (2 of 3).
    await setFaults('s1', { down: false });
    await untilStatus('s1', 'Healthy');
    const accepted = await eventually(() => api('POST', '/append', { body: { msg: 'accepted', w: 2 } }), (r) => r.status === 201, 3000);
    expect(accepted.status).toBe(201);
    expect((await listMaster()).body.messages.map((m) => m.msg)).toEqual(['accepted']);
  }, 60_000);
});

describe('deduplication under failures', () => {
  beforeAll(freshSystem);
  afterAll(() => healAll());

  it('with errorRate 0.5 (failing after storing), every secondary ends with each entry once, in order', async () => {
    // Prepare
    await setFaults('s1', { errorRate: 0.5 });
    await setFaults('s2', { errorRate: 0.5, delayMs: 20 });

    // Act
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => api('POST', '/append', { body: { msg: `d${i}`, w: 1 } })));

    // Assert
    expect(answers.every((a) => a.status === 201)).toBe(true);
    const master = await eventually(listMaster, (r) => r.body.messages.length === 40, 10_000);
    for (const name of ['s1', 's2']) {
      const list = await eventually(() => listSecondary(name), (r: { body: Listed }) => r.body.messages.length >= 40, 30_000);
      expect(list.body).toEqual(master.body);
      const stored = (await scanAll(table(`secondary-${name}`))).map((item) => item.id);
      expect(new Set(stored).size).toBe(stored.length);
    }
  }, 60_000);
});
