/**
 * `npm run bench [-- options]`: measures replog on this machine and prints one markdown table;
 * the same results go to bench/results/<timestamp>.json. See bench/README.md.
 *
 * By default it starts the embedded stack (startStack) on ports of its own — AWS 4966, HTTP 3500,
 * Lambda 3502, or --ports / REPLOG_BENCH_PORTS — in a child process, so it runs beside `npm start`
 * and the tests; with
 * `--url http://localhost:3000 --aws http://localhost:4566` it measures a stack already running.
 * Timings never change the exit code: it exits non-zero only when the stack fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { apiClient } from './bench/client';
import { createFloor } from './bench/floor';
import { append, catchUp, replicationLag, settle, warmUp, type Ctx } from './bench/measure';
import { setTimeout as sleep } from 'node:timers/promises';
import { CpuAccount, idleMemory, sampleMemory } from './bench/memory';
import { diffCounts, type UsageCounts } from '../localstack/aws-usage';
import { merge, runClosedLoop, summarize, type Measured, type Part } from './bench/stats';
import { externalStack, startEmbedded, type StackHandle } from './bench/stack-handle';
import { renderTable, ratios } from './bench/report';
import { projectRoot } from '../localstack/definition';
import { benchPorts, parseBenchPorts } from './bench/ports';

const usage = `usage: npm run bench -- [options]
  --appends N          samples per measurement (default 500; --quick 100)
  --size BYTES         msg size in bytes (default 100)
  --secondaries LIST   secondaries of the embedded stack (default s1,s2)
  --concurrency LIST   parallel clients for the throughput runs (default 1,8,32)
  --rounds N           rounds the floor and the appends it is compared with alternate in (default 5; --quick 2)
  --catchup N          appends while a secondary is down (default 10000; --quick 1000)
  --skip-catchup       leave out the catch-up measurement
  --quick              the whole run in about a minute
  --url URL --aws URL  measure a stack already running instead of starting one
  --ports A,H,L        the embedded stack's AWS, HTTP and Lambda ports (default 4966,3500,3502,
                       or REPLOG_BENCH_PORTS)
  --cpu-prof DIR       write CPU profiles of the embedded stack's node processes to DIR
  --no-usage           do not count the stack's AWS calls (requests, units, invocations per append)
  --stack-env K=V      extra environment for the embedded stack's functions (repeatable), e.g.
                       REPLOG_LOG_LEVEL=WARN, to measure what a setting changes
  --help`;

const { values: args } = parseArgs({
  options: {
    appends: { type: 'string' },
    size: { type: 'string', default: '100' },
    secondaries: { type: 'string', default: 's1,s2' },
    concurrency: { type: 'string', default: '1,8,32' },
    rounds: { type: 'string' },
    catchup: { type: 'string' },
    'skip-catchup': { type: 'boolean', default: false },
    'no-usage': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    url: { type: 'string' },
    aws: { type: 'string' },
    ports: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'stack-env': { type: 'string', multiple: true },
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
const stackEnv = Object.fromEntries(
  (args['stack-env'] ?? []).map((kv) => {
    const at = kv.indexOf('=');
    if (at <= 0) {
      console.error(`--stack-env takes KEY=VALUE, got "${kv}"\n${usage}`);
      process.exit(2);
    }
    return [kv.slice(0, at), kv.slice(at + 1)];
  }),
);
// The floor and the appends its ratios compare it with run in alternating rounds, so a change in
// the machine's load during the run hits both sides alike.
const rounds = positive('rounds', args.rounds ?? (quick ? '2' : '5'));
// Every loop is bounded in time as well as in count.
// Warm-up runs the append path (all w, lists) and then the floor's calls, for warmupMs (split) or
// the count: DynamoDB Local's JVM compiles its hot paths over the first ~1,000 calls (a fresh
// stack's floor p50 fell from ~32 ms to ~9 ms over its first 750 floor operations here).
const limits = quick
  ? { phaseMs: 1_500, lagMs: 3_000, lagSamples: Math.min(samples, 50), fillMs: 12_000, catchupMs: 20_000, warmup: 100, warmupMs: 6_000 }
  : { phaseMs: 120_000, lagMs: 60_000, lagSamples: Math.min(samples, 300), fillMs: 420_000, catchupMs: 180_000, warmup: 100, warmupMs: 30_000 };
let ports: ReturnType<typeof benchPorts>;
try {
  ports = args.ports === undefined ? benchPorts() : parseBenchPorts(args.ports);
} catch (err) {
  console.error(`${(err as Error).message}\n${usage}`);
  process.exit(2);
}
const startedAt = new Date();
const loadAtStart = loadavg();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const resultsDir = join(projectRoot, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });

const progress = (line: string) => process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);

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
    stack =
      args.url && args.aws
        ? externalStack(args.url, args.aws)
        : await startEmbedded({ ports, secondaries: args.secondaries, logFile: join(resultsDir, `${stamp}.stack.log`), cpuProfDir: args['cpu-prof'], env: stackEnv, countAwsUsage: !args['no-usage'] });
  } catch (err) {
    console.error(`bench: the stack failed to start: ${(err as Error).message}`);
    return 1;
  }
  // Idle: after start-up has settled (the first heartbeats and repair pass), before any load.
  // The AWS calls made meanwhile are the stack's background (heartbeats, repair passes), per second.
  const usageAtIdle = await stack.usage();
  const idleFrom = performance.now();
  const idle = stack.embedded ? await idleMemory(() => stack.roots, 5000) : undefined;
  await sleep(400);
  const usageAfterIdle = await stack.usage();
  const background: { seconds: number; counts: UsageCounts } | undefined =
    usageAtIdle && usageAfterIdle ? { seconds: (performance.now() - idleFrom) / 1000, counts: diffCounts(usageAtIdle, usageAfterIdle) } : undefined;
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

    // CPU used by each part of the stack (and by the load generator) per operation: unlike
    // latency, it barely moves when other work shares the machine.
    const cpu = new CpuAccount(() => stack.roots, () => stack.usage());
    progress(`warm-up: appends at every w, lists, the floor's calls`);
    await warmUp(ctx, limits.warmup, maxW, (limits.warmupMs * 2) / 3);
    // The floor makes its calls the way the functions do (straight to the emulators, when embedded).
    const floor = await createFloor({
      awsEndpoint: stack.awsEndpoint,
      dynamoEndpoint: stack.functionEndpoints.dynamodb,
      sqsEndpoint: stack.functionEndpoints.sqs,
      prefix: 'replog-local',
      secondaries,
      msgBytes,
    });
    let sequential: Record<string, Measured>;
    let throughput: Array<Measured & { w: number }>;
    let floorParallel: Measured;
    try {
      await runClosedLoop(8, limits.warmup * 10, limits.warmupMs / 3, (i) => floor.appendOnce(i));
      // Appends settle (every secondary holds the last id) inside their run: the replication an
      // append causes is part of its cost, and must not spill into the next run's.
      const appendRun = (w: number, clients: number) => async (count: number, timeLimitMs: number) => {
        const part = await runClosedLoop(clients, count, timeLimitMs, () => append(ctx, w));
        await settle(ctx);
        return part;
      };
      const floorRun = (clients: number) => (count: number, timeLimitMs: number) => runClosedLoop(clients, count, timeLimitMs, (i) => floor.appendOnce(i));

      const seqKinds = [{ name: 'floor sequential', run: floorRun(1) }, ...Array.from({ length: maxW }, (_, k) => ({ name: `append w=${k + 1} sequential`, run: appendRun(k + 1, 1) }))];
      progress(`sequential: floor and w=1..${maxW}, ${samples} each, in ${rounds} alternating rounds`);
      sequential = await interleave(seqKinds, samples, limits.phaseMs);

      // The 8-client runs the targets compare with the floor's alternate with it too.
      const at8Ws = [...new Set([1, maxW])];
      progress(`8 clients: floor and w=${at8Ws.join(', w=')}, ${samples} each, in ${rounds} alternating rounds`);
      const at8 = await interleave(
        [{ name: 'floor 8 clients', run: floorRun(8) }, ...at8Ws.map((w) => ({ name: `append w=${w} 8 clients`, run: appendRun(w, 8) }))],
        samples,
        limits.phaseMs,
      );
      floorParallel = at8['floor 8 clients'] as Measured;
      throughput = [];
      for (const w of at8Ws) {
        for (const clients of [...new Set([...concurrency, 8])].sort((a, b) => a - b)) {
          if (clients === 8) {
            throughput.push({ w, ...(at8[`append w=${w} 8 clients`] as Measured) });
            continue;
          }
          if (!concurrency.includes(clients)) continue;
          const count = Math.max(samples, clients * 10);
          progress(`append: ${count} at w=${w} with ${clients} parallel clients`);
          const name = `append w=${w} ${clients} clients`;
          const part = await cpu.run(name, (p: Part) => p.completed + p.failed, () => appendRun(w, clients)(count, limits.phaseMs));
          throughput.push({ w, ...merge([part]) });
        }
      }
    } finally {
      await floor.close();
    }

    /** Runs each kind `count` times in total, split into `rounds` alternating runs. */
    async function interleave(kinds: Array<{ name: string; run: (count: number, timeLimitMs: number) => Promise<Part> }>, count: number, timeLimitMs: number) {
      const parts: Record<string, Part[]> = Object.fromEntries(kinds.map((k) => [k.name, []]));
      for (let r = 0; r < rounds; r++) {
        for (const kind of kinds) {
          const part = await cpu.run(kind.name, (p: Part) => p.completed + p.failed, () => kind.run(Math.ceil(count / rounds), timeLimitMs / rounds));
          parts[kind.name]?.push(part);
        }
      }
      return Object.fromEntries(Object.entries(parts).map(([name, p]) => [name, merge(p)])) as Record<string, Measured>;
    }

    const lag = await replicationLag(ctx, limits.lagSamples, limits.lagMs);

    const downName = secondaries.includes('s2') ? 's2' : (secondaries.at(-1) as string);
    // w=2 while s2 is down: each append waits for s1, so s1 never falls seconds behind (its
    // heartbeats ride its queue, and a secondary seconds behind reads as Unhealthy; with s2 down
    // that would cost the quorum and the appends would get 503).
    const catchup = skipCatchup ? undefined : await catchUp(ctx, downName, catchupCount, 32, Math.min(2, maxW), limits.fillMs, limits.catchupMs);

    // The catch-up logs what it copied once its acks are written too, after the list shows the
    // last id: give it a few seconds to say so.
    let stats = await stack.stats();
    for (let i = 0; catchup && stats && stats.repairCopies === 0 && i < 20; i++) {
      await sleep(250);
      stats = await stack.stats();
    }
    const mem = memory.stop();
    // Inside each measurement: how long serverless-offline says each function ran (the rest of an
    // append's latency is the emulated API Gateway + Lambda invoke, and the load generator).
    const handlerMs: Record<string, Record<string, { n: number; p50: number; p99: number }>> = {};
    for (const [name, windows] of cpu.windows) {
      const byFn: Record<string, number[]> = {};
      for (const [fn, ms, at] of stats?.durations ?? []) {
        if (!windows.some(([from, to]) => at >= from && at <= to + 50)) continue;
        const key = fn.startsWith('replicate') ? 'replicate' : fn;
        (byFn[key] ??= []).push(ms);
      }
      handlerMs[name] = Object.fromEntries(
        Object.entries(byFn).map(([fn, v]) => {
          const sum = summarize(v);
          return [fn, { n: sum.n, p50: sum.p50, p99: sum.p99 }];
        }),
      );
    }
    const floorResult = { sequential: sequential['floor sequential'] as Measured, parallel: floorParallel, tables: floor.tables, queues: floor.queues };
    const sequentialByW = Array.from({ length: maxW }, (_, k) => ({ w: k + 1, ...(sequential[`append w=${k + 1} sequential`] as Measured) }));
    const cpuMsPerOp = cpu.perOp();
    const computed = ratios({ floor: floorResult, sequential: sequentialByW, throughput, lag, catchup, maxW, cpuMsPerOp, peakRssMiB: mem.supported ? mem.peakMiB : undefined });
    const results = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      commit: gitCommit(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadavg: loadAtStart },
      stack: stack.embedded
        ? { mode: 'embedded', apiUrl: stack.apiUrl, awsEndpoint: stack.awsEndpoint, note: 'started by the bench in a child process (scripts/bench/stack-host.ts)' }
        : { mode: 'external', apiUrl: stack.apiUrl, awsEndpoint: stack.awsEndpoint },
      options: { quick, samples, msgBytes, secondaries, concurrency, rounds, catchup: skipCatchup ? null : catchupCount, limits, stackEnv },
      floor: floorResult,
      append: { sequential: sequentialByW, throughput },
      lag,
      catchup: catchup ?? null,
      memory: mem,
      ratios: computed,
      cpuMsPerOp,
      awsUsage: background ? { background, perMeasurement: cpu.usagePerMeasurement() } : undefined,
      loadavgAtEnd: loadavg(),
      startupSeconds: stack.startupSeconds,
      idleMemory: idle,
      repairCopies: stats?.repairCopies,
      handlerMs,
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

main().then((code) => process.exit(code));
