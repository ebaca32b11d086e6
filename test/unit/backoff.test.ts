import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { firstPollDelay, pollIntervals, retryDelaySeconds } from '../../lib/backoff';

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

describe('firstPollDelay', () => {
  it('looks at 2 ms with no history, and otherwise a little before the median recent wait, within 2–100 ms', () => {
    expect(firstPollDelay([])).toBe(2);
    expect(firstPollDelay([10, 12, 50])).toBe(10);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 60_000 }), { minLength: 1, maxLength: 40 }), (recent) => {
        const delay = firstPollDelay(recent);
        const sorted = [...recent].sort((a, b) => a - b);
        const median = sorted[Math.floor((sorted.length - 1) / 2)] as number;
        expect(delay).toBeGreaterThanOrEqual(2);
        expect(delay).toBeLessThanOrEqual(100);
        // Never after the median wait: at least half of the recent appends would have been met by then.
        expect(delay).toBeLessThanOrEqual(Math.max(2, median));
        // Slower recent waits never bring the first look earlier.
        expect(firstPollDelay(recent.map((ms) => ms + 10))).toBeGreaterThanOrEqual(delay);
      }),
    );
  });
});
