import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { nextFirstPoll, pollIntervals, retryDelaySeconds } from '../../lib/backoff';

/** The first `n` values of an endless generator. */
function take(gen: Iterator<number>, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(gen.next().value as number);
  return out;
}

describe('retryDelaySeconds', () => {
  it('doubles from 1 s per receive and stops at 30 s', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 100].map((n) => retryDelaySeconds(n));

    expect(delays).toEqual([1, 2, 4, 8, 16, 30, 30, 30]);
  });

  it('waits the base delay for a first receive or a missing / nonsensical count', () => {
    for (const count of [1, 0, -1, -1e9, -Infinity, 0.5, Number.NaN]) {
      expect(retryDelaySeconds(count), `receiveCount ${count}`).toBe(1);
    }
  });

  it('rounds a fractional receive count down', () => {
    expect(retryDelaySeconds(3.9)).toBe(4);
  });

  it('stays at the cap, finite, for huge counts', () => {
    for (const count of [31, 1024, 1e6, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, Infinity]) {
      expect(retryDelaySeconds(count), `receiveCount ${count}`).toBe(30);
    }
  });

  it('stays finite for huge counts even without a cap', () => {
    expect(retryDelaySeconds(1e9, 1, Infinity)).toBe(2 ** 30);
    expect(retryDelaySeconds(1e9, 0, Infinity)).toBe(0);
  });

  it('honours a custom base and cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(n, 5, 60))).toEqual([5, 10, 20, 40, 60]);
  });

  it('is finite, never below the base and never above the cap (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer(), fc.double()),
        fc.double({ min: 0.001, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (count, base, extra) => {
          const cap = base + extra;

          const delay = retryDelaySeconds(count, base, cap);

          expect(Number.isFinite(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(base);
          expect(delay).toBeLessThanOrEqual(cap);
        },
      ),
    );
  });

  it('never shrinks as the receive count grows (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 1e6 }), fc.integer({ min: 0, max: 1e6 }), (count, step) => {
        expect(retryDelaySeconds(count + step)).toBeGreaterThanOrEqual(retryDelaySeconds(count));
      }),
    );
  });

  it('doubles per receive until it reaches the cap (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 29 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1e6 }), (count, base, cap) => {
        fc.pre(base <= cap);

        expect(retryDelaySeconds(count + 1, base, cap)).toBe(Math.min(cap, 2 * retryDelaySeconds(count, base, cap)));
      }),
    );
  });
});

describe('pollIntervals', () => {
  it('starts within a few milliseconds, since an ack usually lands almost at once', () => {
    const [first, second] = take(pollIntervals(), 2);

    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(5);
    expect(second).toBeGreaterThanOrEqual(first ?? Infinity);
  });

  it('grows to its 100 ms cap and stays there', () => {
    const intervals = take(pollIntervals(), 60);

    expect(intervals.slice(0, 3)).toEqual([2, 3, 5]);
    expect(intervals.indexOf(100)).toBeLessThan(15);
    expect(intervals.slice(15)).toEqual(Array<number>(45).fill(100));
  });

  it('costs a few hundred reads at most over a 25 s wait', () => {
    const gen = pollIntervals();
    let elapsed = 0;
    let reads = 0;

    while (elapsed < 25_000) {
      elapsed += gen.next().value;
      reads++;
    }

    expect(reads).toBeLessThan(300);
  });

  it('starts at firstMs, never decreases, never exceeds the cap and reaches it (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 1.1, max: 4, noNaN: true }),
        (firstMs, extra, factor) => {
          const maxMs = firstMs + extra;

          const intervals = take(pollIntervals(firstMs, factor, maxMs), 120);

          // Plain checks per value, one expect per run: keeps 120 values × many runs fast.
          const decreasesAt = intervals.findIndex((ms, i) => i > 0 && ms < (intervals[i - 1] ?? 0));
          const overCapAt = intervals.findIndex((ms) => ms > maxMs);
          expect({ first: intervals[0], decreasesAt, overCapAt, last: intervals.at(-1) }).toEqual({
            first: firstMs,
            decreasesAt: -1,
            overCapAt: -1,
            last: maxMs,
          });
        },
      ),
    );
  });
});

describe('nextFirstPoll', () => {
  it('moves the first look earlier after a wait met at once, later after one that took more looks, within 2–100 ms', () => {
    fc.assert(
      fc.property(fc.double({ min: 2, max: 100, noNaN: true }), fc.boolean(), (current, atOnce) => {
        const next = nextFirstPoll(current, atOnce);
        expect(next).toBeGreaterThanOrEqual(2);
        expect(next).toBeLessThanOrEqual(100);
        if (atOnce) expect(next).toBeLessThanOrEqual(current);
        else expect(next).toBeGreaterThanOrEqual(current);
      }),
    );
  });

  it('settles near when acks arrive, meeting about two waits in three at the first look', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 80 }), fc.integer({ min: 0, max: 2 ** 31 }), (typicalMs, seed) => {
        // Acks arrive at typicalMs ± 30 %, from a seeded generator.
        let state = seed;
        const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        let first = 2;
        let atOnce = 0;
        const waits = 3000;
        for (let i = 0; i < waits; i++) {
          const arrival = typicalMs * (0.7 + 0.6 * random());
          const met = first >= arrival;
          if (i >= waits / 2 && met) atOnce++;
          first = nextFirstPoll(first, met);
        }
        expect(first).toBeGreaterThan(typicalMs * 0.6);
        expect(first).toBeLessThan(typicalMs * 1.4);
        expect(atOnce / (waits / 2)).toBeGreaterThan(0.5);
        expect(atOnce / (waits / 2)).toBeLessThan(0.85);
      }),
      { numRuns: 50 },
    );
  });
});
