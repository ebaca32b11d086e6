// The live web view's rules, pure and shared: the server side (lib/view.ts) uses the first half
// to build GET /view, the page (web/app.ts, bundled for the browser) the second half to render it.
// Nothing here touches AWS, the DOM or Node: it must bundle for both and be unit-testable.
import { isApiKey } from './api-key';
import { BadRequestError } from './errors';
import type { HealthStatus } from './health';
import type { LogEntry } from './log-entry';

// ---------------------------------------------------------------------------------------------
// GET /view
// ---------------------------------------------------------------------------------------------

export const DEFAULT_TAIL = 50;
export const MAX_TAIL = 200;

/** `?tail=T`: how many of each node's last held entries to show, 1..200 (default 50). */
export function parseTail(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_TAIL;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_TAIL) {
    throw new BadRequestError(`tail must be an integer from 1 to ${MAX_TAIL}, got "${raw}"`);
  }
  return value;
}

/** One entry a node holds: visible once inside its gap-free prefix (id <= applied). */
export interface ViewEntry {
  id: number;
  msg: string;
  /** false: held beyond the gap-free prefix, not yet visible in this node's list. */
  visible: boolean;
}

export interface FaultsView {
  down: boolean;
  delayMs: number;
  errorRate: number;
}

export interface NodeView {
  name: string;
  role: 'master' | 'secondary';
  /** Highest id of the node's gap-free prefix (-1: none). */
  applied: number;
  /** The node's last held entries in id order (no-ops left out). */
  entries: ViewEntry[];
  /** Injected faults (secondaries only). */
  faults?: FaultsView;
  /**
   * Present (true) when older entries within the tail were left out because the node's entries
   * would make the response too large (large messages; each node gets an equal share).
   */
  truncated?: true;
}

/** The shape of GET /health (lib/health-report.ts), restated so the page needs no server code. */
export interface HealthView {
  readOnly: boolean;
  quorum: { required: number; available: number };
  secondaries: Record<string, { status: HealthStatus; lastHeartbeat: string | null; applied: number; lag: number }>;
}

export interface View {
  tail: number;
  /** When the server read it (ISO-8601). */
  at: string;
  /** The master first, then each secondary in configured order. */
  nodes: NodeView[];
  health: HealthView;
}

/**
 * Where to start reading a node's tail: every id up to `applied` is present, so the last `tail`
 * ids of the prefix start right after `applied - tail`; entries held beyond follow them.
 */
export function tailReadStart(applied: number, tail: number): number {
  return Math.max(-1, applied - tail);
}

/**
 * Collects a node's tail from its entries read newest first (from the top down to
 * `tailReadStart`): the first `tail` of them, but at most `maxBytes` by `sizeOf` (the newest is
 * always kept), so every node's share of the response stays bounded whatever its messages hold.
 */
export class TailBuilder {
  private readonly newestFirst: LogEntry[] = [];
  private bytes = 0;
  /** Entries within the tail were left out to keep the response small. */
  truncated = false;

  constructor(
    private readonly tail: number,
    private readonly maxBytes: number,
    private readonly sizeOf: (e: LogEntry) => number,
  ) {}

  /** Adds entries read next (newest first); false once the tail is complete (read no further). */
  add(entries: readonly LogEntry[]): boolean {
    for (const e of entries) {
      if (this.newestFirst.length >= this.tail) return false;
      const size = this.sizeOf(e);
      if (this.newestFirst.length > 0 && this.bytes + size > this.maxBytes) {
        this.truncated = true;
        return false;
      }
      this.newestFirst.push(e);
      this.bytes += size;
    }
    return this.newestFirst.length < this.tail;
  }

  /** The tail in id order. */
  entries(): LogEntry[] {
    return [...this.newestFirst].reverse();
  }
}

/** Entries as the view shows them: no-ops hidden, each marked visible or held beyond `applied`. */
export function toViewEntries(entries: readonly LogEntry[], applied: number): ViewEntry[] {
  const out: ViewEntry[] = [];
  for (const e of entries) if (!e.noop) out.push({ id: e.id, msg: e.msg, visible: e.id <= applied });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

/** One row of a node's column, newest first. */
export type ColumnRow =
  | { kind: 'entry'; id: number; msg: string; visible: boolean }
  /** Ids above the prefix this node does not hold (yet): the first such run blocks what follows. */
  | { kind: 'missing'; from: number; to: number; blocking: boolean };

/**
 * A column's rows, newest first: the entries, and above the gap-free prefix a marker for each
 * run of ids not held, so a reader sees why a held entry is not visible yet. (Below the prefix
 * a skipped id is a hidden no-op, not a gap.)
 */
export function columnRows(entries: readonly ViewEntry[], applied: number): ColumnRow[] {
  const rows: ColumnRow[] = [];
  let expected = applied + 1;
  for (const e of [...entries].sort((a, b) => a.id - b.id)) {
    if (e.id > applied && e.id > expected) rows.push({ kind: 'missing', from: expected, to: e.id - 1, blocking: expected === applied + 1 });
    rows.push({ kind: 'entry', id: e.id, msg: e.msg, visible: e.visible });
    if (e.id >= expected) expected = e.id + 1;
  }
  return rows.reverse();
}

export type Tone = 'ok' | 'warn' | 'bad';

export interface Badge {
  /** Said in words, never by colour alone. */
  label: string;
  tone: Tone;
  /** A shape that differs per tone (decorative; the label carries the meaning). */
  symbol: string;
}

const SYMBOLS: Record<Tone, string> = { ok: '●', warn: '▲', bad: '■' };
const STATUS_TONE: Record<HealthStatus, Tone> = { Healthy: 'ok', Suspected: 'warn', Unhealthy: 'bad' };

export function healthBadge(status: HealthStatus): Badge {
  const tone = STATUS_TONE[status];
  return { label: status, tone, symbol: SYMBOLS[tone] };
}

/** The master's badge: writable, or read-only without a quorum. */
export function masterBadge(readOnly: boolean): Badge {
  return readOnly ? { label: 'Read-only', tone: 'bad', symbol: SYMBOLS.bad } : { label: 'Writable', tone: 'ok', symbol: SYMBOLS.ok };
}

/** A secondary's status as the master sees it; one that is missing from the report counts as Unhealthy. */
export function secondaryStatus(health: HealthView, name: string): HealthStatus {
  return health.secondaries[name]?.status ?? 'Unhealthy';
}

/** The read-only banner's text, or null while the master has a quorum. */
export function readOnlyBanner(health: HealthView): string | null {
  if (!health.readOnly) return null;
  const { required, available } = health.quorum;
  return `Read-only: no quorum. ${available} of ${required} required nodes are available (the master and secondaries that are not Unhealthy); appends are refused until enough secondaries are back.`;
}

export function quorumSummary(health: HealthView): string {
  const nodes = Object.keys(health.secondaries).length + 1;
  return `Quorum: ${health.quorum.available} of ${nodes} nodes available, ${health.quorum.required} needed`;
}

/** "34 ms", "1.2 s", "12 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 1000)} s`;
}

/** How long ago the last heartbeat got through. */
export function heartbeatAge(lastHeartbeat: string | null | undefined, now: number): string {
  if (!lastHeartbeat) return 'no heartbeat yet';
  const at = Date.parse(lastHeartbeat);
  if (Number.isNaN(at)) return 'no heartbeat yet';
  return `last heartbeat ${formatDuration(Math.max(0, now - at))} ago`;
}

/** The choices of w for N secondaries: 1 (master only) to N+1 (every node). */
export function writeConcernChoices(secondaries: number): Array<{ value: number; label: string }> {
  const choices = [{ value: 1, label: '1 — master only' }];
  for (let k = 1; k <= secondaries; k++) {
    choices.push({ value: k + 1, label: k === secondaries ? `${k + 1} — every node` : `${k + 1} — master + ${k} secondar${k === 1 ? 'y' : 'ies'}` });
  }
  return choices;
}

export type AppendState = 'pending' | 'done' | 'timed-out' | 'failed';

export interface AppendOutcome {
  state: AppendState;
  text: string;
}

/** What an answered POST /append means for the user; `body` is its parsed JSON (or null). */
export function describeAppend(status: number, body: unknown, elapsedMs: number): AppendOutcome {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const took = formatDuration(elapsedMs);
  const nodes = (n: unknown) => `${String(n)} node${n === 1 ? '' : 's'}`;
  if (status === 201) return { state: 'done', text: `201 stored as #${String(b.id)}, held by ${nodes(b.acks)} (w=${String(b.w)}), in ${took}` };
  if (status === 202) {
    return {
      state: 'timed-out',
      text: `202 timed out after ${took}: stored as #${String(b.id)}, held by ${nodes(b.acks)} of the w=${String(b.w)} asked for; it keeps replicating`,
    };
  }
  const reason = typeof b.error === 'string' ? b.error : 'unexpected answer';
  return { state: 'failed', text: `${status} after ${took}: ${reason}` };
}

/** Validates the fault form: delay 0..60000 ms (integer) and error rate 0..1. */
export function parseFaultsForm(delayRaw: string, errorRateRaw: string): { delayMs: number; errorRate: number } | { error: string } {
  const delay = delayRaw.trim() === '' ? 0 : Number(delayRaw);
  if (!Number.isInteger(delay) || delay < 0 || delay > 60_000) return { error: 'Delay must be a whole number of milliseconds from 0 to 60000.' };
  const rate = errorRateRaw.trim() === '' ? 0 : Number(errorRateRaw);
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) return { error: 'Error rate must be a number from 0 to 1.' };
  return { delayMs: delay, errorRate: rate };
}

/** The faults in words: "down, delay 200 ms, error rate 50%" or "no faults". */
export function describeFaults(f: FaultsView | undefined): string {
  if (!f) return 'no faults';
  const parts: string[] = [];
  if (f.down) parts.push('down');
  if (f.delayMs > 0) parts.push(`delay ${f.delayMs} ms`);
  if (f.errorRate > 0) parts.push(`error rate ${Math.round(f.errorRate * 100)}%`);
  return parts.length === 0 ? 'no faults' : parts.join(', ');
}

/** The path of an API call relative to the page, so it works under a stage prefix (/prod/). */
export function apiPath(pagePath: string, path: string): string {
  const base = pagePath.endsWith('/') ? pagePath : `${pagePath}/`;
  return base + path.replace(/^\/+/, '');
}

// ---------------------------------------------------------------------------------------------
// Polling cadence: each poll of GET /view is an API Gateway request, a Lambda invocation and a
// dozen reads, so a forgotten tab must cost little (docs/capacity.md). Fast only while something
// is happening, backing off when nothing changes, and no polls at all while the tab is hidden.
// ---------------------------------------------------------------------------------------------

export const POLL_FAST_MS = 400;
export const POLL_IDLE_MS = 5000;
/** Unchanged polls still taken at the fast rate after a change: replication settles in ~1 s. */
const FAST_GRACE_POLLS = 2;

export interface PollState {
  /** The tab is visible (document.visibilityState). */
  visible: boolean;
  /** Requests this page sent that have not answered yet (appends, fault changes). */
  pendingRequests: number;
  /** Polls in a row whose view showed no change (or failed); 0 right after a change or an action. */
  quietPolls: number;
}

/** Milliseconds until the next poll of GET /view, or null: none while the tab is hidden. */
export function nextPollDelay(state: PollState): number | null {
  if (!state.visible) return null;
  if (state.pendingRequests > 0) return POLL_FAST_MS;
  const backoff = Math.max(0, state.quietPolls - FAST_GRACE_POLLS);
  return Math.min(POLL_IDLE_MS, POLL_FAST_MS * 2 ** Math.min(backoff, 16));
}

/** The cadence in words, for the page's header. */
export function describeCadence(delayMs: number | null): string {
  if (delayMs === null) return 'Paused while this tab is hidden.';
  const every = `every ${formatDuration(delayMs)}`;
  return delayMs >= POLL_IDLE_MS ? `Nothing is changing: checking ${every}.` : `Refreshing ${every}.`;
}

/**
 * What of a view counts as a change for the polling cadence: every node's prefix, held entries
 * and faults, and the health statuses, lags and quorum. Not the read time or heartbeat ages,
 * which move on every poll.
 */
export function viewSignature(view: View): string {
  const nodes = view.nodes.map((n) => [n.name, n.applied, n.entries.map((e) => (e.visible ? e.id : -e.id - 1)), n.faults ?? null]);
  const health = Object.entries(view.health.secondaries).map(([name, s]) => [name, s.status, s.applied, s.lag]);
  return JSON.stringify([nodes, health, view.health.readOnly, view.health.quorum]);
}

// ---------------------------------------------------------------------------------------------
// The API key of a deployed stage (every call but the page needs it in x-api-key)
// ---------------------------------------------------------------------------------------------

/** The key typed into the page (surrounding blanks of a paste dropped). */
export function parseApiKey(raw: string): { key: string } | { error: string } {
  const key = raw.trim();
  if (isApiKey(key)) return { key };
  return { error: 'An API key is 20 to 128 characters without blanks, as `npx serverless info --stage STAGE` prints it.' };
}

/** Why the page asks for the key: none given yet, or the one given was refused (403). */
export function apiKeyPrompt(keyWasSent: boolean, error: string): string {
  return keyWasSent
    ? `The API refused this key (403: ${error}). Enter the stage's current key; rotating the key replaces the old one.`
    : 'This stage needs its API key for every call. Enter it to continue; it is kept for this tab only.';
}
