import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { healthStatus, quorumOf, wasAway, type HealthStatus, type HeartbeatPolicy } from '../../lib/health';

/** The documented defaults: a beat a second, Suspected after 2 missed, Unhealthy after 5. */
const POLICY: HeartbeatPolicy = { intervalMs: 1000, suspectedAfter: 2, unhealthyAfter: 5 };
const T0 = 1_700_000_000_000;

/** Worse statuses rank higher. */
const RANK: Record<HealthStatus, number> = { Healthy: 0, Suspected: 1, Unhealthy: 2 };
const STATUSES: readonly HealthStatus[] = ['Healthy', 'Suspected', 'Unhealthy'];

/** Policies with unhealthyAfter > suspectedAfter, as loadConfig guarantees. */
const policy = fc
  .tuple(fc.integer({ min: 1, max: 30_000 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }))
  .map(([intervalMs, suspectedAfter, extra]): HeartbeatPolicy => ({ intervalMs, suspectedAfter, unhealthyAfter: suspectedAfter + extra }));
const time = fc.integer({ min: 0, max: 2 ** 42 });

describe('healthStatus: a secondary that has sent beats', () => {
  it.each([
    ['a beat sent just now', 0, 'Healthy'],
    ['one missed interval', 1000, 'Healthy'],
    ['exactly suspectedAfter missed intervals', 2000, 'Healthy'],
    ['just over suspectedAfter missed intervals', 2001, 'Suspected'],
    ['between the two thresholds', 4000, 'Suspected'],
    ['exactly unhealthyAfter missed intervals', 5000, 'Suspected'],
    ['just over unhealthyAfter missed intervals', 5001, 'Unhealthy'],
    ['an hour of silence', 3_600_000, 'Unhealthy'],
  ])('%s → %s', (_, ageMs, expected) => {
    expect(healthStatus(T0, T0 + ageMs, POLICY)).toBe(expected);
  });

  it('is Healthy again with the next good beat, whatever it was before', () => {
    const longAgo = T0 - 3_600_000;
    expect(healthStatus(longAgo, T0, POLICY)).toBe('Unhealthy');

    expect(healthStatus(T0, T0, POLICY)).toBe('Healthy');
  });

  it('reads a beat from the future (clock skew) as Healthy', () => {
    expect(healthStatus(T0 + 10_000, T0, POLICY)).toBe('Healthy');
  });

  it('judges by the last beat and ignores monitoringSince once a beat arrived', () => {
    const monitoringSince = T0 - 3_600_000;

    expect(healthStatus(T0, T0 + 500, POLICY, monitoringSince)).toBe('Healthy');
    expect(healthStatus(T0, T0 + 3000, POLICY, monitoringSince)).toBe('Suspected');
  });

  it('scales with the interval: the thresholds count beats, not milliseconds', () => {
    const slow: HeartbeatPolicy = { intervalMs: 10_000, suspectedAfter: 2, unhealthyAfter: 5 };

    expect(healthStatus(T0, T0 + 15_000, slow)).toBe('Healthy');
    expect(healthStatus(T0, T0 + 30_000, slow)).toBe('Suspected');
    expect(healthStatus(T0, T0 + 60_000, slow)).toBe('Unhealthy');
  });
});

describe('healthStatus: a secondary never heard from', () => {
  it('is Suspected when monitoring has just started, never Healthy', () => {
    expect(healthStatus(undefined, T0, POLICY, T0)).toBe('Suspected');
    expect(healthStatus(undefined, T0 + 1000, POLICY, T0)).toBe('Suspected');
  });

  it('becomes Unhealthy once monitoring has run for more than unhealthyAfter intervals', () => {
    expect(healthStatus(undefined, T0 + 5000, POLICY, T0)).toBe('Suspected');

    expect(healthStatus(undefined, T0 + 5001, POLICY, T0)).toBe('Unhealthy');
  });

  it('is Suspected, whatever the time, when nothing says since when beats were expected', () => {
    for (const now of [0, T0, T0 + 3_600_000, Number.MAX_SAFE_INTEGER]) {
      expect(healthStatus(undefined, now, POLICY)).toBe('Suspected');
    }
  });
});

describe('healthStatus: properties', () => {
  it('never improves as time passes without a new beat (property)', () => {
    fc.assert(
      fc.property(policy, fc.option(time, { nil: undefined }), fc.option(time, { nil: undefined }), time, fc.nat({ max: 2 ** 40 }), (p, lastBeat, since, now, later) => {
        const before = healthStatus(lastBeat, now, p, since);
        const after = healthStatus(lastBeat, now + later, p, since);

        expect(RANK[after]).toBeGreaterThanOrEqual(RANK[before]);
      }),
    );
  });

  it('is Healthy for a beat no older than suspectedAfter intervals (property)', () => {
    fc.assert(
      fc.property(policy, time, fc.double({ min: 0, max: 1, noNaN: true }), fc.option(time, { nil: undefined }), (p, lastBeat, share, since) => {
        const age = Math.floor(share * p.suspectedAfter * p.intervalMs);

        expect(healthStatus(lastBeat, lastBeat + age, p, since)).toBe('Healthy');
      }),
    );
  });

  it('is Unhealthy for a beat older than unhealthyAfter intervals (property)', () => {
    fc.assert(
      fc.property(policy, time, fc.integer({ min: 1, max: 2 ** 30 }), (p, lastBeat, extra) => {
        expect(healthStatus(lastBeat, lastBeat + p.unhealthyAfter * p.intervalMs + extra, p)).toBe('Unhealthy');
      }),
    );
  });

  it('is never Healthy without a beat (property)', () => {
    fc.assert(
      fc.property(policy, time, fc.option(time, { nil: undefined }), (p, now, since) => {
        expect(healthStatus(undefined, now, p, since)).not.toBe('Healthy');
      }),
    );
  });
});

describe('quorumOf', () => {
  it.each([
    ['1 secondary Healthy: 2 of 2 nodes', ['Healthy'], { required: 2, available: 2, readOnly: false }],
    ['1 secondary Unhealthy: the master alone is no majority of 2', ['Unhealthy'], { required: 2, available: 1, readOnly: true }],
    ['2 secondaries, one Unhealthy: 2 of 3 is a majority', ['Healthy', 'Unhealthy'], { required: 2, available: 2, readOnly: false }],
    ['2 secondaries, both Unhealthy: read-only', ['Unhealthy', 'Unhealthy'], { required: 2, available: 1, readOnly: true }],
    ['Suspected secondaries still count', ['Suspected', 'Suspected'], { required: 2, available: 3, readOnly: false }],
    ['4 secondaries, 2 Unhealthy: 3 of 5 is a majority', ['Healthy', 'Suspected', 'Unhealthy', 'Unhealthy'], { required: 3, available: 3, readOnly: false }],
    ['3 secondaries, 2 Unhealthy: 2 of 4 is not', ['Healthy', 'Unhealthy', 'Unhealthy'], { required: 3, available: 2, readOnly: true }],
  ] as const)('%s', (_, statuses, expected) => {
    expect(quorumOf(statuses)).toEqual(expected);
  });

  it('needs only the master when there are no secondaries', () => {
    expect(quorumOf([])).toEqual({ required: 1, available: 1, readOnly: false });
  });

  it('requires a strict majority of the N+1 nodes and counts the master plus every secondary not Unhealthy (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATUSES), { minLength: 1, maxLength: 7 }), (statuses) => {
        const nodes = statuses.length + 1;
        const notUnhealthy = statuses.filter((s) => s !== 'Unhealthy').length;

        const q = quorumOf(statuses);

        expect(q.required * 2).toBeGreaterThan(nodes);
        expect((q.required - 1) * 2).toBeLessThanOrEqual(nodes);
        expect(q.available).toBe(1 + notUnhealthy);
        expect(q.readOnly).toBe(q.available < q.required);
      }),
    );
  });

  it('does not depend on the order of the secondaries (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATUSES), { minLength: 1, maxLength: 7 }), (statuses) => {
        expect(quorumOf([...statuses].reverse())).toEqual(quorumOf(statuses));
        expect(quorumOf([...statuses].sort())).toEqual(quorumOf(statuses));
      }),
    );
  });

  it('is read-only only when no majority of the secondaries is Healthy or Suspected (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATUSES), { minLength: 1, maxLength: 7 }), (statuses) => {
        const reachableSecondaries = statuses.filter((s) => s !== 'Unhealthy').length;
        const majorityOfNodes = Math.floor((statuses.length + 1) / 2) + 1;

        expect(quorumOf(statuses).readOnly).toBe(1 + reachableSecondaries < majorityOfNodes);
      }),
    );
  });

  it('never gets worse when an Unhealthy secondary recovers (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATUSES), { minLength: 1, maxLength: 7 }), fc.nat(), fc.constantFrom<HealthStatus>('Healthy', 'Suspected'), (statuses, pick, recovered) => {
        const i = pick % statuses.length;
        const better = statuses.map((s, j) => (j === i && s === 'Unhealthy' ? recovered : s));

        const before = quorumOf(statuses);
        const after = quorumOf(better);

        expect(after.available).toBeGreaterThanOrEqual(before.available);
        if (!before.readOnly) expect(after.readOnly).toBe(false);
      }),
    );
  });
});

describe('wasAway', () => {
  it('treats a first beat (nothing recorded before) as back from away, so a new secondary is caught up', () => {
    expect(wasAway(undefined, T0, POLICY)).toBe(true);
  });

  it.each([
    ['the next beat on time', 1000, false],
    ['a beat exactly suspectedAfter intervals later', 2000, false],
    ['a beat just over suspectedAfter intervals later', 2001, true],
    ['a beat after a long silence', 3_600_000, true],
    ['the same beat twice', 0, false],
    ['an older beat arriving late', -5000, false],
  ])('%s → %s', (_, gapMs, expected) => {
    expect(wasAway(T0, T0 + gapMs, POLICY)).toBe(expected);
  });

  it('is away exactly when the gap would have made the secondary Suspected (property)', () => {
    fc.assert(
      fc.property(policy, time, fc.integer({ min: 0, max: 2 ** 30 }), (p, previous, gap) => {
        const away = wasAway(previous, previous + gap, p);

        expect(away).toBe(healthStatus(previous, previous + gap, p) !== 'Healthy');
      }),
    );
  });
});
