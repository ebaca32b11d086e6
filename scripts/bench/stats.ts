/** Latency summaries and the two load shapes the bench uses: one-at-a-time, and N closed-loop clients. */
export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    min: round(sorted[0] ?? NaN),
    max: round(sorted.at(-1) ?? NaN),
    mean: round(sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1)),
  };
}

export type Outcome = { ok: boolean; status?: string };
type Op = (i: number) => Promise<Outcome>;

async function attempt(op: Op, i: number): Promise<Outcome> {
  try {
    return await op(i);
  } catch (err) {
    return { ok: false, status: (err as Error).message.slice(0, 80) };
  }
}

/** One run of a load shape: raw samples, so runs interleaved with others can be merged. */
export interface Part {
  clients: number;
  /** Latency of each successful operation, ms. */
  samples: number[];
  completed: number;
  failed: number;
  /** Wall time of the run, ms. */
  ms: number;
  timedOut: boolean;
  unexpected: Record<string, number>;
}

function tally(unexpected: Record<string, number>, status = 'error'): void {
  unexpected[status] = (unexpected[status] ?? 0) + 1;
}

/** `count` operations one after another, stopping early at `timeLimitMs`. */
export async function runSequential(count: number, timeLimitMs: number, op: Op): Promise<Part> {
  return runClosedLoop(1, count, timeLimitMs, op);
}

/**
 * `count` operations across `clients` concurrent loops (each loop one operation at a time),
 * stopping early at `timeLimitMs`.
 */
export async function runClosedLoop(clients: number, count: number, timeLimitMs: number, op: Op): Promise<Part> {
  let next = 0;
  const part: Part = { clients, samples: [], completed: 0, failed: 0, ms: 0, timedOut: false, unexpected: {} };
  const started = performance.now();
  const deadline = started + timeLimitMs;
  const loop = async () => {
    while (next < count) {
      if (performance.now() > deadline) {
        part.timedOut = true;
        return;
      }
      const i = next++;
      const t0 = performance.now();
      const result = await attempt(op, i);
      if (result.ok) {
        part.samples.push(performance.now() - t0);
        part.completed++;
      } else {
        part.failed++;
        tally(part.unexpected, result.status);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  part.ms = performance.now() - started;
  return part;
}

export interface Measured {
  clients: number;
  latency: Summary;
  completed: number;
  failed: number;
  seconds: number;
  /** Successful operations per second of wall time (summed over the runs merged). */
  perSecond: number;
  runs: number;
  /** True when a time bound ended a run before its count. */
  timedOut: boolean;
  /** Outcomes other than success, with counts. */
  unexpected?: Record<string, number>;
}

/** Merges runs of one measurement (e.g. interleaved rounds) into one result. */
export function merge(parts: readonly Part[]): Measured {
  const samples = parts.flatMap((p) => p.samples);
  const completed = parts.reduce((a, p) => a + p.completed, 0);
  const failed = parts.reduce((a, p) => a + p.failed, 0);
  const ms = parts.reduce((a, p) => a + p.ms, 0);
  const unexpected: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.unexpected)) unexpected[k] = (unexpected[k] ?? 0) + v;
  return {
    clients: parts[0]?.clients ?? 0,
    latency: summarize(samples),
    completed,
    failed,
    seconds: Math.round(ms) / 1000,
    perSecond: Math.round((completed / Math.max(ms / 1000, 1e-9)) * 10) / 10,
    runs: parts.length,
    timedOut: parts.some((p) => p.timedOut),
    ...(failed > 0 ? { unexpected } : {}),
  };
}
