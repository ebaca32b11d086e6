import { ackingNodesOf } from './adapters/acks';
import { getConfig } from './config';
import { nextFirstPoll, pollIntervals } from './backoff';
import { logger } from './logger';
import { countHolders, isWriteConcernMet } from './write-concern';

export interface WaitOutcome {
  /** Nodes holding the entry when the wait ended, the master included. */
  acks: number;
  met: boolean;
}

interface Waiter {
  id: number;
  w: number;
  /** Secondaries known to hold the entry without an ack (see message-waiter.ts). */
  heldBy: readonly string[];
  /** Reads of its acks so far. */
  looks: number;
  deadline: number;
  intervals: Generator<number, never>;
  nextPollAt: number;
  lastAcks: number;
  resolve(outcome: WaitOutcome): void;
}

// Every wait in this container shares one poller: each tick reads the acks of all entries due
// for a look in one batch, instead of one query per waiting append. Each waiter keeps its own
// schedule (fast at first, then backing off) and its own deadline, so appends never wait on
// each other; a stuck w=3 append only costs a key in the next batch.
const waiters = new Set<Waiter>();
let timer: NodeJS.Timeout | undefined;
let timerAt = Infinity;
let polling = false;
// When a new wait takes its first look (nextFirstPoll): learnt from the waits met in this container.
let firstPollMs = 2;

function schedule(): void {
  if (polling || waiters.size === 0) return;
  let at = Infinity;
  for (const w of waiters) at = Math.min(at, w.nextPollAt);
  if (timer && at >= timerAt) return;
  clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(() => void poll(), Math.max(0, at - Date.now()));
}

async function poll(): Promise<void> {
  timer = undefined;
  timerAt = Infinity;
  polling = true;
  try {
    const due = [...waiters].filter((w) => w.nextPollAt <= Date.now());
    let acked: Map<number, string[]> | undefined;
    try {
      acked = await ackingNodesOf([...new Set(due.map((w) => w.id))], getConfig().secondaries);
    } catch (err) {
      logger.warn('reading acks failed; will poll again', { error: err as Error });
    }
    const now = Date.now();
    for (const waiter of due) {
      waiter.looks++;
      if (acked) waiter.lastAcks = countHolders([...(acked.get(waiter.id) ?? []), ...waiter.heldBy], getConfig().secondaries);
      const met = isWriteConcernMet(waiter.w, waiter.lastAcks);
      if (met || now >= waiter.deadline) {
        // A wait that timed out says nothing about how soon acks come.
        if (met) firstPollMs = nextFirstPoll(firstPollMs, waiter.looks === 1);
        waiters.delete(waiter);
        waiter.resolve({ acks: waiter.lastAcks, met });
      } else {
        waiter.nextPollAt = Math.min(waiter.deadline, now + waiter.intervals.next().value);
      }
    }
  } finally {
    polling = false;
    schedule();
  }
}

/**
 * Resolves once `w` nodes hold entry `id`, or after `timeoutMs` with what was held then. Ack
 * records are read consistently; the first look comes about when recent waits were met (at
 * first 2 ms after the jobs left), then every few milliseconds, backing off.
 * `heldBy` names secondaries known to hold the entry already (their acks may have expired).
 */
export function waitForWriteConcern(id: number, w: number, timeoutMs: number, heldBy: readonly string[] = []): Promise<WaitOutcome> {
  if (w <= 1) return Promise.resolve({ acks: 1, met: true });
  const held = countHolders(heldBy, getConfig().secondaries);
  // Even when `heldBy` meets w, one poll counts the acks too, so `acks` is the same either way.
  return new Promise((resolve) => {
    const now = Date.now();
    waiters.add({ id, w, heldBy, looks: 0, deadline: now + timeoutMs, intervals: pollIntervals(), nextPollAt: now + Math.round(firstPollMs), lastAcks: held, resolve });
    schedule();
  });
}
