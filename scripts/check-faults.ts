// `npm run check:faults`: the randomized fault checker against a running replog (or one it starts).
//
//   npm run check:faults -- --appends 300 --seed 42
//
// C clients append with random w while secondaries are taken down, slowed and made to fail, and
// extra copies of replicate jobs are sent straight to their queues. After healing it checks every
// answer against the lists and tables, prints each violation as an `anomaly:` line and a summary
// line, and exits 1 on any anomaly (2 when it could not run). See scripts/checker/run.ts.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomSeed } from './checker/random';
import { runChecker, summaryLine, type Summary } from './checker/run';
import { startStack, type Stack } from '../localstack/stack';
import { projectRoot } from '../localstack/definition';

/** Where a stack of its own runs when nothing answers at --url (apart from npm start and the tests). */
const OWN_PORTS = { awsPort: 5066, httpPort: 3600, lambdaPort: 3602 } as const;
/** Shorter waits than the defaults, so an append blocked by a down secondary answers 202 sooner. */
const OWN_STACK_ENV = { REPLOG_WAIT_TIMEOUT_MS: '8000', REPLOG_HOLE_GRACE_MS: '1500' };

const USAGE = `usage: npm run check:faults -- [--url URL] [--aws URL] [--stage local] [--appends 2000] [--clients 8]
                              [--seed S] [--duration-s 300] [--heal-timeout-s 120] [--secondaries s1,s2]`;

function intOption(values: Record<string, unknown>, name: string, fallback: number, min: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    console.error(`--${name} must be an integer ≥ ${min}, got "${String(raw)}"\n${USAGE}`);
    process.exit(2);
  }
  return value;
}

async function answersList(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/list?limit=1`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        aws: { type: 'string' },
        stage: { type: 'string' },
        appends: { type: 'string' },
        clients: { type: 'string' },
        seed: { type: 'string' },
        'duration-s': { type: 'string' },
        'heal-timeout-s': { type: 'string' },
        secondaries: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const seed = values.seed === undefined ? randomSeed() : intOption(values, 'seed', 0, 0);
  console.log(`checker: seed=${seed}`);
  let url = String(values.url ?? process.env.REPLOG_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  let aws = String(values.aws ?? 'http://localhost:4566').replace(/\/+$/, '');
  const stage = String(values.stage ?? 'local');
  const appends = intOption(values, 'appends', 2000, 1);

  let stack: Stack | undefined;
  let stopping = false;
  const stopStack = async () => {
    if (stopping || !stack) return;
    stopping = true;
    await stack.stop();
  };
  const onSignal = () => {
    console.error('checker: interrupted; stopping what it started');
    void stopStack().finally(() => process.exit(130));
  };
  try {
    if (!(await answersList(url))) {
      const outDir = join(projectRoot, 'test-output');
      mkdirSync(outDir, { recursive: true });
      const logPath = join(outDir, 'check-faults-stack.log');
      const logFile = createWriteStream(logPath);
      console.log(`checker: nothing answers at ${url}; starting a stack on :${OWN_PORTS.httpPort} (AWS :${OWN_PORTS.awsPort}), its log in test-output/check-faults-stack.log`);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      stack = await startStack({
        ...OWN_PORTS,
        stage,
        secondaries: typeof values.secondaries === 'string' ? values.secondaries : undefined,
        env: OWN_STACK_ENV,
        log: (line) => logFile.write(line + '\n'),
      });
      url = stack.apiUrl;
      aws = stack.awsEndpoint;
    }
    const summary: Summary = await runChecker({
      url,
      aws,
      stage,
      appends,
      clients: intOption(values, 'clients', 8, 1),
      seed,
      durationS: intOption(values, 'duration-s', Math.max(120, Math.ceil(appends / 4)), 1),
      healTimeoutS: intOption(values, 'heal-timeout-s', 120, 1),
      secondaries: typeof values.secondaries === 'string' ? values.secondaries.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    });
    console.log(summaryLine(summary));
    return summary.anomalies.length > 0 ? 1 : 0;
  } catch (err) {
    console.error(`checker: could not run: ${(err as Error).stack ?? String(err)}`);
    console.log(`checker: seed=${seed} did not complete`);
    return 2;
  } finally {
    await stopStack();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
