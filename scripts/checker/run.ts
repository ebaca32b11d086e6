/**
 * The randomized fault checker (Jepsen-style, on a small scale): concurrent clients append with
 * random write concerns while a chaos loop takes secondaries down, slows them and makes them fail,
 * and extra copies of replicate jobs are sent straight to the secondaries' queues (duplicated and
 * reordered by random delays). After the faults stop and the lists heal, every answer the API gave
 * is checked against what the lists and tables hold. See scripts/check-faults.ts for the CLI.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { emulator, type Emulator, type ReplicateCopy } from './aws';
import { call, readList, type Answer, type ListedMessage, type ListRead } from './http';
import { sampleMessages } from './message-text';
import { makeRng, type Rng } from './random';
import { allEqual, contentProblems, duplicatesIn, prefixMismatch, writeConcernProblems, type Confirmed } from './verify';

export interface CheckerOptions {
  /** replog's API, e.g. http://localhost:3000. */
  url: string;
  /** The AWS endpoint replog's tables and queues live on, e.g. http://localhost:4566. */
  aws: string;
  stage: string;
  appends: number;
  clients: number;
  seed: number;
  /** Cap on the workload: no append starts after this many seconds. */
  durationS: number;
  /** How long to wait, after the faults stop, for every list to catch up and agree. */
  healTimeoutS: number;
  /** Secondary names; by default from GET /health, else from the stage's tables. */
  secondaries?: string[];
  /** Pause between two chaos actions, drawn from [min, max] ms. */
  chaosTickMs?: [number, number];
  /** Longest a single secondary is taken down. */
  maxDownMs?: number;
  /** Chance per chaos action of taking every secondary down at once (an outage: read-only per api.md). */
  outageChance?: number;
  /** Chance, after each stored append, of sending 1–3 extra copies of stored jobs to the queues. */
  duplicateChance?: number;
  /** Pause between two samples of the lists during the run. */
  sampleEveryMs?: number;
  /** Clock slack when comparing ack times with answer times (same machine). */
  clockSlackMs?: number;
  /** Per-request timeout for appends (longer than the server's wait timeout). */
  requestTimeoutMs?: number;
  /** Where progress and anomaly lines go. */
  log?: (line: string) => void;
  /** At most this many anomaly lines are logged (all are in the summary). */
  maxAnomalyLines?: number;
  /** Largest generated text in a message, in UTF-8 bytes (under the server's REPLOG_MAX_MSG_BYTES). */
  textMaxBytes?: number;
}

export interface Summary {
  seed: number;
  secondaries: string[];
  /** Appends sent. */
  appends: number;
  created: number;
  accepted: number;
  readOnly: number;
  /** Answers other than 201/202/read-only 503, and requests that got no answer. */
  other: number;
  /** 201 answers by w. */
  createdByW: Record<number, number>;
  /** Fault injections (PUTs that set down, a delay or an error rate). */
  faults: number;
  /** Copies of replicate jobs sent straight to the queues. */
  duplicates: number;
  /** Samples of the lists checked during the run. */
  samples: number;
  /** Acks of 201'd appends whose `at` is now later than the answer (rewritten), though held in time. */
  ackRewrites: number;
  healed: boolean;
  healMs: number;
  elapsedMs: number;
  anomalies: string[];
}

export function summaryLine(s: Summary): string {
  return `checker: seed=${s.seed} appends=${s.appends} (201=${s.created} 202=${s.accepted} 503=${s.readOnly}) faults=${s.faults} duplicates=${s.duplicates} anomalies=${s.anomalies.length}`;
}

interface Faults {
  down: boolean;
  delayMs: number;
  errorRate: number;
}

interface SecondaryState extends Faults {
  /** When a down secondary is brought back up. */
  downUntil: number;
  /** When it was last brought up (its list may answer 503 until the faults cache expires). */
  upAt: number;
}

const NO_FAULTS: Faults = { down: false, delayMs: 0, errorRate: 0 };
/** api.md: a secondary honours new faults within 1 s; a list read may still see "down" until then. */
const FAULTS_TAKE_EFFECT_MS = 1500;
const READ_ONLY = /^read-only:/;

const describe = (res: Answer): string => (res.status === 0 ? `no answer (${res.failure})` : `${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);

async function discoverSecondaries(url: string, aws: Emulator): Promise<string[]> {
  const health = await call(url, 'GET', '/health', undefined, 10_000);
  const listed = health.status === 200 ? health.body.secondaries : undefined;
  if (typeof listed === 'object' && listed !== null && Object.keys(listed).length > 0) return Object.keys(listed).sort();
  const fromTables = (await aws.secondaryTables()).sort();
  if (fromTables.length === 0) throw new Error('found no secondaries (GET /health gave none and no secondary tables exist); pass --secondaries');
  return fromTables;
}

export async function runChecker(options: CheckerOptions): Promise<Summary> {
  const o = {
    chaosTickMs: [150, 600] as [number, number],
    maxDownMs: 4000,
    outageChance: 0.03,
    duplicateChance: 0.3,
    sampleEveryMs: 400,
    clockSlackMs: 5,
    requestTimeoutMs: 60_000,
    log: (line: string) => console.log(line),
    maxAnomalyLines: 200,
    textMaxBytes: 2048,
    ...options,
  };
  const { url, seed, log } = o;
  const started = Date.now();
  const anomalies: string[] = [];
  const anomaly = (line: string): void => {
    anomalies.push(line);
    if (anomalies.length <= o.maxAnomalyLines) log(`anomaly: ${line}`);
    else if (anomalies.length === o.maxAnomalyLines + 1) log(`anomaly: (further anomaly lines are not printed; the summary counts them)`);
  };
  log(`checker: seed=${seed} (replay with --seed ${seed}) url=${url} aws=${o.aws} appends=${o.appends} clients=${o.clients}`);

  const aws = emulator(o.aws, o.stage);
  try {
    const secondaries = o.secondaries ?? (await discoverSecondaries(url, aws));
    const n = secondaries.length;
    log(`checker: secondaries ${secondaries.join(', ')} (w from 1 to ${n + 1})`);

    // ---- faults ---------------------------------------------------------------------------
    const state = new Map<string, SecondaryState>(secondaries.map((s) => [s, { ...NO_FAULTS, downUntil: 0, upAt: 0 }]));
    const stateOf = (s: string): SecondaryState => state.get(s) as SecondaryState;
    let faults = 0;

    async function putFaults(s: string, patch: Partial<Faults>): Promise<boolean> {
      const res = await call(url, 'PUT', `/admin/secondaries/${s}/faults`, patch, 15_000);
      if (res.status !== 200) {
        anomaly(`PUT /admin/secondaries/${s}/faults ${JSON.stringify(patch)} answered ${describe(res)}`);
        return false;
      }
      for (const [k, v] of Object.entries(patch)) {
        if (res.body[k] !== v) anomaly(`PUT /admin/secondaries/${s}/faults ${JSON.stringify(patch)} answered ${JSON.stringify(res.body)}: ${k} is not ${v}`);
      }
      const st = stateOf(s);
      if (st.down && patch.down === false) st.upAt = Date.now();
      Object.assign(st, patch);
      return true;
    }
    const resetAll = () => Promise.all(secondaries.map((s) => putFaults(s, { ...NO_FAULTS })));

    for (const s of secondaries) {
      const res = await call(url, 'GET', `/admin/secondaries/${s}/faults`, undefined, 15_000);
      if (res.status === 404) throw new Error(`fault injection answers 404 at ${url} (stage without the admin API?): ${JSON.stringify(res.body)}`);
      if (res.status !== 200) throw new Error(`GET /admin/secondaries/${s}/faults answered ${describe(res)}`);
    }
    await resetAll();
    // A down that a previous run left behind may still be cached by a consumer.
    for (const s of secondaries) stateOf(s).upAt = Date.now();

    // ---- workload ---------------------------------------------------------------------------
    const runTag = `chk-${seed.toString(36)}-${Date.now().toString(36)}`;
    const isOurs = (msg: string) => msg.startsWith(`${runTag} #`);
    const plan = makeRng(seed, 'plan');
    const planned = Array.from({ length: o.appends }, () => plan.between(1, n + 1));
    // Each message: a tag that names it (run, index, w), then text drawn over all of Unicode by the
    // generator the tests use — emoji, controls, noncharacters, bidi marks, the byte limit in 4-byte characters.
    const texts = sampleMessages(seed, o.appends, { maxBytes: o.textMaxBytes, maxLength: 30 });
    const deadline = started + o.durationS * 1000;

    const acknowledged = new Map<number, { msg: string; status: number }>();
    const stored: Array<{ id: number; msg: string }> = [];
    const confirmed: Confirmed[] = [];
    const refused = new Set<string>();
    const createdByW: Record<number, number> = {};
    const counts = { sent: 0, created: 0, accepted: 0, readOnly: 0, other: 0 };
    let duplicates = 0;
    let duplicateFailures = 0;

    function acknowledge(id: unknown, msg: string, status: number): void {
      if (!Number.isSafeInteger(id) || (id as number) < 0) {
        anomaly(`append ${JSON.stringify(msg)} answered ${status} with id ${JSON.stringify(id)}, not an id`);
        return;
      }
      const earlier = acknowledged.get(id as number);
      if (earlier) anomaly(`appends ${JSON.stringify(earlier.msg)} and ${JSON.stringify(msg)} were both answered with id ${id}`);
      acknowledged.set(id as number, { msg, status });
      stored.push({ id: id as number, msg });
    }

    /** Read-only spells as the clients saw them: refusals less than 2 s apart form one spell. */
    const readOnlySpells: Array<{ from: number; to: number; refusals: number }> = [];
    function noteReadOnly(at: number): void {
      const last = readOnlySpells.at(-1);
      if (last && at - last.to < 2000) {
        last.to = Math.max(last.to, at);
        last.refusals++;
      } else readOnlySpells.push({ from: at, to: at, refusals: 1 });
    }

    const dupRng = makeRng(seed, 'duplicates');
    async function sendDuplicates(rng: Rng): Promise<void> {
      const byTarget = new Map<string, ReplicateCopy[]>();
      for (let k = rng.between(1, 3); k > 0; k--) {
        // Mostly recent entries (likely still in flight, so the copy races the original), some old.
        const recent = Math.min(20, stored.length);
        const entry = rng.chance(0.7) ? stored[stored.length - 1 - rng.int(recent)] : rng.pick(stored);
        if (!entry) continue;
        const target = rng.pick(secondaries);
        byTarget.set(target, [...(byTarget.get(target) ?? []), { id: entry.id, msg: entry.msg, delaySeconds: rng.between(0, 3) }]);
      }
      await Promise.all(
        [...byTarget].map(async ([target, copies]) => {
          try {
            duplicates += await aws.sendCopies(target, copies);
          } catch (err) {
            if (duplicateFailures++ === 0) log(`checker: could not send job copies to ${target}'s queue: ${(err as Error).message}`);
          }
        }),
      );
    }

    async function client(): Promise<void> {
      for (let guard = 0; guard < o.appends; guard++) {
        if (counts.sent >= o.appends || Date.now() >= deadline) return;
        const index = counts.sent++;
        const w = planned[index] as number;
        const msg = `${runTag} #${index} w=${w} ${texts[index] ?? ''}`;
        const res = await call(url, 'POST', '/append', { msg, w }, o.requestTimeoutMs);
        const b = res.body;
        if (res.status === 201) {
          counts.created++;
          createdByW[w] = (createdByW[w] ?? 0) + 1;
          if (b.msg !== msg || b.w !== w || typeof b.acks !== 'number' || b.acks < w || b.acks > n + 1) {
            anomaly(`append ${JSON.stringify(msg)} w=${w} answered 201 ${JSON.stringify(b)}: want the same msg and w, and w <= acks <= ${n + 1}`);
          }
          acknowledge(b.id, msg, 201);
          if (Number.isSafeInteger(b.id) && w > 1) {
            // The acks as they are right now, in case a later write makes their times later.
            const seen = await aws.acksFor(b.id as number).catch(() => undefined);
            confirmed.push({ id: b.id as number, msg, w, at: res.at, seen });
          }
        } else if (res.status === 202) {
          counts.accepted++;
          if (b.w !== w || b.status !== 'pending' || typeof b.acks !== 'number' || b.wait !== `/messages/${String(b.id)}/wait?w=${w}`) {
            anomaly(`append ${JSON.stringify(msg)} w=${w} answered 202 ${JSON.stringify(b)}, not {"id","w","acks","status":"pending","wait"} as api.md says`);
          }
          acknowledge(b.id, msg, 202);
        } else if (res.status === 503 && typeof b.error === 'string' && READ_ONLY.test(b.error)) {
          counts.readOnly++;
          refused.add(msg);
          noteReadOnly(res.at);
          // A client told the log is read-only waits a little before trying again, as a real one would.
          await sleep(dupRng.between(100, 400));
        } else {
          counts.other++;
          anomaly(`append ${JSON.stringify(msg)} w=${w} answered ${describe(res)}`);
        }
        if (stored.length > 0 && dupRng.chance(o.duplicateChance)) await sendDuplicates(dupRng);
      }
    }

    // ---- chaos ------------------------------------------------------------------------------
    let workloadDone = false;
    async function chaos(): Promise<void> {
      const rng = makeRng(seed, 'chaos');
      const maxTicks = Math.ceil((o.durationS * 1000) / Math.max(1, o.chaosTickMs[0])) + 1;
      for (let tick = 0; tick < maxTicks && !workloadDone && Date.now() < deadline; tick++) {
        await sleep(rng.between(o.chaosTickMs[0], o.chaosTickMs[1]));
        if (workloadDone) break;
        const now = Date.now();
        for (const s of secondaries) if (stateOf(s).down && now >= stateOf(s).downUntil) await putFaults(s, { down: false });
        const s = rng.pick(secondaries);
        const st = stateOf(s);
        const roll = rng.next();
        if (roll < o.outageChance) {
          const until = now + rng.between(o.maxDownMs, 2 * o.maxDownMs);
          log(`checker: outage at ${((now - started) / 1000).toFixed(1)} s: every secondary down for ${((until - now) / 1000).toFixed(1)} s`);
          for (const each of secondaries) {
            stateOf(each).downUntil = until;
            if (!stateOf(each).down && (await putFaults(each, { down: true }))) faults++;
          }
        } else if (roll < 0.3) {
          if (!st.down) {
            st.downUntil = now + rng.between(300, o.maxDownMs);
            if (await putFaults(s, { down: true })) faults++;
          }
        } else if (roll < 0.5) {
          const delayMs = rng.pick([0, 0, 20, 100, 300, 800]);
          if ((await putFaults(s, { delayMs })) && delayMs > 0) faults++;
        } else if (roll < 0.7) {
          const errorRate = rng.pick([0, 0, 0.1, 0.25, 0.5]);
          if ((await putFaults(s, { errorRate })) && errorRate > 0) faults++;
        } else if (roll < 0.8) {
          if (st.down || st.delayMs > 0 || st.errorRate > 0) await putFaults(s, { ...NO_FAULTS });
        }
      }
    }

    // ---- sampling during the run --------------------------------------------------------------
    let lastMaster: ListedMessage[] = [];
    let samples = 0;
    const mayBeDown = (s: string) => stateOf(s).down || Date.now() - stateOf(s).upAt < FAULTS_TAKE_EFFECT_MS;

    /** Each master read must extend the previous one: entries are never removed or changed. */
    function checkMasterGrowth(master: ListedMessage[], when: string): void {
      const mismatch = prefixMismatch(lastMaster, master);
      if (mismatch) anomaly(`${when}, an earlier read of the master list is not a prefix of a later one: the earlier read ${mismatch}`);
      else lastMaster = master;
    }

    function reportRead(read: ListRead, when: string): void {
      for (const p of read.problems) anomaly(`${when}: ${p}`);
    }

    async function sampler(): Promise<void> {
      const rng = makeRng(seed, 'sampler');
      const maxSamples = Math.ceil((o.durationS * 1000) / Math.max(1, o.sampleEveryMs)) + 1;
      for (let i = 0; i < maxSamples && !workloadDone; i++) {
        await sleep(o.sampleEveryMs);
        const s = rng.pick(secondaries);
        // Down when the read was sent or when it came back: a slow read may straddle the change.
        const downWhenSent = mayBeDown(s);
        const sec = await readList(url, `/secondaries/${s}/list`);
        reportRead(sec, 'during the run');
        if (!sec.ok) {
          if (!(sec.status === 503 && (downWhenSent || mayBeDown(s)))) anomaly(`during the run, GET /secondaries/${s}/list answered ${sec.status || 'nothing'}: ${sec.error}`);
          continue;
        }
        const master = await readList(url, '/list');
        reportRead(master, 'during the run');
        if (!master.ok) {
          anomaly(`during the run, GET /list answered ${master.status || 'nothing'}: ${master.error}`);
          continue;
        }
        samples++;
        checkMasterGrowth(master.messages, 'during the run');
        const mismatch = prefixMismatch(sec.messages, master.messages);
        if (mismatch) anomaly(`during the run, ${s}'s list is not a prefix of the master's read just after it: it ${mismatch}`);
        for (const p of duplicatesIn(sec.messages, isOurs)) anomaly(`during the run, ${s}'s list: ${p}`);
        for (const p of duplicatesIn(master.messages, isOurs)) anomaly(`during the run, the master list: ${p}`);
      }
    }

    async function progress(): Promise<void> {
      for (let i = 0; i < 100_000 && !workloadDone; i++) {
        await sleep(250);
        if (i % 20 === 19) {
          log(`checker: ${counts.created + counts.accepted + counts.readOnly + counts.other}/${o.appends} appends answered, faults=${faults} duplicates=${duplicates} samples=${samples} anomalies=${anomalies.length}`);
        }
      }
    }

    const background = [chaos(), sampler(), progress()];
    try {
      await Promise.all(Array.from({ length: o.clients }, () => client()));
    } finally {
      workloadDone = true;
      await Promise.allSettled(background);
      await resetAll();
    }
    for (const s of secondaries) stateOf(s).upAt = Date.now();
    if (counts.sent < o.appends) log(`checker: --duration-s ${o.durationS} reached after ${counts.sent} of ${o.appends} appends`);
    log(`checker: workload done in ${((Date.now() - started) / 1000).toFixed(1)} s; faults reset, healing (up to ${o.healTimeoutS} s)`);

    // ---- healing ------------------------------------------------------------------------------
    const healStart = Date.now();
    const paths = ['/list', ...secondaries.map((s) => `/secondaries/${s}/list`)];
    let finalReads: ListRead[] = [];
    let previous: string | undefined;
    let healed = false;
    await sleep(FAULTS_TAKE_EFFECT_MS);
    for (let poll = 0; poll < 100_000 && Date.now() - healStart < o.healTimeoutS * 1000; poll++) {
      const reads = await Promise.all(paths.map((p) => readList(url, p)));
      finalReads = reads;
      if (reads.every((r) => r.ok)) {
        const lists = reads.map((r) => (r.ok ? r.messages : []));
        const master = lists[0] as ListedMessage[];
        const ids = new Set(master.map((m) => m.id));
        const complete = [...acknowledged.keys()].every((id) => ids.has(id));
        const key = JSON.stringify(lists);
        if (allEqual(lists) && complete && key === previous) {
          healed = true;
          break;
        }
        previous = key;
      }
      await sleep(500);
    }
    const healMs = Date.now() - healStart;
    log(`checker: ${healed ? `lists healed in ${(healMs / 1000).toFixed(1)} s` : `lists did not heal within ${o.healTimeoutS} s`}`);

    // ---- verification -------------------------------------------------------------------------
    const finalLists = new Map<string, ListedMessage[]>();
    paths.forEach((p, i) => {
      const read = finalReads[i];
      const name = i === 0 ? 'the master' : `${secondaries[i - 1]}`;
      if (!read) return;
      reportRead(read, 'after healing');
      if (!read.ok) anomaly(`after healing, GET ${p} still answers ${read.status || 'nothing'}: ${read.error}`);
      else finalLists.set(name, read.messages);
    });
    const finalMaster = finalLists.get('the master');
    if (finalMaster) checkMasterGrowth(finalMaster, 'after healing');
    for (const [name, list] of finalLists) {
      for (const p of duplicatesIn(list, isOurs)) anomaly(`after healing, ${name}'s list: ${p}`);
      for (const p of contentProblems(list, acknowledged, refused)) anomaly(`after healing, ${name}'s list ${p}`);
      if (finalMaster && list !== finalMaster && !allEqual([finalMaster, list])) {
        const mismatch = prefixMismatch(list, finalMaster);
        const last = list.at(-1)?.id ?? -1;
        anomaly(
          `after healing, ${name}'s list differs from the master's: ${mismatch ?? `it ends at id ${last} with ${list.length} entries; the master has ${finalMaster.length}, up to id ${finalMaster.at(-1)?.id ?? -1}`}`,
        );
      }
    }

    let ackRewrites = 0;
    if (confirmed.length > 0) {
      const lo = Math.min(...confirmed.map((c) => c.id));
      const hi = Math.max(...confirmed.map((c) => c.id));
      const [acks, ...perSecondary] = await Promise.all([aws.acks(lo, hi), ...secondaries.map((s) => aws.storedAt({ secondary: s }, lo, hi))]);
      const storedAt = new Map(secondaries.map((s, i) => [s, perSecondary[i] as Map<number, number>]));
      const result = writeConcernProblems(confirmed, secondaries, { acks, stored: storedAt }, o.clockSlackMs);
      ackRewrites = result.rewritten.length;
      for (const p of result.problems) anomaly(p);
      if (result.rewritten.length > 0) {
        const examples = result.rewritten
          .slice(0, 5)
          .map((r) => `id ${r.id} on ${r.node}: ack now ${Number.isNaN(r.ackAfterMs) ? 'missing' : `+${r.ackAfterMs}ms`}, held in time per the ${r.provenBy}`)
          .join('; ');
        log(`note: ${result.rewritten.length} ack record(s) of 201'd appends now show a time after the answer (rewritten by a later write): ${examples}`);
      }
    }

    if (readOnlySpells.length > 0) {
      const spells = readOnlySpells.map((r) => `${((r.from - started) / 1000).toFixed(1)}–${((r.to - started) / 1000).toFixed(1)} s (${r.refusals})`);
      log(`checker: read-only spells (503 refusals, seconds from the start): ${spells.join(', ')}`);
    }
    if (duplicateFailures > 0) log(`checker: ${duplicateFailures} batch(es) of job copies could not be sent (the emulator, not replog)`);
    log(
      `checker: 201 by w: ${Object.entries(createdByW)
        .map(([w, c]) => `w=${w}: ${c}`)
        .join(', ')}; samples checked during the run: ${samples}; acks rewritten after their 201: ${ackRewrites}`,
    );
    return {
      seed,
      secondaries,
      appends: counts.sent,
      created: counts.created,
      accepted: counts.accepted,
      readOnly: counts.readOnly,
      other: counts.other,
      createdByW,
      faults,
      duplicates,
      samples,
      ackRewrites,
      healed,
      healMs,
      elapsedMs: Date.now() - started,
      anomalies,
    };
  } finally {
    aws.destroy();
  }
}
