import { beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, listMaster } from '../support/api';
import { resetLog, scanAll, table } from '../support/aws';

describe('write concern and waits', () => {
  beforeAll(resetLog);

  it('w=N+1 answers once every secondary holds the message', async () => {
    const res = await api('POST', '/append', { body: { msg: 'everyone', w: 3 } });
    expect(res).toMatchObject({ status: 201, body: { msg: 'everyone', w: 3, acks: 3 } });
    const acks = (await scanAll(table('acks'))).filter((a) => a.id === res.body.id).map((a) => a.node);
    expect(acks.sort()).toEqual(['s1', 's2']);
  });

  it('answers 202 with a wait URL when w is not met in time, and the wait completes later', async () => {
    // Prepare
    await api('PUT', '/admin/secondaries/s2/faults', { body: { down: true } });
    try {
      // Act
      const res = await api('POST', '/append', { body: { msg: 'slow', w: 3 } });

      // Assert
      expect(res.status).toBe(202);
      const id = res.body.id as number;
      expect(res.body).toEqual({ id, w: 3, acks: 2, status: 'pending', wait: `/messages/${id}/wait?w=3` });
      expect((await listMaster()).body.messages).toContainEqual({ id, msg: 'slow' });
      expect(await api('GET', `/messages/${id}/wait?w=2`)).toMatchObject({ status: 200, body: { id, w: 2, acks: 2 } });

      await api('PUT', '/admin/secondaries/s2/faults', { body: { down: false } });
      const waited = await eventually(() => api('GET', res.body.wait as string), (r) => r.status === 200, 40_000);
      expect(waited).toMatchObject({ status: 200, body: { id, w: 3, acks: 3 } });
    } finally {
      await api('PUT', '/admin/secondaries/s2/faults', { body: { down: false } });
    }
  }, 60_000);

  it('a down secondary answers its list with 503', async () => {
    await api('PUT', '/admin/secondaries/s1/faults', { body: { down: true } });
    try {
      const res = await api('GET', '/secondaries/s1/list');
      expect(res.status).toBe(503);
      expect(res.body.error).toMatch(/s1 is down/);
    } finally {
      await api('PUT', '/admin/secondaries/s1/faults', { body: { down: false } });
    }
  });
});

describe('idempotent appends', () => {
  beforeAll(resetLog);

  it('a retry with the same Idempotency-Key returns the first id and appends nothing', async () => {
    const headers = { 'Idempotency-Key': 'order-42' };
    const first = await api('POST', '/append', { body: { msg: 'pay 42', w: 2 }, headers });
    const retry = await api('POST', '/append', { body: { msg: 'pay 42', w: 2 }, headers });
    expect(first.status).toBe(201);
    expect(retry).toMatchObject({ status: 201, body: { id: first.body.id, msg: 'pay 42' } });
    expect((await listMaster()).body.messages.filter((m) => m.msg === 'pay 42')).toHaveLength(1);
  });

  it('the same key with another msg is refused with 422', async () => {
    const headers = { 'Idempotency-Key': 'order-43' };
    await api('POST', '/append', { body: { msg: 'pay 43' }, headers });
    const other = await api('POST', '/append', { body: { msg: 'pay 44' }, headers });
    expect(other.status).toBe(422);
    expect(other.body.error).toMatch(/different msg/);
  });

  it('concurrent requests with one key append once', async () => {
    const headers = { 'Idempotency-Key': 'burst' };
    const answers = await Promise.all(Array.from({ length: 8 }, () => api('POST', '/append', { body: { msg: 'once' }, headers })));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.every((a) => a.status === 201)).toBe(true);
    const master = await eventually(listMaster, (r) => r.body.messages.some((m) => m.msg === 'once'));
    expect(master.body.messages.filter((m) => m.msg === 'once')).toHaveLength(1);
  });
});
