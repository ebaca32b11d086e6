/** The checker's rules, as pure functions over what the run observed (see scripts/check-faults.ts). */
import type { ListedMessage } from './http';

const fmt = (m: ListedMessage | undefined): string => (m ? `${m.id}:${JSON.stringify(m.msg)}` : 'nothing');

/**
 * A list read at some moment must be a prefix of the master's list read *after* it: every id a
 * node shows is stored on the master and gap-free there too. So `sample` must equal the entries
 * of `laterMaster` up to the last id `sample` shows. Returns what differs, or undefined.
 */
export function prefixMismatch(sample: readonly ListedMessage[], laterMaster: readonly ListedMessage[]): string | undefined {
  const last = sample.at(-1);
  if (!last) return undefined;
  const expected = laterMaster.filter((m) => m.id <= last.id);
  for (let k = 0; k < Math.max(sample.length, expected.length); k++) {
    const got = sample[k];
    const want = expected[k];
    if (!got) return `lacks ${fmt(want)}, which the master shows before id ${last.id}`;
    if (!want) return `shows ${fmt(got)}, past the master's end (${fmt(laterMaster.at(-1))})`;
    if (got.id !== want.id || got.msg !== want.msg) return `shows ${fmt(got)} at position ${k} where the master shows ${fmt(want)}`;
  }
  return undefined;
}

/** Ids that appear more than once, and messages of this run (`isOurs`) that do. */
export function duplicatesIn(list: readonly ListedMessage[], isOurs: (msg: string) => boolean): string[] {
  const problems: string[] = [];
  const ids = new Map<number, number>();
  const msgs = new Map<string, number[]>();
  for (const m of list) {
    ids.set(m.id, (ids.get(m.id) ?? 0) + 1);
    if (isOurs(m.msg)) msgs.set(m.msg, [...(msgs.get(m.msg) ?? []), m.id]);
  }
  for (const [id, n] of ids) if (n > 1) problems.push(`id ${id} appears ${n} times`);
  for (const [msg, at] of msgs) if (at.length > 1) problems.push(`msg ${JSON.stringify(msg)} appears ${at.length} times (ids ${at.join(', ')})`);
  return problems;
}

/**
 * What one final list must hold: every acknowledged append (201 or 202) under its id with its
 * msg, and none of the messages refused as read-only.
 */
export function contentProblems(
  list: readonly ListedMessage[],
  acknowledged: ReadonlyMap<number, { msg: string; status: number }>,
  refused: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const byId = new Map(list.map((m) => [m.id, m.msg]));
  for (const [id, { msg, status }] of acknowledged) {
    const shown = byId.get(id);
    if (shown === undefined) problems.push(`lacks id ${id} ${JSON.stringify(msg)} (answered ${status})`);
    else if (shown !== msg) problems.push(`shows id ${id} as ${JSON.stringify(shown)}, but it was answered ${status} for ${JSON.stringify(msg)}`);
  }
  for (const m of list) if (refused.has(m.msg)) problems.push(`shows ${fmt(m)}, which was refused read-only (503) and must not be stored`);
  return problems;
}

export interface Confirmed {
  id: number;
  msg: string;
  w: number;
  /** Date.now() when the 201 arrived. */
  at: number;
  /** The id's ack records read right after the 201 arrived: node → `at`. */
  seen?: ReadonlyMap<string, number>;
}

export interface HoldingEvidence {
  /** `${id}/${node}` → `at` of the ack record, read after healing. */
  acks: ReadonlyMap<string, number>;
  /** secondary → id → `at` of the entry in its table, read after healing. */
  stored: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

/** A node that held an entry in time, whose ack record now shows a later time (it was rewritten). */
export interface RewrittenAck {
  id: number;
  node: string;
  /** The ack's `at` after healing, relative to the 201. */
  ackAfterMs: number;
  /** What showed it was held in time: the ack as read right after the 201, or the table entry. */
  provenBy: 'ack read at the answer' | 'table entry';
}

/**
 * Each 201 with w=k was held by at least k nodes when it was answered: the master, plus every
 * secondary whose ack record is no later than the answer (+ slack for clock reads). Every `at` is
 * taken before its write, so a rewrite can only make it later: an ack counts if it shows a time in
 * time either after healing or as read right after the 201 (the latter alone means it was
 * rewritten). If that leaves fewer than k, a secondary whose table entry was stored in time and
 * which acked at some point also held it (api.md: holding = stored); since the write concern
 * counts acks, its ack must have been rewritten too. Returns violations and rewritten acks.
 */
export function writeConcernProblems(
  confirmed: readonly Confirmed[],
  secondaries: readonly string[],
  evidence: HoldingEvidence,
  slackMs: number,
): { problems: string[]; rewritten: RewrittenAck[] } {
  const problems: string[] = [];
  const rewritten: RewrittenAck[] = [];
  for (const c of confirmed) {
    const deadline = c.at + slackMs;
    const inTime = (t: number | undefined) => t !== undefined && t <= deadline;
    const rel = (t: number | undefined) => (t === undefined ? 'none' : `${t - c.at >= 0 ? '+' : ''}${t - c.at}ms`);
    let holders = 1;
    const byEntry: RewrittenAck[] = [];
    const detail: string[] = [];
    for (const s of secondaries) {
      const ackAt = evidence.acks.get(`${c.id}/${s}`);
      const seenAt = c.seen?.get(s);
      const storedAt = evidence.stored.get(s)?.get(c.id);
      const ackAfterMs = ackAt === undefined ? Number.NaN : ackAt - c.at;
      if (inTime(ackAt)) {
        holders++;
      } else if (inTime(seenAt)) {
        holders++;
        rewritten.push({ id: c.id, node: s, ackAfterMs, provenBy: 'ack read at the answer' });
      } else if (inTime(storedAt) && (ackAt !== undefined || seenAt !== undefined)) {
        byEntry.push({ id: c.id, node: s, ackAfterMs, provenBy: 'table entry' });
      }
      detail.push(`${s}: ack ${rel(ackAt)} (read at the answer: ${rel(seenAt)}), stored ${rel(storedAt)}`);
    }
    if (holders < c.w && holders + byEntry.length >= c.w) {
      rewritten.push(...byEntry.slice(0, c.w - holders));
      holders = c.w;
    }
    if (holders < c.w) {
      problems.push(
        `append id ${c.id} ${JSON.stringify(c.msg)} answered 201 with w=${c.w}, but only ${holders} node(s) held it then (${detail.join('; ')}; times relative to the answer)`,
      );
    }
  }
  return { problems, rewritten };
}

/** True when every list read equals the first. */
export function allEqual(lists: ReadonlyArray<readonly ListedMessage[]>): boolean {
  const [first, ...rest] = lists;
  if (!first) return true;
  return rest.every((l) => l.length === first.length && l.every((m, i) => m.id === first[i]?.id && m.msg === first[i]?.msg));
}
