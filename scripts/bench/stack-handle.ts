/** The stack a bench measures: the embedded one it starts (in a child process), or one already running. */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from '../../localstack/definition';
import { listeningPids } from './memory';
import type { UsageCounts } from '../../localstack/aws-usage';

export interface StackHandle {
  apiUrl: string;
  awsEndpoint: string;
  /** Where the functions send DynamoDB and SQS calls (the floor makes its calls the same way). */
  functionEndpoints: { dynamodb: string; sqs: string };
  embedded: boolean;
  /** Roots of the process tree that is the stack (for memory and CPU accounting). */
  roots: number[];
  /** PIDs startStack reported (serverless-offline, DynamoDB Local), embedded only. */
  stackPids: number[];
  hostPid?: number;
  logFile?: string;
  startupSeconds?: number;
  /** Counts from the stack's log (embedded only). */
  stats(): Promise<StackStats | undefined>;
  /** The AWS calls the stack has made so far, as the stack counted them (embedded with countAwsUsage only). */
  usage(): Promise<UsageCounts | undefined>;
  stop(): Promise<void>;
}

export interface StackStats {
  repairCopies: number;
  logLines: number;
  /** Each function invocation serverless-offline reported: [function, duration ms, epoch ms seen]. */
  durations: Array<[string, number, number]>;
}

export interface EmbeddedOptions {
  ports: { awsPort: number; httpPort: number; lambdaPort: number };
  secondaries: string;
  logFile: string;
  /** Write V8 CPU profiles of the stack host and of serverless-offline (the functions) here. */
  cpuProfDir?: string;
  env?: Record<string, string>;
  /** Count the AWS calls the stack makes (localstack/aws-usage.ts). */
  countAwsUsage?: boolean;
}

/**
 * Node refuses --cpu-prof in NODE_OPTIONS, and serverless-offline is spawned by startStack, not by
 * us: this preload (NODE_OPTIONS=--require) profiles it with the inspector instead, at --cpu-prof's
 * default 1 ms interval, and writes the profile when the process exits (offline exits normally on
 * SIGTERM). File names follow --cpu-prof's, with the PID fourth from the end.
 */
const PRELOAD = `'use strict';
const dir = process.env.REPLOG_CPU_PROF_DIR;
if (dir) {
  const { Session } = require('node:inspector');
  const { writeFileSync } = require('node:fs');
  const { join } = require('node:path');
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  let written = false;
  process.on('exit', () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, 'CPU.preload.0.' + process.pid + '.0.001.cpuprofile'), JSON.stringify(res.profile));
    });
  });
}
`;

function profilingEnv(dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const preload = join(dir, 'cpu-prof-preload.cjs');
  writeFileSync(preload, PRELOAD);
  return { REPLOG_CPU_PROF_DIR: dir, NODE_OPTIONS: `--require "${preload}"` };
}

/** Starts startStack() in scripts/bench/stack-host.ts, a child process of ours. */
export function startEmbedded(o: EmbeddedOptions): Promise<StackHandle> {
  const profArgs = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [];
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    REPLOG_BENCH_STACK: JSON.stringify({
      ...o.ports,
      secondaries: o.secondaries,
      logFile: o.logFile,
      countAwsUsage: o.countAwsUsage === true,
      lockFile: join(projectRoot, '.replog', 'bench.lock'),
      // serverless-offline (where the functions run, in process) is profiled through NODE_OPTIONS.
      env: { ...o.env, ...(o.cpuProfDir ? profilingEnv(o.cpuProfDir) : {}) },
    }),
  };
  const host: ChildProcess = fork(join(projectRoot, 'scripts', 'bench', 'stack-host.ts'), [], {
    cwd: projectRoot,
    env,
    // A heap limit keeps V8 from growing the heap lazily (see localstack/stack.ts).
    execArgv: ['--max-old-space-size=192', '--import', 'tsx', ...profArgs],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => host.once('exit', () => resolve()));
  let stackPids: number[] = [];
  const stop = async () => {
    if (host.exitCode !== null || host.signalCode !== null) return;
    if (host.connected) host.send({ type: 'stop' });
    const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 45_000))]);
    if (!done) {
      // The host did not stop its stack in time: end it, and the processes it started for us, by PID.
      host.kill('SIGKILL');
      await exited;
      for (const pid of stackPids) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
  };
  const stats = () =>
    new Promise<StackStats | undefined>((resolve) => {
      if (!host.connected) return resolve(undefined);
      const timer = setTimeout(() => resolve(undefined), 5000);
      const onMessage = (m: StackStats & { type: string }) => {
        if (m.type !== 'stats') return;
        clearTimeout(timer);
        host.off('message', onMessage);
        resolve({ repairCopies: m.repairCopies, logLines: m.logLines, durations: m.durations });
      };
      host.on('message', onMessage);
      host.send({ type: 'stats' });
    });
  const usage = () =>
    new Promise<UsageCounts | undefined>((resolve) => {
      if (!o.countAwsUsage || !host.connected) return resolve(undefined);
      const timer = setTimeout(() => resolve(undefined), 5000);
      const onMessage = (m: { type: string; counts: UsageCounts }) => {
        if (m.type !== 'usage') return;
        clearTimeout(timer);
        host.off('message', onMessage);
        resolve(m.counts);
      };
      host.on('message', onMessage);
      host.send({ type: 'usage' });
    });
  const logName = relative(projectRoot, o.logFile);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    host.on('message', (m: { type: string; apiUrl: string; awsEndpoint: string; functionEndpoints: { dynamodb: string; sqs: string }; pids?: number[]; message?: string }) => {
      if (m.type === 'ready') {
        stackPids = m.pids ?? [];
        resolve({
          apiUrl: m.apiUrl,
          awsEndpoint: m.awsEndpoint,
          functionEndpoints: m.functionEndpoints,
          embedded: true,
          roots: [host.pid as number],
          stackPids,
          hostPid: host.pid,
          logFile: o.logFile,
          stats,
          usage,
          stop,
          startupSeconds: Math.round(performance.now() - t0) / 1000,
        });
      }
      if (m.type === 'failed') reject(new Error(`${m.message} (stack log: ${logName})`));
    });
    host.once('exit', (code) => reject(new Error(`the stack host exited with code ${code} (stack log: ${logName})`)));
  });
}

/** A stack already running (e.g. `npm start`): its processes are those listening on the two ports, and their children. */
export function externalStack(apiUrl: string, awsEndpoint: string): StackHandle {
  const portOf = (u: string) => Number(new URL(u).port || 80);
  const roots = [...new Set([...listeningPids(portOf(apiUrl)), ...listeningPids(portOf(awsEndpoint))])];
  const aws = awsEndpoint.replace(/\/+$/, '');
  return { apiUrl: apiUrl.replace(/\/+$/, ''), awsEndpoint: aws, functionEndpoints: { dynamodb: aws, sqs: aws }, embedded: false, roots, stackPids: [], stats: async () => undefined, usage: async () => undefined, stop: async () => undefined };
}
