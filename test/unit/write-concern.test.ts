import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { countHolders, isWriteConcernMet } from '../../lib/write-concern';

const CONFIGURED = ['s1', 's2', 's3'];

describe('countHolders', () => {
  it('counts the master alone when no secondary has acked', () => {
    expect(countHolders([], CONFIGURED)).toBe(1);
  });

  it('counts the master plus each acking secondary', () => {
    expect(countHolders(['s1'], CONFIGURED)).toBe(2);
    expect(countHolders(['s3', 's1'], CONFIGURED)).toBe(3);
    expect(countHolders(['s1', 's2', 's3'], CONFIGURED)).toBe(4);
  });

  it('counts a secondary that acked twice (redelivery) once', () => {
    expect(countHolders(['s2', 's2', 's2'], CONFIGURED)).toBe(2);
  });

  it('ignores acks from names that are not configured secondaries', () => {
    expect(countHolders(['s9', 'master', 'S1', ''], CONFIGURED)).toBe(1);
    expect(countHolders(['s1', 'old-secondary'], CONFIGURED)).toBe(2);
  });

  it('counts only the master when no secondaries are configured', () => {
    expect(countHolders(['s1'], [])).toBe(1);
  });

  it('is 1 + the number of distinct configured secondaries that acked (property)', () => {
    const name = fc.constantFrom('s1', 's2', 's3', 's4', 'x', 'master');
    fc.assert(
      fc.property(fc.array(name, { maxLength: 12 }), fc.uniqueArray(name, { maxLength: 6 }), (acking, configured) => {
        const distinctKnown = configured.filter((s) => acking.includes(s)).length;

        const holders = countHolders(acking, configured);

        expect(holders).toBe(1 + distinctKnown);
        expect(holders).toBeGreaterThanOrEqual(1);
        expect(holders).toBeLessThanOrEqual(configured.length + 1);
      }),
    );
  });
});

describe('isWriteConcernMet', () => {
  it('is met by the master alone for w=1', () => {
    expect(isWriteConcernMet(1, countHolders([], CONFIGURED))).toBe(true);
  });

  it('is not met one holder short, and met at exactly w and above', () => {
    expect(isWriteConcernMet(3, 2)).toBe(false);
    expect(isWriteConcernMet(3, 3)).toBe(true);
    expect(isWriteConcernMet(3, 4)).toBe(true);
  });

  it('needs w-1 distinct secondaries besides the master', () => {
    expect(isWriteConcernMet(3, countHolders(['s1', 's1'], CONFIGURED))).toBe(false);
    expect(isWriteConcernMet(3, countHolders(['s1', 's2'], CONFIGURED))).toBe(true);
  });

  it('holds exactly when holders ≥ w, so a met concern stays met as acks arrive (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }), (w, holders) => {
        expect(isWriteConcernMet(w, holders)).toBe(holders >= w);
        if (isWriteConcernMet(w, holders)) expect(isWriteConcernMet(w, holders + 1)).toBe(true);
      }),
    );
  });
});
