/** The goals' ratios and the one markdown table the bench prints. */
import type { CatchupResult, LagResult } from './measure';
import type { MemoryReport, UsageTotal } from './memory';
import type { UsageCounts } from '../../localstack/aws-usage';
import type { Measured } from './stats';

export interface FloorResult {
  sequential: Measured;
  parallel: Measured;
  tables: string[];
  queues: number;
}
type SequentialAppend = Measured & { w: number };

export interface Ratio {
  name: string;
  value: number | null;
  target: string;
  met: boolean | null;
}

type ThroughputRun = Measured & { w: number };

/** issue 11's targets, judged on one run (see bench/README.md). */
export const TARGETS = {
  /** CPU per append summed over the stack's processes (sequential runs), ms. */
  cpuW1Ms: 15,
  cpuFullMs: 18,
  /** Sequential p50 over the floor's p50. */
  w1OverFloor: 1.5,
  fullOverFloor: 2,
  /** Appends/s at 8 clients over the floor's, at w=1 and at w=N+1. */
  throughputOverFloor: 0.7,
  catchup10kSeconds: 5,
  lagP99Ms: 50,
  peakRssMiB: 800,
  /** The stretch: w=N+1 appends/s at 8 clients. */
  fullAt8PerSecond: 256,
};

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** CPU ms per operation of the stack's own processes (the load generator, `bench`, left out). */
export function stackCpuMs(cpu: Record<string, number> | undefined): number | undefined {
  if (!cpu) return undefined;
  return round(Object.entries(cpu).reduce((a, [k, v]) => (k === 'bench' || k === 'total' || k === 'loadavg1m' ? a : a + v), 0));
}

export function ratios(r: {
  floor: FloorResult;
  sequential: SequentialAppend[];
  throughput: ThroughputRun[];
  lag: LagResult;
  catchup?: CatchupResult;
  maxW: number;
  cpuMsPerOp: Record<string, Record<string, number>>;
  peakRssMiB: number | undefined;
}): Ratio[] {
  const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? round(x) : null);
  const out: Ratio[] = [];
  const judge = (name: string, value: number | null, target: string, ok: (v: number) => boolean) => out.push({ name, value, target, met: value === null ? null : ok(value) });
  const full = r.maxW;
  for (const [w, limit] of [
    [1, TARGETS.cpuW1Ms],
    [full, TARGETS.cpuFullMs],
  ] as const) {
    judge(`CPU ms per append, w=${w} sequential (stack processes)`, finite(stackCpuMs(r.cpuMsPerOp[`append w=${w} sequential`])), `≤ ${limit}`, (v) => v <= limit);
  }
  const floorP50 = r.floor.sequential.latency.p50;
  for (const [w, limit] of [
    [1, TARGETS.w1OverFloor],
    [full, TARGETS.fullOverFloor],
  ] as const) {
    const p50 = r.sequential.find((s) => s.w === w)?.latency.p50;
    judge(`append w=${w} p50 / floor p50 (sequential)`, finite(p50 === undefined ? undefined : p50 / floorP50), `≤ ${limit}`, (v) => v <= limit);
  }
  for (const w of [...new Set([1, full])]) {
    const at8 = r.throughput.find((t) => t.w === w && t.clients === 8)?.perSecond;
    judge(`appends/s at 8 clients, w=${w} / floor's at 8`, finite(at8 === undefined ? undefined : at8 / r.floor.parallel.perSecond), `≥ ${TARGETS.throughputOverFloor}`, (v) => v >= TARGETS.throughputOverFloor);
  }
  if (r.catchup) {
    // The target is stated for 10,000 appends; a smaller run is shown but not judged.
    const judged = r.catchup.appends >= 10_000;
    out.push({
      name: `catch-up of ${r.catchup.appends} missed appends (s)`,
      value: r.catchup.seconds,
      target: `≤ ${TARGETS.catchup10kSeconds} s for 10,000`,
      met: r.catchup.seconds === null ? false : judged ? r.catchup.seconds <= TARGETS.catchup10kSeconds : null,
    });
  }
  judge('replication lag p99 (ms)', finite(r.lag.all.p99), `≤ ${TARGETS.lagP99Ms} ms`, (v) => v <= TARGETS.lagP99Ms);
  judge('peak RSS of the stack (MiB)', finite(r.peakRssMiB), `≤ ${TARGETS.peakRssMiB} MiB`, (v) => v <= TARGETS.peakRssMiB);
  const fullAt8 = r.throughput.find((t) => t.w === full && t.clients === 8)?.perSecond;
  judge(`stretch: appends/s at 8 clients, w=${full}`, finite(fullAt8), `≥ ${TARGETS.fullAt8PerSecond}/s`, (v) => v >= TARGETS.fullAt8PerSecond);
  return out;
}

const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const rate = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : x.toFixed(0));
const verdict = (met: boolean | null) => (met === null ? 'n/a' : met ? '**met**' : '**not met**');

export interface Results {
  stack: { mode: string };
  floor: FloorResult;
  append: { sequential: SequentialAppend[]; throughput: ThroughputRun[] };
  lag: LagResult;
  catchup: CatchupResult | null;
  memory: MemoryReport;
  ratios: Ratio[];
  repairCopies?: number;
  cpuMsPerOp: Record<string, Record<string, number>>;
  handlerMs?: Record<string, Record<string, { n: number; p50: number; p99: number }>>;
  startupSeconds?: number;
  idleMemory?: { MiB: number; byProcess: Array<{ command: string; MiB: number }> };
  machine: { cpus: number; loadavg: number[] };
  loadavgAtEnd?: number[];
  awsUsage?: AwsUsageResults;
  options: { msgBytes: number; samples: number; secondaries: readonly string[] };
}

// ---- AWS calls per append ------------------------------------------------------------------------

export interface AwsUsageResults {
  /** What the idle stack makes on its own (heartbeats, repair passes), over `seconds`. */
  background: { seconds: number; counts: UsageCounts };
  perMeasurement: Record<string, UsageTotal>;
}

/** Functions the bench itself calls to watch the system (list polls while settling): not an append's cost. */
const PROBES = new Set(['list', 'secondary-list', 'health', 'view', 'web', 'admin-faults', 'wait']);

export interface AwsPerAppend {
  dynamodb: { requests: number; wcu: number; rcu: number; byOperation: Record<string, number> };
  sqs: { requests: number; byOperation: Record<string, number> };
  lambda: { invocations: number; byFunction: Record<string, number> };
  /** Jobs (and heartbeats) per replicate invocation, as the event sources delivered them. */
  recordsPerBatch: number | null;
}

/**
 * What AWS would bill per append in one measurement: every DynamoDB and SQS request and Lambda
 * invocation of the append path and replication, net of the idle stack's background at the same
 * rate (heartbeats ride the same queues; under load they share batches, so this slightly
 * undercounts them), leaving out the bench's own probes.
 */
export function awsPerAppend(total: UsageTotal, background?: AwsUsageResults['background']): AwsPerAppend {
  const scale = background && background.seconds > 0 ? total.seconds / background.seconds : 0;
  const net = (key: string, value: number) => Math.max(0, value - (background?.counts[key] ?? 0) * scale);
  const ops = Math.max(1, total.ops);
  const out: AwsPerAppend = {
    dynamodb: { requests: 0, wcu: 0, rcu: 0, byOperation: {} },
    sqs: { requests: 0, byOperation: {} },
    lambda: { invocations: 0, byFunction: {} },
    recordsPerBatch: null,
  };
  for (const [key, value] of Object.entries(total.counts)) {
    const [who = '', what = ''] = key.split('|');
    if (PROBES.has(who)) continue;
    const per = net(key, value) / ops;
    const [service, operation = ''] = what.split(':');
    if (service === 'dynamodb') {
      if (operation === 'WCU') out.dynamodb.wcu += per;
      else if (operation === 'RCU') out.dynamodb.rcu += per;
      else {
        out.dynamodb.requests += per;
        out.dynamodb.byOperation[operation] = (out.dynamodb.byOperation[operation] ?? 0) + per;
      }
    } else if (service === 'sqs' && operation !== 'EmptyReceive') {
      out.sqs.requests += per;
      out.sqs.byOperation[operation] = (out.sqs.byOperation[operation] ?? 0) + per;
    } else if (service === 'lambda') {
      out.lambda.invocations += per;
      out.lambda.byFunction[who] = (out.lambda.byFunction[who] ?? 0) + per;
    }
  }
  const records = total.counts['esm|records'] ?? 0;
  const batches = (total.counts['esm|sqs:ReceiveMessage'] ?? 0) - (total.counts['esm|sqs:EmptyReceive'] ?? 0);
  out.recordsPerBatch = batches > 0 ? Math.round((records / batches) * 10) / 10 : null;
  return out;
}

/**
 * docs/capacity.md's model of one append with N secondaries, jobs arriving b to a batch: the
 * counter and master writes, then per secondary one job sent, its entry and ack written, and per
 * batch one receive, one delete and one invocation. Keep it in step with that table.
 */
export function capacityModel(n: number, b: number): { wcu: number; sqs: number; lambda: number } {
  return { wcu: 2 + 2 * n, sqs: n + (2 * n) / b, lambda: 1 + n / b };
}

const one = (x: number) => (x >= 9.95 ? x.toFixed(0) : x.toFixed(1));
const parts = (byKey: Record<string, number>) =>
  Object.entries(byKey)
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${one(v)}`)
    .join(' · ');

function usageNote(a: AwsPerAppend, n: number): string {
  const model = a.recordsPerBatch ? capacityModel(n, a.recordsPerBatch) : undefined;
  return [
    `DynamoDB ${one(a.dynamodb.requests)} requests (${parts(a.dynamodb.byOperation)}), ${one(a.dynamodb.wcu)} WCU, ${one(a.dynamodb.rcu)} RCU`,
    `SQS ${one(a.sqs.requests)} (${parts(a.sqs.byOperation)})`,
    `Lambda ${one(a.lambda.invocations)} (${parts(a.lambda.byFunction)})`,
    a.recordsPerBatch === null ? '' : `${a.recordsPerBatch} records/batch`,
    model ? `capacity.md at that batch size: ${one(model.wcu)} WCU, SQS ${one(model.sqs)}, Lambda ${one(model.lambda)}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/** "append handler p50 21 ms · replicate p50 9 ms" as serverless-offline reported them. */
function handlerNote(r: Results, name: string): string {
  const h = r.handlerMs?.[name];
  if (!h) return '';
  const parts = ['append', 'replicate'].filter((fn) => h[fn]).map((fn) => `${fn} handler p50 ${ms(h[fn]?.p50)}`);
  return parts.length > 0 ? parts.join(' · ') : '';
}

/** "CPU/op ms: offline 9.1 · dynamodb 3.2 · host 2.5 · bench 1.1 (load 3.1)" for one run. */
function cpuNote(r: Results, name: string): string {
  // Handler timings belong to append runs (a floor run only sees the tail of earlier replication).
  const handlers = name.startsWith('append') ? handlerNote(r, name) : '';
  const c = r.cpuMsPerOp[name];
  if (!c) return handlers;
  const parts = Object.entries(c)
    .filter(([k, v]) => k !== 'loadavg1m' && k !== 'total' && v >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(1)}`);
  // serverless-esbuild rebuilds (and offline reloads the handlers) when any .js/.ts file in the
  // checkout changes: a run that saw one is not comparable.
  const rebuilt = (c.esbuild ?? 0) >= 1 ? '**esbuild rebuilt during this run**' : '';
  return [handlers, `CPU ms/append of the stack ${stackCpuMs(c)?.toFixed(1)}: ${parts.join(' · ')}; load ${c.loadavg1m}`, rebuilt].filter(Boolean).join('; ');
}

export function renderTable(r: Results): string {
  const rows: string[][] = [];
  const row = (...cells: string[]) => rows.push(cells);
  const failures = (t: { failed?: number; unexpected?: Record<string, number> }) =>
    t.failed ? `${t.failed} not 201: ${JSON.stringify(t.unexpected)}` : '';
  const notes = (...parts: string[]) => parts.filter(Boolean).join('; ');
  if (r.startupSeconds !== undefined) row('stack start-up (embedded, to first answer)', '', '', '', `${r.startupSeconds} s`);
  if (r.idleMemory) row('RSS of the local stack, idle after start-up', '', '', '', `${r.idleMemory.MiB} MiB (${r.idleMemory.byProcess.slice(0, 4).map((p) => `${p.command.split(' ').pop()} ${Math.round(p.MiB)}`).join(', ')})`);
  const f = r.floor.sequential;
  row('floor: counter ADD + master put + SQS send ×N, sequential', ms(f.latency.p50), ms(f.latency.p99), rate(f.perSecond), notes(`n=${f.latency.n}`, f.timedOut ? 'time bound hit' : '', cpuNote(r, 'floor sequential')));
  row(`floor: ${r.floor.parallel.clients} parallel clients`, ms(r.floor.parallel.latency.p50), ms(r.floor.parallel.latency.p99), rate(r.floor.parallel.perSecond), notes(`n=${r.floor.parallel.completed}`, r.floor.parallel.timedOut ? 'time bound hit' : '', cpuNote(r, `floor ${r.floor.parallel.clients} clients`)));
  for (const s of r.append.sequential) {
    row(`POST /append w=${s.w}, sequential`, ms(s.latency.p50), ms(s.latency.p99), rate(s.perSecond), notes(`n=${s.latency.n}`, s.timedOut ? 'time bound hit' : '', failures(s), cpuNote(r, `append w=${s.w} sequential`)));
  }
  for (const t of r.append.throughput) {
    row(`POST /append w=${t.w}, ${t.clients} parallel clients`, ms(t.latency.p50), ms(t.latency.p99), rate(t.perSecond), notes(`n=${t.completed}`, t.timedOut ? 'time bound hit' : '', failures(t), cpuNote(r, `append w=${t.w} ${t.clients} clients`)));
  }
  const lagNote = `n=${r.lag.all.n}, ~${r.lag.pollsPerSample} polls/sample${r.lag.notSeen ? `, ${r.lag.notSeen} not seen in 10 s` : ''}`;
  row('replication lag: w=1 201 → on every secondary list', ms(r.lag.all.p50), ms(r.lag.all.p99), '', lagNote);
  for (const [s, sum] of Object.entries(r.lag.bySecondary)) row(`  … on ${s}`, ms(sum.p50), ms(sum.p99), '', '');
  if (r.catchup) {
    const c = r.catchup;
    const copies = r.repairCopies ? `; ${r.repairCopies} entries copied from the master by repair/catch-up during the run` : '';
    row(
      `catch-up: ${c.secondary} down for ${c.appends} appends, up → last id listed`,
      '',
      '',
      rate(c.fillPerSecond),
      `${c.seconds === null ? 'not reached' : `${c.seconds} s`} (appended at ${rate(c.fillPerSecond)}/s, w=${c.w}, 32 clients${copies}${c.appendsFailed ? `; ${c.appendsFailed} not 201 while filling: ${JSON.stringify(c.unexpected)}` : ''})`,
    );
  }
  if (r.awsUsage) {
    const { background, perMeasurement } = r.awsUsage;
    const n = r.options.secondaries.length;
    const perSecond = awsPerAppend({ ops: Math.max(1, background.seconds), seconds: background.seconds, counts: background.counts });
    row('AWS calls of the idle stack, per second (heartbeats, repair)', '', '', '', usageNote({ ...perSecond, recordsPerBatch: null }, n).replace(/; capacity.*$/, ''));
    const maxW = n + 1;
    for (const name of ['append w=1 sequential', `append w=${maxW} sequential`, 'append w=1 8 clients', `append w=${maxW} 8 clients`]) {
      const total = perMeasurement[name];
      if (total) row(`AWS calls per append, ${name.replace('append ', '')} (net of the idle stack)`, '', '', '', usageNote(awsPerAppend(total, background), n));
    }
  }
  const memWho = r.stack.mode === 'embedded' ? 'stack host process (emulator gateway, SQS emulator, event sources) + serverless-offline + DynamoDB Local JVM' : 'processes listening on the API and AWS ports + children';
  row('peak RSS of the local stack', '', '', '', r.memory.supported ? `${r.memory.peakMiB} MiB (${memWho}; load generator ${r.memory.loadGeneratorPeakMiB} MiB, not included)` : 'n/a (no /proc)');
  const table = [
    `| measurement (msg ${r.options.msgBytes} B, ${r.machine.cpus} CPUs, load avg ${r.machine.loadavg[0]?.toFixed(1)} → ${r.loadavgAtEnd?.[0]?.toFixed(1) ?? '?'}) | p50 ms | p99 ms | appends/s | notes |`,
    '|---|---:|---:|---:|---|',
    ...rows.map((c) => `| ${c.join(' | ')} |`),
    `| **goals** | **value** | **target** | | |`,
    ...r.ratios.map((q) => `| ${q.name} | ${q.value ?? '—'} | ${q.target} | | ${verdict(q.met)} |`),
  ];
  return table.join('\n');
}
