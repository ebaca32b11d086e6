/** Latency summaries: nearest-rank percentiles over one measurement's samples (milliseconds). */
export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

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

export interface Throughput {
  clients: number;
  completed: number;
  failed: number;
  seconds: number;
  perSecond: number;
  /** Latency of each operation under this load. */
  latency: Summary;
  /** True when the time bound ended the run before the requested count. */
  timedOut: boolean;
  /** Status codes other than the expected one, with counts. */
  unexpected?: Record<string, number>;
}

/**
 * Runs `op` `count` times across `clients` concurrent loops (each loop one operation at a time),
 * stopping early at `timeLimitMs`. `op` resolves true on success.
 */
export async function runClosedLoop(
  clients: number,
  count: number,
  timeLimitMs: number,
  op: (i: number) => Promise<{ ok: boolean; status?: string }>,
): Promise<Throughput> {
  let next = 0;
  let completed = 0;
  let failed = 0;
  const latencies: number[] = [];
  const unexpected: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + timeLimitMs;
  let timedOut = false;
  const loop = async () => {
    for (;;) {
      if (next >= count) return;
      if (performance.now() > deadline) {
        timedOut = true;
        return;
      }
      const i = next++;
      const t0 = performance.now();
      let result: { ok: boolean; status?: string };
      try {
        result = await op(i);
      } catch (err) {
        result = { ok: false, status: (err as Error).message.slice(0, 80) };
      }
      latencies.push(performance.now() - t0);
      if (result.ok) completed++;
      else {
        failed++;
        const key = result.status ?? 'error';
        unexpected[key] = (unexpected[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const seconds = (performance.now() - started) / 1000;
  return {
    clients,
    completed,
    failed,
    seconds: Math.round(seconds * 1000) / 1000,
    perSecond: Math.round((completed / seconds) * 10) / 10,
    latency: summarize(latencies),
    timedOut,
    ...(failed > 0 ? { unexpected } : {}),
  };
}

/** Times `op` `count` times one after another (bounded by `timeLimitMs`); failures are counted, not timed. */
export async function runSequential(
  count: number,
  timeLimitMs: number,
  op: (i: number) => Promise<{ ok: boolean; status?: string }>,
): Promise<{ latency: Summary; failed: number; timedOut: boolean; unexpected?: Record<string, number> }> {
  const samples: number[] = [];
  const unexpected: Record<string, number> = {};
  let failed = 0;
  const deadline = performance.now() + timeLimitMs;
  let timedOut = false;
  for (let i = 0; i < count; i++) {
    if (performance.now() > deadline) {
      timedOut = true;
      break;
    }
    const t0 = performance.now();
    let result: { ok: boolean; status?: string };
    try {
      result = await op(i);
    } catch (err) {
      result = { ok: false, status: (err as Error).message.slice(0, 80) };
    }
    const ms = performance.now() - t0;
    if (result.ok) samples.push(ms);
    else {
      failed++;
      const key = result.status ?? 'error';
      unexpected[key] = (unexpected[key] ?? 0) + 1;
    }
  }
  return { latency: summarize(samples), failed, timedOut, ...(failed > 0 ? { unexpected } : {}) };
}
