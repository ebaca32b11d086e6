/**
 * Peak resident memory of a process tree, sampled from Linux's /proc (every ~200 ms).
 * Each sample sums VmRSS over the roots and all their descendants at that moment.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { diffCounts, sumCounts, type UsageCounts } from '../../localstack/aws-usage';

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number);
  } catch {
    return [];
  }
}

function parentOf(pid: number): number | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[1]);
}

export function rssKiB(pid: number): number {
  const match = readProc(`/proc/${pid}/status`)?.match(/VmRSS:\s+(\d+) kB/);
  return match ? Number(match[1]) : 0;
}

function commandOf(pid: number): string {
  const cmdline = readProc(`/proc/${pid}/cmdline`)?.split('\0').filter(Boolean) ?? [];
  const exe = cmdline[0]?.split('/').pop() ?? '?';
  const script = cmdline.slice(1).find((a) => /\.(js|ts|jar)$|serverless|esbuild/.test(a))?.split('/').slice(-2).join('/');
  return script ? `${exe} ${script}` : exe;
}

/** The roots and every descendant alive now. */
export function processTree(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const ppid = parentOf(pid);
    if (ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const seen = new Set<number>();
  const queue = roots.filter((p) => readProc(`/proc/${p}/stat`) !== undefined);
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...seen];
}

/** PIDs (of this user) holding a listening TCP socket on `port`, from /proc/net/tcp{,6}. */
export function listeningPids(port: number): number[] {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (readProc(file) ?? '').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const localPort = parseInt(cols[1]?.split(':')[1] ?? '', 16);
      if (localPort === port && cols[3] === '0A') inodes.add(cols[9] as string);
    }
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = target.match(/^socket:\[(\d+)\]$/);
      if (m && inodes.has(m[1] as string)) {
        pids.push(pid);
        break;
      }
    }
  }
  return pids;
}

/** TCP ports `pid` listens on (Linux /proc; empty elsewhere). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const m = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
      if (m) inodes.add(m[1] as string);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (readProc(file) ?? '').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && inodes.has(cols[9] as string)) ports.add(parseInt(cols[1]?.split(':')[1] ?? '', 16));
    }
  }
  return [...ports];
}

export interface MemoryReport {
  supported: boolean;
  samples: number;
  intervalMs: number;
  /** Peak of the summed RSS over the tree, MiB. */
  peakMiB: number;
  /** Each process's RSS at the moment of the peak, MiB. */
  atPeak: Array<{ pid: number; command: string; MiB: number }>;
  /** Peak RSS of the load generator (this process), MiB — not part of the stack. */
  loadGeneratorPeakMiB: number;
}

/** The stack's RSS once it has settled after start-up: summed over the tree after `settleMs`, MiB. */
export async function idleMemory(roots: () => readonly number[], settleMs: number): Promise<{ MiB: number; byProcess: Array<{ command: string; MiB: number }> } | undefined> {
  if (readProc('/proc/self/status') === undefined) return undefined;
  await new Promise((r) => setTimeout(r, settleMs));
  const tree = processTree(roots()).map((pid) => ({ command: commandOf(pid), MiB: Math.round((rssKiB(pid) / 1024) * 10) / 10 }));
  return { MiB: Math.round(tree.reduce((a, p) => a + p.MiB, 0)), byProcess: tree.filter((p) => p.MiB > 0).sort((a, b) => b.MiB - a.MiB) };
}

export interface MemorySampler {
  stop(): MemoryReport;
}

export function sampleMemory(roots: () => readonly number[], intervalMs = 200): MemorySampler {
  const supported = readProc('/proc/self/status') !== undefined;
  let peakKiB = 0;
  let atPeak: Array<{ pid: number; kib: number; command: string }> = [];
  let selfPeak = 0;
  let samples = 0;
  const sample = () => {
    selfPeak = Math.max(selfPeak, process.memoryUsage().rss / 1024);
    if (!supported) return;
    const tree = processTree(roots()).map((pid) => ({ pid, kib: rssKiB(pid) }));
    const total = tree.reduce((a, p) => a + p.kib, 0);
    samples++;
    if (total > peakKiB) {
      peakKiB = total;
      atPeak = tree.map((p) => ({ ...p, command: commandOf(p.pid) }));
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      sample();
      clearInterval(timer);
      const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;
      return {
        supported,
        samples,
        intervalMs,
        peakMiB: mib(peakKiB),
        atPeak: atPeak
          .filter((p) => p.kib > 0)
          .sort((a, b) => b.kib - a.kib)
          .map((p) => ({ pid: p.pid, command: p.command, MiB: mib(p.kib) })),
        loadGeneratorPeakMiB: mib(selfPeak),
      };
    },
  };
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

function cpuTicks(pid: number): number | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "(comm) ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
  return Number(fields[11]) + Number(fields[12]);
}

/** Which part of the stack a process is, for CPU accounting. */
export function componentOf(command: string): string {
  if (command.includes('serverless')) return 'offline';
  if (command.startsWith('java')) return 'dynamodb';
  if (command.includes('esbuild')) return 'esbuild';
  if (command.includes('sqs-process')) return 'sqs';
  if (command.includes('stack-host') || command.includes('start.ts')) return 'host';
  return command;
}

export interface CpuSnapshot {
  at: number;
  ticks: Map<number, { component: string; ticks: number }>;
  self: NodeJS.CpuUsage;
}

export function cpuSnapshot(roots: readonly number[]): CpuSnapshot {
  const ticks = new Map<number, { component: string; ticks: number }>();
  for (const pid of processTree(roots)) {
    const t = cpuTicks(pid);
    if (t !== undefined) ticks.set(pid, { component: componentOf(commandOf(pid)), ticks: t });
  }
  return { at: performance.now(), ticks, self: process.cpuUsage() };
}

/** CPU milliseconds each component used between two snapshots; `bench` is the load generator (this process). */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const total: Record<string, number> = {};
  for (const [pid, a] of after.ticks) {
    const b = before.ticks.get(pid)?.ticks ?? 0;
    total[a.component] = (total[a.component] ?? 0) + ((a.ticks - b) * 1000) / TICKS_PER_SECOND;
  }
  total.bench = (after.self.user + after.self.system - (before.self.user + before.self.system)) / 1000;
  return total;
}

/** How long a process may take to print its counts after a call (aws-usage.ts prints every 200 ms). */
const USAGE_FLUSH_MS = 350;

/** AWS calls a measurement caused, summed over its runs: counts, operations and seconds. */
export interface UsageTotal {
  ops: number;
  seconds: number;
  counts: UsageCounts;
}

/**
 * Adds up CPU per named measurement over its runs, and divides by its operations at the end; with
 * `usage`, also the AWS calls the stack counted during each run.
 */
export class CpuAccount {
  private readonly totals = new Map<string, { ms: Record<string, number>; ops: number; load: number[] }>();
  private readonly usageTotals = new Map<string, UsageTotal>();
  /** When each named measurement ran (epoch ms), to match the stack's own timings to it. */
  readonly windows = new Map<string, Array<[number, number]>>();
  private lastUsage: { at: number; counts: UsageCounts } | undefined;
  constructor(
    private readonly roots: () => readonly number[],
    private readonly usage?: () => Promise<UsageCounts | undefined>,
  ) {}

  /** The stack's counts once every call made so far has been printed. */
  async settledUsage(): Promise<UsageCounts | undefined> {
    if (!this.usage) return undefined;
    if (this.lastUsage && performance.now() - this.lastUsage.at < 50) return this.lastUsage.counts;
    await sleep(USAGE_FLUSH_MS);
    const counts = await this.usage();
    if (counts) this.lastUsage = { at: performance.now(), counts };
    return counts;
  }

  async run<T>(name: string, ops: (result: T) => number, body: () => Promise<T>): Promise<T> {
    const usageBefore = await this.settledUsage();
    const before = cpuSnapshot(this.roots());
    const from = Date.now();
    const result = await body();
    this.windows.set(name, [...(this.windows.get(name) ?? []), [from, Date.now()]]);
    const delta = cpuDelta(before, cpuSnapshot(this.roots()));
    const seconds = (Date.now() - from) / 1000;
    const entry = this.totals.get(name) ?? { ms: {}, ops: 0, load: [] };
    for (const [k, v] of Object.entries(delta)) entry.ms[k] = (entry.ms[k] ?? 0) + v;
    entry.ops += ops(result);
    entry.load.push(loadavg()[0] ?? 0);
    this.totals.set(name, entry);
    const usageAfter = usageBefore ? await this.settledUsage() : undefined;
    if (usageBefore && usageAfter) {
      const u = this.usageTotals.get(name) ?? { ops: 0, seconds: 0, counts: {} };
      this.usageTotals.set(name, { ops: u.ops + ops(result), seconds: u.seconds + seconds, counts: sumCounts([u.counts, diffCounts(usageBefore, usageAfter)]) });
    }
    return result;
  }

  /** The AWS calls of each measurement (empty without `usage`). */
  usagePerMeasurement(): Record<string, UsageTotal> {
    return Object.fromEntries(this.usageTotals);
  }

  /**
   * CPU ms per operation by component (10 ms resolution per process and run: read it over many
   * operations), plus the 1-minute load average seen during the runs.
   */
  perOp(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    const r2 = (x: number) => Math.round(x * 100) / 100;
    for (const [name, { ms, ops, load }] of this.totals) {
      const per: Record<string, number> = {};
      let sum = 0;
      for (const [k, v] of Object.entries(ms)) {
        per[k] = r2(v / Math.max(1, ops));
        sum += v;
      }
      per.total = r2(sum / Math.max(1, ops));
      per.loadavg1m = r2(load.reduce((a, b) => a + b, 0) / Math.max(1, load.length));
      out[name] = per;
    }
    return out;
  }
}
