/**
 * `npm run bench [-- options]`: measures replog on this machine and prints one markdown table;
 * the same results go to bench/results/<timestamp>.json. See bench/README.md.
 *
 * By default it starts the embedded stack (startStack) on ports of its own — AWS 4966, HTTP 3500,
 * Lambda 3502 — in a child process, so it runs beside `npm start` and the tests; with
 * `--url http://localhost:3000 --aws http://localhost:4566` it measures a stack already running.
 * Timings never change the exit code: it exits non-zero only when the stack fails.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { apiClient } from './bench/client';
import { measureFloor } from './bench/floor';
import { appendSequential, appendThroughput, catchUp, replicationLag, warmUp, type Ctx } from './bench/measure';
import { cpuPerOp, cpuSnapshot, listeningPids, sampleMemory } from './bench/memory';
import { renderTable, ratios } from './bench/report';
import { projectRoot } from './lib/stack-definition';

const usage = `usage: npm run bench -- [options]
  --appends N          samples per measurement (default 500; --quick 100)
  --size BYTES         msg size in bytes (default 100)
  --secondaries LIST   secondaries of the embedded stack (default s1,s2)
  --concurrency LIST   parallel clients for the throughput runs (default 1,8,32)
  --catchup N          appends while a secondary is down (default 10000; --quick 1000)
  --skip-catchup       leave out the catch-up measurement
  --quick              the whole run in about a minute
  --url URL --aws URL  measure a stack already running instead of starting one
  --cpu-prof DIR       write CPU profiles of the embedded stack's node processes to DIR
  --help`;

const { values: args } = parseArgs({
  options: {
    appends: { type: 'string' },
    size: { type: 'string', default: '100' },
    secondaries: { type: 'string', default: 's1,s2' },
    concurrency: { type: 'string', default: '1,8,32' },
    catchup: { type: 'string' },
    'skip-catchup': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    url: { type: 'string' },
    aws: { type: 'string' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive integer, got "${raw}"\n${usage}`);
    process.exit(2);
  }
  return n;
}

if (args.help) {
  console.log(usage);
  process.exit(0);
}
if ((args.url === undefined) !== (args.aws === undefined)) {
  console.error(`--url and --aws go together\n${usage}`);
  process.exit(2);
}

const quick = args.quick;
const samples = positive('appends', args.appends ?? (quick ? '100' : '500'));
const msgBytes = positive('size', args.size);
const concurrency = args.concurrency.split(',').map((c) => positive('concurrency', c.trim()));
const catchupCount = positive('catchup', args.catchup ?? (quick ? '1000' : '10000'));
const skipCatchup = args['skip-catchup'];
// Every loop is bounded in time as well as in count.
const limits = quick
  ? { phaseMs: 3_000, lagMs: 4_000, lagSamples: Math.min(samples, 50), fillMs: 10_000, catchupMs: 20_000, warmup: 5 }
  : { phaseMs: 120_000, lagMs: 60_000, lagSamples: Math.min(samples, 300), fillMs: 300_000, catchupMs: 180_000, warmup: 30 };
const ports = { awsPort: 4966, httpPort: 3500, lambdaPort: 3502 };
const startedAt = new Date();
const loadAtStart = loadavg();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const resultsDir = join(projectRoot, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });

const progress = (line: string) => process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);

interface StackHandle {
  apiUrl: string;
  awsEndpoint: string;
  embedded: boolean;
  /** Roots of the process tree whose memory is the stack's. */
  roots: number[];
  logFile?: string;
  startupSeconds?: number;
  stop(): Promise<void>;
}

/** Starts the embedded stack in a child process (see bench/stack-host.ts). */
function startEmbedded(): Promise<StackHandle> {
  const logFile = join(resultsDir, `${stamp}.stack.log`);
  const cpuProf = args['cpu-prof'];
  const profArgs = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [];
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    REPLOG_BENCH_STACK: JSON.stringify({
      ...ports,
      secondaries: args.secondaries,
      logFile,
      lockFile: join(projectRoot, '.replog', 'bench.lock'),
      // The functions (serverless-offline's process) are profiled through NODE_OPTIONS.
      ...(cpuProf ? { env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${cpuProf}` } } : {}),
    }),
  };
  const host: ChildProcess = fork(join(projectRoot, 'scripts', 'bench', 'stack-host.ts'), [], {
    cwd: projectRoot,
    env,
    execArgv: ['--import', 'tsx', ...profArgs],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => host.once('exit', () => resolve()));
  const stop = async () => {
    if (host.exitCode !== null || host.signalCode !== null) return;
    host.send({ type: 'stop' });
    const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 30_000))]);
    if (!done) {
      // The host did not stop its stack in time: end it (its own children get SIGTERM from startStack's cleanup otherwise).
      host.kill('SIGKILL');
      await exited;
    }
  };
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    host.on('message', (m: { type: string; apiUrl: string; awsEndpoint: string; message?: string }) => {
      if (m.type === 'ready') {
        resolve({ apiUrl: m.apiUrl, awsEndpoint: m.awsEndpoint, embedded: true, roots: [host.pid as number], logFile, stop, startupSeconds: Math.round(performance.now() - t0) / 1000 });
      }
      if (m.type === 'failed') reject(new Error(`${m.message} (stack log: ${relative(projectRoot, logFile)})`));
    });
    host.once('exit', (code) => reject(new Error(`the stack host exited with code ${code} (stack log: ${relative(projectRoot, logFile)})`)));
  });
}

function external(apiUrl: string, awsEndpoint: string): StackHandle {
  const portOf = (u: string) => Number(new URL(u).port || 80);
  // The processes listening on the two ports, and their children (e.g. DynamoDB Local's JVM).
  const roots = [...new Set([...listeningPids(portOf(apiUrl)), ...listeningPids(portOf(awsEndpoint))])];
  return { apiUrl: apiUrl.replace(/\/+$/, ''), awsEndpoint: awsEndpoint.replace(/\/+$/, ''), embedded: false, roots, stop: async () => undefined };
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  progress(args.url ? `using the stack at ${args.url} (AWS ${args.aws})` : `starting the embedded stack on ports ${ports.httpPort}/${ports.lambdaPort}/${ports.awsPort}`);
  let stack: StackHandle;
  try {
    stack = args.url && args.aws ? external(args.url, args.aws) : await startEmbedded();
  } catch (err) {
    console.error(`bench: the stack failed to start: ${(err as Error).message}`);
    return 1;
  }
  const memory = sampleMemory(() => stack.roots);
  const api = apiClient(stack.apiUrl);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    progress('interrupted: stopping');
    void stack.stop().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const health = await api.call<{ secondaries?: Record<string, unknown> }>('GET', '/health');
    const secondaries = health.status === 200 && health.body.secondaries ? Object.keys(health.body.secondaries) : args.secondaries.split(',').map((s) => s.trim());
    const maxW = secondaries.length + 1;
    const ctx: Ctx = { api, secondaries, msgBytes, log: progress, lastId: -1 };
    const listed = await api.call('GET', '/list?limit=1');
    if (listed.status !== 200) throw new Error(`GET /list answered ${listed.status}: ${JSON.stringify(listed.body)}`);
    progress(`secondaries: ${secondaries.join(', ')}; ${samples} samples per measurement, msg ${msgBytes} B`);

    // CPU used by each part of the stack (and by the load generator) per operation, per run:
    // unlike latency, it barely moves when other work shares the machine.
    const cpu: Record<string, Record<string, number>> = {};
    const account = async <T>(name: string, ops: (result: T) => number, run: () => Promise<T>): Promise<T> => {
      const before = cpuSnapshot(stack.roots);
      const result = await run();
      cpu[name] = { ...cpuPerOp(before, cpuSnapshot(stack.roots), ops(result)), loadavg1m: Math.round((loadavg()[0] ?? 0) * 100) / 100 };
      return result;
    };
    const floor = await measureFloor({
      account,
      awsEndpoint: stack.awsEndpoint,
      prefix: 'replog-local',
      secondaries,
      samples,
      clients: 8,
      msgBytes,
      timeLimitMs: limits.phaseMs,
      warmup: limits.warmup * 3,
      log: progress,
    });

    progress(`append: warm-up`);
    await warmUp(ctx, limits.warmup, maxW);
    const sequential = [];
    for (let w = 1; w <= maxW; w++) {
      sequential.push(await account(`append w=${w} sequential`, (r) => r.latency.n + r.failed, () => appendSequential(ctx, w, samples, limits.phaseMs)));
    }
    const throughput = [];
    const runs = [...new Set([1, maxW])].flatMap((w) => concurrency.map((clients) => ({ w, clients })));
    // The floor's 8-client figure is compared with appends at 8 clients, measured even if --concurrency leaves 8 out.
    if (!concurrency.includes(8)) runs.push({ w: 1, clients: 8 });
    for (const { w, clients } of runs) {
      const count = Math.max(samples, clients * 10);
      throughput.push(await account(`append w=${w} ${clients} clients`, (r) => r.completed + r.failed, () => appendThroughput(ctx, w, clients, count, limits.phaseMs)));
    }

    const lag = await replicationLag(ctx, limits.lagSamples, limits.lagMs);

    const downName = secondaries.includes('s2') ? 's2' : (secondaries.at(-1) as string);
    const catchup = skipCatchup ? undefined : await catchUp(ctx, downName, catchupCount, 32, 1, limits.fillMs, limits.catchupMs);

    const mem = memory.stop();
    const computed = ratios({ floor, sequential, throughput, lag, catchup, maxW });
    const results = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      commit: gitCommit(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadavg: loadAtStart },
      stack: stack.embedded
        ? { mode: 'embedded', apiUrl: stack.apiUrl, awsEndpoint: stack.awsEndpoint, note: 'started by the bench in a child process (scripts/bench/stack-host.ts)' }
        : { mode: 'external', apiUrl: stack.apiUrl, awsEndpoint: stack.awsEndpoint },
      options: { quick, samples, msgBytes, secondaries, concurrency, catchup: skipCatchup ? null : catchupCount, limits },
      floor,
      append: { sequential, throughput },
      lag,
      catchup: catchup ?? null,
      memory: mem,
      ratios: computed,
      cpuMsPerOp: cpu,
      loadavgAtEnd: loadavg(),
      startupSeconds: stack.startupSeconds,
      repairCopies: stack.logFile ? countRepairCopies(stack.logFile) : undefined,
    };
    const file = join(resultsDir, `${stamp}.json`);
    writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
    console.log(renderTable(results));
    console.log(`\nresults: ${relative(projectRoot, file)}${stack.logFile ? ` · stack log: ${relative(projectRoot, stack.logFile)}` : ''}`);
    return 0;
  } catch (err) {
    console.error(`bench: ${(err as Error).stack ?? err}`);
    return 1;
  } finally {
    api.close();
    progress('stopping');
    await stack.stop();
  }
}

/** Entries the repair pass copied to secondaries (anti-entropy), from the functions' log lines. */
function countRepairCopies(logFile: string): number {
  try {
    let copied = 0;
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      if (!line.includes('copied missed entries')) continue;
      const m = line.match(/"copied":(\d+)/);
      copied += m ? Number(m[1]) : 0;
    }
    return copied;
  } catch {
    return 0;
  }
}

main().then((code) => process.exit(code));
