import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { acksMayHaveExpired, expiresAtSeconds, holdersByPrefix, isExpired } from '../../lib/retention';

const time = fc.integer({ min: 1_500_000_000_000, max: 2_500_000_000_000 });
const retention = fc.integer({ min: 1000, max: 87_600 * 3_600_000 });

describe('expiresAtSeconds / isExpired', () => {
  it('expire a record exactly once its retention has passed, in the whole seconds TTL uses (property)', () => {
    fc.assert(
      fc.property(time, retention, fc.integer({ min: -5000, max: 5000 }), (at, ret, offset) => {
        const expiresAt = expiresAtSeconds(at, ret);
        expect(Number.isInteger(expiresAt)).toBe(true);
        expect(expiresAt * 1000).toBeGreaterThanOrEqual(at + ret);
        expect(expiresAt * 1000).toBeLessThan(at + ret + 1000);
        const now = expiresAt * 1000 + offset;
        expect(isExpired(expiresAt, now)).toBe(offset >= 0);
      }),
    );
  });

  it('never expires a record without a numeric expiresAt (written before retention existed)', () => {
    for (const value of [undefined, null, '1', {}, Number.NaN]) expect(isExpired(value, Date.now())).toBe(false);
  });
});

describe('acksMayHaveExpired', () => {
  it('is false only while every ack of the entry is certainly still there (property)', () => {
    // An ack is written after the entry was stored, by a clock at most a second behind.
    fc.assert(
      fc.property(time, retention, fc.integer({ min: -1000, max: 10 * 86_400_000 }), fc.integer({ min: 0, max: 100 * 86_400_000 }), (storedAt, ret, ackDelay, elapsed) => {
        const now = storedAt + elapsed;
        const ackExpired = isExpired(expiresAtSeconds(storedAt + ackDelay, ret), now);
        if (!acksMayHaveExpired(storedAt, now, ret)) expect(ackExpired).toBe(false);
      }),
    );
  });

  it('turns true a retention after the entry was stored, and for an entry of unknown age', () => {
    const storedAt = 1_700_000_000_000;
    expect(acksMayHaveExpired(storedAt, storedAt + 5000, 60_000)).toBe(false);
    expect(acksMayHaveExpired(storedAt, storedAt + 60_000, 60_000)).toBe(true);
    expect(acksMayHaveExpired(undefined, storedAt, 60_000)).toBe(true);
  });

  it('keeps an idempotency key no longer than the acks of its append (property)', () => {
    // The key is bound before the entry is stored, and the acks come after it.
    fc.assert(
      fc.property(time, retention, fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: 0, max: 86_400_000 }), fc.integer({ min: 0, max: 30 * 86_400_000 }), (boundAt, ret, toStore, toAck, elapsed) => {
        const now = boundAt + elapsed;
        const keyAlive = !isExpired(expiresAtSeconds(boundAt, ret), now);
        const ackAlive = !isExpired(expiresAtSeconds(boundAt + toStore + toAck, ret), now);
        if (keyAlive) expect(ackAlive).toBe(true);
      }),
    );
  });
});

describe('holdersByPrefix', () => {
  it('names exactly the secondaries whose applied prefix reaches the id (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.integer({ min: -1, max: 1000 })), fc.integer({ min: 0, max: 1000 }), (prefixes, id) => {
        const holders = holdersByPrefix(id, prefixes);
        for (const [name, applied] of Object.entries(prefixes)) expect(holders.includes(name)).toBe(applied >= id);
        expect(new Set(holders).size).toBe(holders.length);
      }),
    );
  });

  it('counts a secondary whose prefix ends exactly at the id, and none with nothing applied', () => {
    expect(holdersByPrefix(7, { s1: 7, s2: 6, s3: -1 })).toEqual(['s1']);
    expect(holdersByPrefix(0, { s1: -1 })).toEqual([]);
  });
});
