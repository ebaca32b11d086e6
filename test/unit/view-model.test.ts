import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BadRequestError } from '../../lib/errors';
import type { LogEntry } from '../../lib/log-entry';
import { extendPrefix } from '../../lib/prefix-view';
import {
  apiPath,
  columnRows,
  describeAppend,
  describeFaults,
  formatDuration,
  healthBadge,
  heartbeatAge,
  keepLast,
  masterBadge,
  parseFaultsForm,
  parseTail,
  quorumSummary,
  readOnlyBanner,
  secondaryStatus,
  tailReadStart,
  toViewEntries,
  writeConcernChoices,
  type HealthView,
  type ViewEntry,
} from '../../lib/view-model';

const health = (over: Partial<HealthView> = {}): HealthView => ({
  readOnly: false,
  quorum: { required: 2, available: 3 },
  secondaries: {
    s1: { status: 'Healthy', lastHeartbeat: '2030-01-01T00:00:00.000Z', applied: 4, lag: 0 },
    s2: { status: 'Suspected', lastHeartbeat: null, applied: 2, lag: 2 },
  },
  ...over,
});

describe('parseTail', () => {
  it('defaults to 50 and accepts 1..200', () => {
    expect(parseTail(undefined)).toBe(50);
    expect(parseTail('1')).toBe(1);
    expect(parseTail('200')).toBe(200);
  });

  it.each(['0', '201', '-1', '1.5', '1e2', 'abc', '', ' 5', '99999999999999999999'])('refuses %j with a 400 naming the range', (raw) => {
    expect(() => parseTail(raw)).toThrow(BadRequestError);
    expect(() => parseTail(raw)).toThrow(/tail must be an integer from 1 to 200/);
  });
});

describe('the tail of a node (server side)', () => {
  it('marks entries up to the prefix visible, beyond it held, and hides no-ops', () => {
    const entries: LogEntry[] = [{ id: 3, msg: 'a' }, { id: 4, noop: true }, { id: 5, msg: 'b' }, { id: 7, msg: 'c' }];
    expect(toViewEntries(entries, 5)).toEqual([
      { id: 3, msg: 'a', visible: true },
      { id: 5, msg: 'b', visible: true },
      { id: 7, msg: 'c', visible: false },
    ]);
  });

  it('reads from just below the last `tail` ids of the prefix, never below -1', () => {
    expect(tailReadStart(99, 50)).toBe(49);
    expect(tailReadStart(10, 50)).toBe(-1);
    expect(tailReadStart(-1, 1)).toBe(-1);
  });

  it('reading from tailReadStart and keeping the last `tail` yields the node\'s last `tail` held ids', () => {
    // Property: for any set of held ids, the read (prefix first, then everything above the start)
    // returns exactly the `tail` highest ids the node holds.
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), (ids, tail) => {
        const held = [...ids].sort((a, b) => a - b);
        const applied = extendPrefix(-1, held);
        const read = held.filter((id) => id > tailReadStart(applied, tail));
        expect(keepLast(read, tail)).toEqual(held.slice(-tail));
      }),
    );
  });

  it('keepLast keeps the last n, or everything when shorter', () => {
    expect(keepLast([1, 2, 3], 2)).toEqual([2, 3]);
    expect(keepLast([1], 5)).toEqual([1]);
  });
});

describe('columnRows', () => {
  const e = (id: number, visible: boolean): ViewEntry => ({ id, msg: `m${id}`, visible });

  it('lists entries newest first, with a blocking marker for the first missing id above the prefix', () => {
    // s2 holds 0, 1 and 3: its prefix ends at 1; 2 is missing, so 3 is held.
    expect(columnRows([e(0, true), e(1, true), e(3, false)], 1)).toEqual([
      { kind: 'entry', id: 3, msg: 'm3', visible: false },
      { kind: 'missing', from: 2, to: 2, blocking: true },
      { kind: 'entry', id: 1, msg: 'm1', visible: true },
      { kind: 'entry', id: 0, msg: 'm0', visible: true },
    ]);
  });

  it('marks every further run of missing ids among held entries, without blocking', () => {
    const rows = columnRows([e(5, true), e(8, false), e(11, false)], 5);
    expect(rows.filter((r) => r.kind === 'missing')).toEqual([
      { kind: 'missing', from: 9, to: 10, blocking: false },
      { kind: 'missing', from: 6, to: 7, blocking: true },
    ]);
  });

  it('never marks ids inside the prefix (hidden no-ops) as missing', () => {
    expect(columnRows([e(0, true), e(4, true)], 4).every((r) => r.kind === 'entry')).toBe(true);
    expect(columnRows([], -1)).toEqual([]);
  });

  it('property: every entry appears once, newest first, and markers cover exactly the ids not held above the prefix', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 40 }), (ids) => {
        const held = [...ids].sort((a, b) => a - b);
        const applied = extendPrefix(-1, held);
        const rows = columnRows(
          held.map((id) => e(id, id <= applied)),
          applied,
        );
        const entryIds = rows.flatMap((r) => (r.kind === 'entry' ? [r.id] : []));
        expect(entryIds).toEqual([...held].reverse());
        const marked = rows.flatMap((r) => (r.kind === 'missing' ? Array.from({ length: r.to - r.from + 1 }, (_, i) => r.from + i) : []));
        const top = held.at(-1) ?? -1;
        const expected = Array.from({ length: Math.max(0, top - applied) }, (_, i) => applied + 1 + i).filter((id) => !held.includes(id));
        expect(marked.sort((a, b) => a - b)).toEqual(expected);
        expect(rows.filter((r) => r.kind === 'missing' && r.blocking).length).toBe(expected.length > 0 ? 1 : 0);
      }),
    );
  });
});

describe('badges and banners', () => {
  it('says each status in words, with a tone and a shape of its own', () => {
    expect(healthBadge('Healthy')).toMatchObject({ label: 'Healthy', tone: 'ok' });
    expect(healthBadge('Suspected')).toMatchObject({ label: 'Suspected', tone: 'warn' });
    expect(healthBadge('Unhealthy')).toMatchObject({ label: 'Unhealthy', tone: 'bad' });
    const symbols = new Set(['Healthy', 'Suspected', 'Unhealthy'].map((s) => healthBadge(s as 'Healthy').symbol));
    expect(symbols.size).toBe(3);
    expect(masterBadge(false).label).toBe('Writable');
    expect(masterBadge(true)).toMatchObject({ label: 'Read-only', tone: 'bad' });
  });

  it('treats a secondary missing from the report as Unhealthy', () => {
    expect(secondaryStatus(health(), 's2')).toBe('Suspected');
    expect(secondaryStatus(health(), 's9')).toBe('Unhealthy');
  });

  it('shows the read-only banner only without a quorum, with the numbers', () => {
    expect(readOnlyBanner(health())).toBeNull();
    const text = readOnlyBanner(health({ readOnly: true, quorum: { required: 2, available: 1 } }));
    expect(text).toMatch(/^Read-only: no quorum\. 1 of 2 required nodes are available/);
    expect(quorumSummary(health())).toBe('Quorum: 3 of 3 nodes available, 2 needed');
  });

  it('tells how old the last heartbeat is', () => {
    const now = Date.parse('2030-01-01T00:00:01.500Z');
    expect(heartbeatAge('2030-01-01T00:00:00.000Z', now)).toBe('last heartbeat 1.5 s ago');
    expect(heartbeatAge(null, now)).toBe('no heartbeat yet');
    expect(heartbeatAge('garbage', now)).toBe('no heartbeat yet');
  });
});

describe('the append form', () => {
  it('offers w from 1 (master only) to N+1 (every node)', () => {
    expect(writeConcernChoices(2)).toEqual([
      { value: 1, label: '1 — master only' },
      { value: 2, label: '2 — master + 1 secondary' },
      { value: 3, label: '3 — every node' },
    ]);
    expect(writeConcernChoices(4).map((c) => c.value)).toEqual([1, 2, 3, 4, 5]);
    expect(writeConcernChoices(4)[2]?.label).toBe('3 — master + 2 secondaries');
  });

  it('describes 201, 202 and errors with the latency', () => {
    expect(describeAppend(201, { id: 7, msg: 'x', w: 2, acks: 2 }, 34.4)).toEqual({ state: 'done', text: '201 stored as #7, held by 2 nodes (w=2), in 34 ms' });
    expect(describeAppend(201, { id: 0, msg: 'x', w: 1, acks: 1 }, 5).text).toContain('held by 1 node (w=1)');
    const timedOut = describeAppend(202, { id: 8, w: 3, acks: 2, status: 'pending', wait: '/messages/8/wait?w=3' }, 8000);
    expect(timedOut.state).toBe('timed-out');
    expect(timedOut.text).toBe('202 timed out after 8.0 s: stored as #8, held by 2 nodes of the w=3 asked for; it keeps replicating');
    expect(describeAppend(503, { error: 'read-only: no quorum' }, 12)).toEqual({ state: 'failed', text: '503 after 12 ms: read-only: no quorum' });
    expect(describeAppend(500, null, 12).text).toBe('500 after 12 ms: unexpected answer');
  });

  it('formats durations for people', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(999.4)).toBe('999 ms');
    expect(formatDuration(1000)).toBe('1.0 s');
    expect(formatDuration(25_400)).toBe('25 s');
  });
});

describe('the fault controls', () => {
  it('accepts a delay of 0..60000 ms and an error rate of 0..1 (blank means 0)', () => {
    expect(parseFaultsForm('200', '0.5')).toEqual({ delayMs: 200, errorRate: 0.5 });
    expect(parseFaultsForm('', '')).toEqual({ delayMs: 0, errorRate: 0 });
    expect(parseFaultsForm('1.5', '0')).toHaveProperty('error');
    expect(parseFaultsForm('60001', '0')).toHaveProperty('error');
    expect(parseFaultsForm('-1', '0')).toHaveProperty('error');
    expect(parseFaultsForm('0', '1.01')).toHaveProperty('error');
    expect(parseFaultsForm('0', 'x')).toHaveProperty('error');
  });

  it('describes faults in words', () => {
    expect(describeFaults({ down: true, delayMs: 200, errorRate: 0.5 })).toBe('down, delay 200 ms, error rate 50%');
    expect(describeFaults({ down: false, delayMs: 0, errorRate: 0 })).toBe('no faults');
    expect(describeFaults(undefined)).toBe('no faults');
  });
});

describe('apiPath', () => {
  it('resolves calls next to the page, under a stage prefix too', () => {
    expect(apiPath('/', 'view?tail=50')).toBe('/view?tail=50');
    expect(apiPath('/prod/', 'append')).toBe('/prod/append');
    expect(apiPath('/prod', '/admin/secondaries/s1/faults')).toBe('/prod/admin/secondaries/s1/faults');
  });
});
