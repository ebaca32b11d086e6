import { beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, listMaster, listSecondary } from '../support/api';
import { freshSystem } from '../support/faults';

const EXPECTED = ['Msg1', 'Msg2', 'Msg3', 'Msg4'];
const msgs = (r: { body: { messages: Array<{ msg: string }> } }) => r.body.messages.map((m) => m.msg);

describe("the course's acceptance scenario", () => {
  beforeAll(freshSystem);

  it('blocks only the w=3 append while s2 is down, and completes it once s2 is back', async () => {
    // Prepare: s2 is a stopped node.
    expect((await api('PUT', '/admin/secondaries/s2/faults', { body: { down: true } })).status).toBe(200);

    try {
      // Act + Assert
      const msg1 = await api('POST', '/append', { body: { msg: 'Msg1', w: 1 } });
      expect(msg1.status).toBe(201);
      const msg2 = await api('POST', '/append', { body: { msg: 'Msg2', w: 2 } });
      expect(msg2).toMatchObject({ status: 201, body: { msg: 'Msg2', w: 2 } });
      expect(msg2.body.acks).toBeGreaterThanOrEqual(2);

      let msg3Settled = false;
      const msg3 = api('POST', '/append', { body: { msg: 'Msg3', w: 3 } }).finally(() => (msg3Settled = true));
      // Msg3 must be stored before Msg4 so the order is the course's.
      await eventually(listMaster, (r) => msgs(r).includes('Msg3'), 5000);
      const started = Date.now();
      const msg4 = await api('POST', '/append', { body: { msg: 'Msg4', w: 1 } });
      expect(msg4.status).toBe(201);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(msg3Settled).toBe(false);

      // "Start S2": catch-up completes Msg3 without waiting out its job's retry backoff.
      expect((await api('PUT', '/admin/secondaries/s2/faults', { body: { down: false } })).status).toBe(200);
      const upAt = Date.now();
      const msg3Done = await msg3;
      expect(Date.now() - upAt).toBeLessThan(2000);
      expect(msg3Done.status).toBe(201);
      expect(msg3Done.body).toMatchObject({ msg: 'Msg3', w: 3, acks: 3 });
    } finally {
      await api('PUT', '/admin/secondaries/s2/faults', { body: { down: false } });
    }

    for (const read of [listMaster, () => listSecondary('s1'), () => listSecondary('s2')]) {
      const list = await eventually(read, (r) => msgs(r).length === 4, 15_000);
      expect(msgs(list)).toEqual(EXPECTED);
    }
  }, 60_000);
});
