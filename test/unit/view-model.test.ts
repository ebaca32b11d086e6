import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BadRequestError } from '../../lib/errors';
import type { LogEntry } from '../../lib/log-entry';
import { extendPrefix } from '../../lib/prefix-view';
import {
  apiKeyPrompt,
  apiPath,
  columnRows,
  describeCadence,
  nextPollDelay,
  parseApiKey,
  POLL_FAST_MS,
  POLL_IDLE_MS,
  viewSignature,
  describeAppend,
  describeFaults,
  formatDuration,
  healthBadge,
  heartbeatAge,
  TailBuilder,
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
  type View,
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

  it('reading newest first down to tailReadStart, in batches, yields the node\'s last `tail` held ids', () => {
    // Property: for any set of held ids and any batching of the read, the tail is exactly the
    // `tail` highest ids the node holds, in id order.
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 7 }), (ids, tail, batch) => {
        const held = [...ids].sort((a, b) => a - b);
        const applied = extendPrefix(-1, held);
        const read = held.filter((id) => id > tailReadStart(applied, tail)).reverse().map((id) => ({ id, msg: `m${id}` }));
        const builder = new TailBuilder(tail, Infinity, () => 1);
        for (let i = 0; i < read.length && builder.add(read.slice(i, i + batch)); i += batch);
        expect(builder.entries().map((e) => e.id)).toEqual(held.slice(-tail));
        expect(builder.truncated).toBe(false);
      }),
    );
  });

  it('cuts the tail by size, newest kept, and says so (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 100 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 40 }), fc.nat({ max: 500 }), (sizes, tail, maxBytes) => {
        // Prepare: entries newest first (id 1000 down), each of the drawn size.
        const newestFirst = sizes.map((size, i) => ({ id: 1000 - i, msg: 'x'.repeat(size) }));
        const builder = new TailBuilder(tail, maxBytes, (e) => (e.msg ?? '').length);

        // Act
        builder.add(newestFirst);

        // Assert: the longest run of the newest that fits (at least one), in id order.
        const kept = builder.entries();
        let fits = 0;
        for (let bytes = 0; fits < Math.min(tail, sizes.length) && (fits === 0 || bytes + (sizes[fits] ?? 0) <= maxBytes); fits++) bytes += sizes[fits] ?? 0;
        expect(kept.map((e) => e.id)).toEqual(newestFirst.slice(0, fits).map((e) => e.id).reverse());
        expect(builder.truncated).toBe(fits < Math.min(tail, sizes.length));
      }),
    );
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

describe('nextPollDelay: what an open tab costs', () => {
  const state = fc.record({ visible: fc.boolean(), pendingRequests: fc.nat(5), quietPolls: fc.nat(1000) });

  it('never polls a hidden tab (property)', () => {
    fc.assert(
      fc.property(state, (s) => {
        expect(nextPollDelay({ ...s, visible: false })).toBeNull();
      }),
    );
  });

  it('polls fast while a request from the page is pending (property)', () => {
    fc.assert(
      fc.property(state, fc.integer({ min: 1, max: 5 }), (s, pending) => {
        expect(nextPollDelay({ ...s, visible: true, pendingRequests: pending })).toBe(POLL_FAST_MS);
      }),
    );
  });

  it('backs off from fast to idle as nothing changes, never slower than idle (property)', () => {
    fc.assert(
      fc.property(fc.nat(1000), (quiet) => {
        const now = nextPollDelay({ visible: true, pendingRequests: 0, quietPolls: quiet }) as number;
        const next = nextPollDelay({ visible: true, pendingRequests: 0, quietPolls: quiet + 1 }) as number;
        expect(now).toBeGreaterThanOrEqual(POLL_FAST_MS);
        expect(now).toBeLessThanOrEqual(POLL_IDLE_MS);
        expect(next).toBeGreaterThanOrEqual(now);
      }),
    );
  });

  it('stays fast right after a change, and is idle (several seconds) within a few quiet polls', () => {
    const delays = Array.from({ length: 9 }, (_, quietPolls) => nextPollDelay({ visible: true, pendingRequests: 0, quietPolls }));
    expect(delays).toEqual([400, 400, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(POLL_IDLE_MS).toBeGreaterThanOrEqual(5000);
  });

  it('says the cadence in words', () => {
    expect(describeCadence(null)).toBe('Paused while this tab is hidden.');
    expect(describeCadence(400)).toBe('Refreshing every 400 ms.');
    expect(describeCadence(1600)).toBe('Refreshing every 1.6 s.');
    expect(describeCadence(5000)).toBe('Nothing is changing: checking every 5.0 s.');
  });
});

describe('viewSignature', () => {
  const view = (over: Partial<View> = {}): View => ({
    tail: 50,
    at: '2030-01-01T00:00:00.000Z',
    nodes: [
      { name: 'master', role: 'master', applied: 4, entries: [{ id: 4, msg: 'a', visible: true }, { id: 6, msg: 'b', visible: false }] },
      { name: 's1', role: 'secondary', applied: 4, entries: [{ id: 4, msg: 'a', visible: true }], faults: { down: false, delayMs: 0, errorRate: 0 } },
    ],
    health: health(),
    ...over,
  });

  it('ignores what moves on every poll: the read time and heartbeat ages (property)', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), fc.option(fc.date({ noInvalidDate: true }), { nil: null }), (at, beat) => {
        const moved = view({ at: at.toISOString(), health: health({ secondaries: { ...health().secondaries, s1: { ...health().secondaries.s1!, lastHeartbeat: beat?.toISOString() ?? null } } }) });
        expect(viewSignature(moved)).toBe(viewSignature(view()));
      }),
    );
  });

  it('changes with a prefix, an entry held or shown, faults, a status, a lag or the quorum', () => {
    const base = viewSignature(view());
    const [master, s1] = view().nodes as [View['nodes'][0], View['nodes'][0]];
    const changed: View[] = [
      view({ nodes: [{ ...master, applied: 6 }, s1] }),
      view({ nodes: [{ ...master, entries: [...master.entries, { id: 7, msg: 'c', visible: false }] }, s1] }),
      view({ nodes: [{ ...master, entries: master.entries.map((e) => ({ ...e, visible: true })) }, s1] }),
      view({ nodes: [master, { ...s1, faults: { down: true, delayMs: 0, errorRate: 0 } }] }),
      view({ health: health({ secondaries: { ...health().secondaries, s2: { ...health().secondaries.s2!, status: 'Unhealthy' } } }) }),
      view({ health: health({ secondaries: { ...health().secondaries, s2: { ...health().secondaries.s2!, lag: 3 } } }) }),
      view({ health: health({ readOnly: true, quorum: { required: 2, available: 1 } }) }),
    ];
    for (const v of changed) expect(viewSignature(v)).not.toBe(base);
  });
});

describe('the API key on the page', () => {
  it('takes a key of 20 to 128 printable characters, trimming a pasted one', () => {
    const key = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd';
    expect(parseApiKey(`  ${key}\n`)).toEqual({ key });
    for (const bad of ['', 'short', 'has a blank in it somewhere', 'x'.repeat(129), 'ümlaut-keys-are-not-allowed-here']) {
      expect(parseApiKey(bad)).toEqual({ error: expect.stringMatching(/20 to 128 characters/) });
    }
  });

  it('says whether a key is needed or the one sent was refused', () => {
    expect(apiKeyPrompt(false, 'Forbidden')).toMatch(/needs its API key .* kept for this tab only/);
    expect(apiKeyPrompt(true, 'the key sent is missing or not valid')).toBe(
      "The API refused this key (403: the key sent is missing or not valid). Enter the stage's current key; rotating the key replaces the old one.",
    );
  });
});
