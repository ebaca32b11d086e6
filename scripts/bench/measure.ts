/** The measurements made through the HTTP API: append latency and throughput, replication lag, catch-up. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient, Appended, Listed } from './client';
import { summarize, type Summary } from './stats';

export interface Ctx {
  api: ApiClient;
  secondaries: readonly string[];
  msgBytes: number;
  log: (line: string) => void;
  /** Highest id this run has appended (the master's head, as nothing else appends meanwhile). */
  lastId: number;
}

let seq = 0;
const runTag = Math.random().toString(36).slice(2, 8);

function message(ctx: Ctx): string {
  const head = `bench ${runTag} ${seq++} `;
  return head + 'x'.repeat(Math.max(0, ctx.msgBytes - head.length));
}

/** One POST /append; ok only on 201 (a 202 means the wait timed out, which a bench must not hide). */
export async function append(ctx: Ctx, w: number): Promise<{ ok: boolean; status?: string; id?: number }> {
  const reply = await ctx.api.call<Appended>('POST', '/append', { msg: message(ctx), w });
  const id = typeof reply.body.id === 'number' ? reply.body.id : undefined;
  if (id !== undefined && id > ctx.lastId) ctx.lastId = id;
  return reply.status === 201 ? { ok: true, id } : { ok: false, status: String(reply.status), id };
}

async function visibleOn(ctx: Ctx, secondary: string, id: number): Promise<boolean> {
  const reply = await ctx.api.call<Listed>('GET', `/secondaries/${secondary}/list?after=${id - 1}&limit=1`);
  return reply.status === 200 && reply.body.messages?.[0]?.id === id;
}

/** Waits (bounded) until every secondary's list shows the run's last id: a quiet system between phases. */
export async function settle(ctx: Ctx, timeoutMs = 120_000): Promise<boolean> {
  if (ctx.lastId < 0) return true;
  const deadline = Date.now() + timeoutMs;
  for (const s of ctx.secondaries) {
    while (!(await visibleOn(ctx, s, ctx.lastId).catch(() => false))) {
      if (Date.now() > deadline) {
        ctx.log(`settle: ${s} did not show id ${ctx.lastId} within ${timeoutMs / 1000} s`);
        return false;
      }
      await sleep(50);
    }
  }
  return true;
}

export async function warmUp(ctx: Ctx, count: number, maxW: number, timeLimitMs: number): Promise<void> {
  const deadline = Date.now() + timeLimitMs;
  for (let i = 0; i < count && Date.now() < deadline; i++) {
    for (let w = 1; w <= maxW; w++) await append(ctx, w).catch(() => undefined);
    for (const s of ctx.secondaries) await ctx.api.call('GET', `/secondaries/${s}/list?after=${Math.max(-1, ctx.lastId - 1)}&limit=1`).catch(() => undefined);
  }
  await settle(ctx);
}

export interface LagResult {
  /** From the 201 of a w=1 append until it shows on every secondary's list. */
  all: Summary;
  bySecondary: Record<string, Summary>;
  /** Samples that never became visible within the per-sample bound. */
  notSeen: number;
  pollsPerSample: number;
}

/** Replication lag: polls each secondary's list back-to-back (no sleep) from the append's 201. */
export async function replicationLag(ctx: Ctx, samples: number, timeLimitMs: number, perSampleMs = 10_000): Promise<LagResult> {
  ctx.log(`lag: ${samples} w=1 appends, each polled on ${ctx.secondaries.join(', ')} until visible`);
  const all: number[] = [];
  const by: Record<string, number[]> = Object.fromEntries(ctx.secondaries.map((s) => [s, []]));
  let notSeen = 0;
  let polls = 0;
  const deadline = Date.now() + timeLimitMs;
  for (let i = 0; i < samples && Date.now() < deadline; i++) {
    const appended = await append(ctx, 1);
    if (!appended.ok || appended.id === undefined) continue;
    const id = appended.id;
    const t0 = performance.now();
    const seen = await Promise.all(
      ctx.secondaries.map(async (s) => {
        const until = t0 + perSampleMs;
        while (performance.now() < until) {
          polls++;
          if (await visibleOn(ctx, s, id).catch(() => false)) return performance.now() - t0;
        }
        return undefined;
      }),
    );
    if (seen.some((ms) => ms === undefined)) {
      notSeen++;
      continue;
    }
    ctx.secondaries.forEach((s, j) => by[s]?.push(seen[j] as number));
    all.push(Math.max(...(seen as number[])));
  }
  await settle(ctx);
  return {
    all: summarize(all),
    bySecondary: Object.fromEntries(Object.entries(by).map(([s, v]) => [s, summarize(v)])),
    notSeen,
    pollsPerSample: Math.round((polls / Math.max(1, all.length + notSeen)) * 10) / 10,
  };
}

export interface CatchupResult {
  secondary: string;
  w: number;
  appends: number;
  appendsFailed: number;
  /** Answers other than 201 while filling (e.g. 503 read-only while no quorum), with counts. */
  unexpected?: Record<string, number>;
  fillSeconds: number;
  fillPerSecond: number;
  /** From {"down":false} until the secondary's list shows the master's last id; null if it never did. */
  seconds: number | null;
  targetId: number;
  timedOut: boolean;
}

/**
 * Appends until `count` have succeeded (at most 3×count attempts, bounded by `timeLimitMs`). A 503
 * (read-only: a lagging secondary's heartbeats read as late, and with one secondary down that can
 * cost the quorum) makes that client pause 250 ms instead of hammering a master that refuses.
 */
async function fillUntil(ctx: Ctx, count: number, clients: number, w: number, timeLimitMs: number) {
  let completed = 0;
  let attempts = 0;
  let failed = 0;
  const unexpected: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + timeLimitMs;
  const loop = async () => {
    while (completed < count && attempts < 3 * count && performance.now() < deadline) {
      attempts++;
      const result = await append(ctx, w).catch((err: Error) => ({ ok: false, status: err.message.slice(0, 80) }));
      if (result.ok) {
        completed++;
        continue;
      }
      failed++;
      const key = result.status ?? 'error';
      unexpected[key] = (unexpected[key] ?? 0) + 1;
      if (key === '503') await sleep(250);
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return { completed, failed, unexpected, ms: performance.now() - started };
}

async function setDown(ctx: Ctx, secondary: string, down: boolean): Promise<void> {
  const reply = await ctx.api.call('PUT', `/admin/secondaries/${secondary}/faults`, { down });
  if (reply.status !== 200) throw new Error(`PUT faults on ${secondary} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
}

export async function catchUp(ctx: Ctx, secondary: string, count: number, clients: number, w: number, fillLimitMs: number, catchupLimitMs: number): Promise<CatchupResult> {
  ctx.log(`catch-up: ${secondary} down, ${count} appends at w=${w} with ${clients} clients`);
  await setDown(ctx, secondary, true);
  try {
    // The API promises a secondary honours its faults within 1 s.
    await sleep(1100);
    const fill = await fillUntil(ctx, count, clients, w, fillLimitMs);
    const targetId = ctx.lastId;
    ctx.log(`catch-up: ${fill.completed} appended in ${(fill.ms / 1000).toFixed(1)} s; ${secondary} up again, waiting for id ${targetId}`);
    const t0 = performance.now();
    await setDown(ctx, secondary, false);
    const deadline = t0 + catchupLimitMs;
    let seconds: number | null = null;
    while (performance.now() < deadline) {
      if (await visibleOn(ctx, secondary, targetId).catch(() => false)) {
        seconds = Math.round(performance.now() - t0) / 1000;
        break;
      }
      await sleep(25);
    }
    if (seconds === null) ctx.log(`catch-up: ${secondary} did not reach id ${targetId} within ${catchupLimitMs / 1000} s`);
    await settle(ctx);
    return {
      secondary,
      w,
      appends: fill.completed,
      appendsFailed: fill.failed,
      ...(fill.failed > 0 ? { unexpected: fill.unexpected } : {}),
      fillSeconds: Math.round(fill.ms) / 1000,
      fillPerSecond: Math.round((fill.completed / (fill.ms / 1000)) * 10) / 10,
      seconds,
      targetId,
      timedOut: seconds === null,
    };
  } finally {
    await setDown(ctx, secondary, false).catch((err: Error) => ctx.log(`could not bring ${secondary} back up: ${err.message}`));
  }
}
