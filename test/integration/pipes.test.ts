import { beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, listMaster, listSecondary } from '../support/api';
import { resetLog } from '../support/aws';

describe('the end-to-end pipes', () => {
  beforeAll(resetLog);

  it('stores an append on the master and replicates it to every secondary', async () => {
    // Act
    const appended = await api('POST', '/append', { body: { msg: 'hello pipes' } });

    // Assert
    expect(appended.status).toBe(201);
    const id = appended.body.id as number;
    expect(appended.body).toMatchObject({ msg: 'hello pipes', w: 1, acks: 1 });
    const master = await listMaster();
    expect(master.body.messages).toContainEqual({ id, msg: 'hello pipes' });
    for (const name of ['s1', 's2']) {
      const list = await eventually(
        () => listSecondary(name),
        (r) => r.body.messages.some((m) => m.id === id),
      );
      expect(list.status).toBe(200);
      expect(list.body.messages).toContainEqual({ id, msg: 'hello pipes' });
    }
  });
});
