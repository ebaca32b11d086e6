import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { forEachLimited } from '../../lib/batches';

describe('forEachLimited', () => {
  it('runs every item once, never more than `limit` at a time, starting them in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }), fc.integer({ min: 1, max: 10 }), async (delays, limit) => {
        // Prepare
        const started: number[] = [];
        let running = 0;
        let most = 0;

        // Act
        await forEachLimited(
          delays.map((ms, i) => ({ ms, i })),
          limit,
          async ({ ms, i }) => {
            started.push(i);
            most = Math.max(most, ++running);
            await new Promise((resolve) => setTimeout(resolve, ms));
            running--;
          },
        );

        // Assert
        expect(started).toEqual(delays.map((_, i) => i));
        expect(running).toBe(0);
        expect(most).toBeLessThanOrEqual(Math.max(1, Math.min(limit, delays.length)));
        if (delays.length > 0) expect(most).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects with the error of a failing item', async () => {
    // Prepare
    const items = fc.sample(fc.array(fc.integer(), { minLength: 1, maxLength: 30 }), { numRuns: 1 })[0] as number[];
    const failing = items[Math.floor(items.length / 2)] as number;

    // Act
    const done = forEachLimited(items, 4, async (n) => {
      if (n === failing) throw new Error(`item ${n}`);
    });

    // Assert
    await expect(done).rejects.toThrow(`item ${failing}`);
  });
});
