import { setTimeout as sleep } from 'node:timers/promises';
import { recordAcks } from './adapters/acks';
import { takeLease } from './adapters/control-table';
import { requestCatchUp } from './adapters/queues';
import { masterTable } from './adapters/master-table';
import { secondaryTable } from './adapters/secondary-table';
import { readAll, type LogTable } from './adapters/log-table';
import { chunks } from './batches';
import { currentFaults } from './fault-injection';
import type { LogEntry } from './log-entry';
import { appliedPrefix } from './log-reader';
import { logger } from './logger';
import { METRIC, recordMetric } from './metrics';
import { MAX_PAGE } from './validation';

/**
 * Anti-entropy: copies to `secondary` every master entry inside the master's gap-free prefix that
 * it does not hold and is older than `graceMs` (0: all of them), in bulk, with its ack — so a
 * secondary that was down or lost jobs converges without waiting out its jobs' retry backoff,
 * and the w=k appends blocked on it complete. A down secondary is left alone, as a stopped node.
 */
export async function catchUp(secondary: string, graceMs = 0, now = Date.now()): Promise<number> {
  if ((await currentFaults(secondary)).down) return 0;
  // Requests come in bunches (every heartbeat of a returning secondary, repair passes): one
  // copier per secondary at a time; the others have nothing left to do.
  const release = await takeLease(`catch-up#${secondary}`, 60_000);
  if (!release) return 0;
  let outcome: CopyOutcome;
  try {
    outcome = await copyMissing(secondary, graceMs, now);
  } finally {
    await release();
  }
  // Asked once the lease is free, or the request would find it taken and do nothing.
  if (outcome.unfinished) await requestCatchUp(secondary);
  return outcome.copied;
}

/**
 * Copies exactly the master entries `ids` to `secondary`, with their acks: the entries a failed
 * send did not deliver, healed at once — whether or not they are inside the master's gap-free
 * prefix yet (a full catch-up would stop at it). Copies are idempotent, so no lease is needed.
 */
export async function copyEntries(secondary: string, ids: readonly number[]): Promise<number> {
  if ((await currentFaults(secondary)).down) return 0;
  const entries = (await Promise.all(ids.map((id) => masterTable.get(id)))).filter((e): e is LogEntry => e !== undefined);
  if (entries.length === 0) return 0;
  await secondaryTable(secondary).putCopies(entries);
  await recordAcks(entries.map((e) => e.id), secondary);
  logger.info('copied entries whose jobs were not sent', { secondary, ids: entries.map((e) => e.id) });
  return entries.length;
}

// Acks of a catch-up are written this many at a time, once every entry is copied.
const ACK_SLICE = 1000;
// Copying stops after this long (the repair function has 120 s, the lease 60 s): a secondary
// further behind is acknowledged for what was copied and continues in a new invocation.
const COPY_BUDGET_MS = 40_000;

interface CopyOutcome {
  copied: number;
  /** Out of time with entries left to copy: a new invocation continues. */
  unfinished: boolean;
}

async function copyMissing(secondary: string, graceMs: number, now: number): Promise<CopyOutcome> {
  const table = secondaryTable(secondary);
  const masterApplied = await appliedPrefix('master', masterTable);
  const start = await appliedPrefix(secondary, table);
  const deadline = Date.now() + COPY_BUDGET_MS;
  let pass = await copyDue(table, start, masterApplied, graceMs, now, deadline);
  const copiedIds = [...pass.copied];
  // A secondary that was behind (it copied entries) misses the last seconds' entries too, whose
  // jobs failed while it was away; they are left for later only on a secondary that keeps up.
  // Waiting out their grace period (at most graceMs) lets it serve its whole log in one go
  // instead of on the next repair pass.
  if (pass.copied.length > 0 && pass.newestWithinGrace !== undefined && !pass.outOfTime) {
    await sleep(Math.max(0, pass.newestWithinGrace + graceMs - Date.now()));
    pass = await copyDue(table, pass.blockedAt ?? start, masterApplied, graceMs, Date.now(), deadline);
    copiedIds.push(...pass.copied);
  }
  const unfinished = pass.outOfTime === true;
  if (unfinished) logger.info('catch-up continues in a new invocation', { secondary, copied: copiedIds.length });
  if (copiedIds.length === 0) return { copied: 0, unfinished };
  // The secondary serves its whole log as soon as the entries are in; then the acks, which only
  // follow what is stored (the write concern counts them), let waiting appends count it.
  await appliedPrefix(secondary, table);
  for (const slice of chunks(copiedIds, ACK_SLICE)) await recordAcks(slice, secondary);
  logger.info('caught up a secondary from the master', { secondary, copied: copiedIds.length });
  recordMetric(METRIC.catchUpCopied, 'Count', copiedIds.length, { secondary });
  return { copied: copiedIds.length, unfinished };
}

interface CopyPass {
  copied: number[];
  /** Where the first missing entry still within its grace period was met (the ids after `blockedAt`). */
  blockedAt?: number;
  /** The newest time among the missing entries still within their grace period. */
  newestWithinGrace?: number;
  /** Stopped at the deadline with ids left to look at. */
  outOfTime?: boolean;
}

/** Copies the master entries in (after, upTo] that `table` misses and that are past their grace. */
async function copyDue(table: LogTable, after: number, upTo: number, graceMs: number, now: number, deadline: number): Promise<CopyPass> {
  const pass: CopyPass = { copied: [] };
  // A thousand ids at a time: the ids the secondary holds there, then the master's entries, a
  // Query's answer (at most 1 MB) at a time, so large messages never pile up in memory. On to
  // `upTo` even past an entry within its grace period: the newest one sets how long to wait.
  for (let from = after; from < upTo; from = Math.min(upTo, from + MAX_PAGE)) {
    const to = Math.min(upTo, from + MAX_PAGE);
    const held = new Set((await readAll(table.slots({ after: from, upTo: to }))).map((s) => s.id));
    for await (const wanted of masterTable.entries({ after: from, upTo: to })) {
      if (Date.now() > deadline) {
        pass.outOfTime = true;
        return pass;
      }
      const due: LogEntry[] = [];
      for (const e of wanted) {
        if (held.has(e.id)) continue;
        if (now - (e.at ?? 0) >= graceMs) {
          due.push(e);
          continue;
        }
        // An entry still within its grace period is probably in flight; the prefix cannot pass it yet.
        pass.blockedAt ??= e.id - 1;
        pass.newestWithinGrace = Math.max(pass.newestWithinGrace ?? 0, e.at ?? 0);
      }
      if (due.length > 0) {
        await table.putCopies(due);
        pass.copied.push(...due.map((e) => e.id));
      }
    }
  }
  return pass;
}
