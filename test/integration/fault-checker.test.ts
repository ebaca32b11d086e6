import { beforeAll, describe, expect, inject, it } from 'vitest';
import { randomSeed } from '../../scripts/checker/random';
import { runChecker, summaryLine } from '../../scripts/checker/run';
import { api } from '../support/api';
import { resetLog } from '../support/aws';

const SECONDARIES = ['s1', 's2'];

// The short run of `npm run check:faults` (scripts/check-faults.ts): a random seed each time,
// printed, so a failure can be replayed with REPLOG_CHECKER_SEED=<seed> (or the CLI's --seed).
describe('randomized fault checker', () => {
  beforeAll(resetLog);

  it('appends under down/slow/failing secondaries and duplicated, reordered jobs break no rule', async () => {
    // Prepare
    const seed = process.env.REPLOG_CHECKER_SEED ? Number(process.env.REPLOG_CHECKER_SEED) : randomSeed();
    const lines: string[] = [];
    try {
      // Act
      const summary = await runChecker({
        url: inject('apiUrl'),
        aws: inject('awsEndpoint'),
        stage: 'local',
        appends: 150,
        clients: 4,
        seed,
        secondaries: SECONDARIES,
        durationS: 30,
        healTimeoutS: 40,
        maxDownMs: 2500,
        chaosTickMs: [150, 500],
        // Under load an append may be slow, but none may take this long (the server waits 8 s).
        requestTimeoutMs: 30_000,
        log: (line) => lines.push(line),
      });
      console.log([...lines.filter((l) => /^(anomaly|note|checker: (outage|read-only))/.test(l)), summaryLine(summary)].join('\n'));

      // Assert
      expect(summary.anomalies, `seed ${seed}`).toEqual([]);
      expect(summary.appends, `seed ${seed}`).toBeGreaterThan(0);
      expect(summary.faults, `seed ${seed}: faults injected`).toBeGreaterThan(0);
      expect(summary.duplicates, `seed ${seed}: job copies sent`).toBeGreaterThan(0);
      expect(summary.createdByW[SECONDARIES.length + 1] ?? 0, `seed ${seed}: 201s with w=${SECONDARIES.length + 1}`).toBeGreaterThan(0);
    } catch (err) {
      console.log(`fault checker, seed ${seed}:\n${lines.join('\n')}`);
      throw err;
    } finally {
      await Promise.all(SECONDARIES.map((s) => api('PUT', `/admin/secondaries/${s}/faults`, { body: { down: false, delayMs: 0, errorRate: 0 } })));
    }
  }, 120_000);
});
