import { beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, listMaster, listSecondary } from '../support/api';
import { dynamo, resetLog, table, takeIdWithoutWriting } from '../support/aws';
import { GetCommand } from '@aws-sdk/lib-dynamodb';

const ids = (r: { body: { messages: Array<{ id: number }> } }) => r.body.messages.map((m) => m.id);

describe('hole filling', () => {
  beforeAll(resetLog);

  it('fills an id whose append died with a hidden no-op, unblocking every later entry', async () => {
    // Prepare: an append that took an id and died before writing it.
    const before = await api('POST', '/append', { body: { msg: 'before the hole', w: 3 } });
    const hole = await takeIdWithoutWriting();
    const after = await api('POST', '/append', { body: { msg: 'after the hole', w: 3 } });
    expect(after.status).toBe(201);
    expect(after.body.id).toBe(hole + 1);

    // Assert: while the hole is open the lists stop before it (total order), though nodes hold more.
    expect(ids(await listMaster())).toEqual([before.body.id]);
    expect(ids(await listSecondary('s1'))).toEqual([before.body.id]);

    // Act: the repair fills it after the grace period.
    for (const read of [listMaster, () => listSecondary('s1'), () => listSecondary('s2')]) {
      const list = await eventually(read, (r) => r.body.messages.length === 2, 15_000);
      expect(list.body.messages).toEqual([
        { id: before.body.id, msg: 'before the hole' },
        { id: after.body.id, msg: 'after the hole' },
      ]);
    }
    const filled = await dynamo.send(new GetCommand({ TableName: table('master'), Key: { log: 'main', id: hole }, ConsistentRead: true }));
    expect(filled.Item).toMatchObject({ id: hole, noop: true });
    expect((await api('GET', `/messages/${hole}/wait?w=1`)).status).toBe(404);
  }, 30_000);
});
