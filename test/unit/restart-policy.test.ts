import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decideRestart, DEFAULT_RESTART_POLICY, type RestartDecision } from '../../localstack/restart-policy';

const { maxRestarts, windowMs, firstDelayMs, maxDelayMs } = DEFAULT_RESTART_POLICY;

/** Replays exits at the given times through the policy, as the supervisor does. */
function replay(exitTimes: readonly number[]): RestartDecision[] {
  let history: number[] = [];
  return exitTimes.map((at) => {
    const decision = decideRestart(history, at);
    if (decision.restart) history = decision.history;
    return decision;
  });
}

describe('decideRestart', () => {
  it('restarts with a doubling delay, and gives up on the sixth death within a minute', () => {
    // Prepare: a part that dies a second after every start.
    const exits = [0, 1_000, 2_000, 3_000, 4_000, 5_000];

    // Act
    const decisions = replay(exits);

    // Assert
    expect(decisions.slice(0, 5).map((d) => (d.restart ? d.delayMs : -1))).toEqual([250, 500, 1000, 2000, 4000]);
    expect(decisions.slice(0, 5).map((d) => (d.restart ? d.attempt : -1))).toEqual([1, 2, 3, 4, 5]);
    expect(decisions[5]).toEqual({ restart: false, reason: 'it was restarted 5 times within 60 s' });
  });

  it('forgets restarts older than the window', () => {
    const decisions = replay([0, 1, 2, 3, 4, windowMs + 5]);

    expect(decisions[5]).toMatchObject({ restart: true, attempt: 1, delayMs: firstDelayMs });
  });

  it('never restarts more than maxRestarts times in any window, and delays stay within bounds (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30_000 }), { maxLength: 40 }), (gaps) => {
        // Prepare: exits at increasing times.
        const times = gaps.reduce<number[]>((acc, gap) => [...acc, (acc.at(-1) ?? 0) + gap], []);

        // Act
        const decisions = replay(times);

        // Assert
        const restartedAt = times.filter((_, i) => decisions[i]?.restart);
        for (const at of restartedAt) {
          expect(restartedAt.filter((t) => t <= at && at - t < windowMs).length).toBeLessThanOrEqual(maxRestarts);
        }
        decisions.forEach((d, i) => {
          if (!d.restart) {
            // Giving up only happens when the window is full.
            expect(restartedAt.filter((t) => (times[i] as number) - t < windowMs && t <= (times[i] as number)).length).toBe(maxRestarts);
            return;
          }
          expect(d.delayMs).toBeGreaterThanOrEqual(firstDelayMs);
          expect(d.delayMs).toBeLessThanOrEqual(maxDelayMs);
        });
      }),
    );
  });
});
