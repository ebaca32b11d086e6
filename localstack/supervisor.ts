/**
 * Watches the processes of the local system. An unexpected exit is reported at once (which part,
 * its exit code or signal, its last lines of output); a part that holds no data is restarted with
 * backoff (restart-policy.ts), one that does, or one that keeps dying, makes the supervisor give
 * up: `failure` resolves with the reason and the owner stops everything and exits non-zero.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describeExit, type ExitStatus } from "./processes.js";
import { decideRestart, DEFAULT_RESTART_POLICY, type RestartPolicy } from "./restart-policy.js";

export interface PartHandle {
  pid: number;
  /** Resolves when the process exits, however it ends. */
  exited: Promise<ExitStatus>;
  /** Its last lines of output. */
  tail(): string;
  stop(): Promise<void>;
}

export interface PartSpec {
  /** How the part is named in reports, e.g. "DynamoDB Local". */
  name: string;
  start(): Promise<PartHandle>;
  /** Restarted when it dies, or (a message saying why not) the whole stack stops. */
  whenDead: "restart" | ((status: ExitStatus) => string);
  /** Runs after each restart (e.g. recreating what the part lost). */
  afterRestart?(): Promise<void>;
}

export class SupervisorGaveUp extends Error {}

const TAIL_LINES = 12;

function lastLines(text: string): string {
  const lines = text.trimEnd().split("\n").slice(-TAIL_LINES);
  return lines.length === 0 || lines[0] === "" ? "  (no output)" : lines.map((l) => `  | ${l}`).join("\n");
}

export class Supervisor {
  readonly #log: (line: string) => void;
  readonly #policy: RestartPolicy;
  readonly #parts = new Map<string, PartHandle>();
  #stopping = false;
  #giveUp!: (reason: SupervisorGaveUp) => void;
  /** Resolves (never rejects) when the supervisor has given up on a part. */
  readonly failure: Promise<SupervisorGaveUp>;

  constructor(log: (line: string) => void, policy: RestartPolicy = DEFAULT_RESTART_POLICY) {
    this.#log = log;
    this.#policy = policy;
    this.failure = new Promise((resolve) => (this.#giveUp = resolve));
  }

  /** The running handle of a part, if it is up. */
  part(name: string): PartHandle | undefined {
    return this.#parts.get(name);
  }

  /** Starts a part and watches it until stop(). Rejects if its first start fails. */
  async add(spec: PartSpec): Promise<PartHandle> {
    const handle = await spec.start();
    this.#watch(spec, handle, []);
    return handle;
  }

  #watch(spec: PartSpec, handle: PartHandle, history: number[]): void {
    this.#parts.set(spec.name, handle);
    void handle.exited.then((status) => {
      if (this.#stopping || this.#parts.get(spec.name) !== handle) return;
      this.#parts.delete(spec.name);
      void this.#onDeath(spec, handle, status, history);
    });
  }

  async #onDeath(spec: PartSpec, handle: PartHandle, status: ExitStatus, history: number[]): Promise<void> {
    this.#log(`${spec.name} (pid ${handle.pid}) exited unexpectedly (${describeExit(status)}). Its last lines:\n${lastLines(handle.tail())}`);
    if (spec.whenDead !== "restart") return this.#fail(spec.whenDead(status));
    const decision = decideRestart(history, Date.now(), this.#policy);
    if (!decision.restart) return this.#fail(`${spec.name} keeps dying: ${decision.reason}. Stopping everything.`);
    this.#log(`restarting ${spec.name} in ${(decision.delayMs / 1000).toFixed(2)} s (restart ${decision.attempt} of at most ${this.#policy.maxRestarts} within ${this.#policy.windowMs / 1000} s)`);
    await sleep(decision.delayMs);
    if (this.#stopping) return;
    let next: PartHandle;
    try {
      next = await spec.start();
    } catch (err) {
      // A failed start counts as another death of the part.
      const failed: PartHandle = { pid: handle.pid, exited: Promise.resolve({ code: null, signal: null }), tail: () => (err as Error).message, stop: async () => undefined };
      return this.#onDeath(spec, failed, { code: 1, signal: null }, decision.history);
    }
    if (this.#stopping) return void (await next.stop());
    this.#watch(spec, next, decision.history);
    this.#log(`${spec.name} is back (pid ${next.pid})`);
    await spec.afterRestart?.().catch((err: Error) => this.#log(`after restarting ${spec.name}: ${err.message}`));
  }

  #fail(reason: string): void {
    if (this.#stopping) return;
    this.#log(reason);
    this.#giveUp(new SupervisorGaveUp(reason));
  }

  /** Stops watching, runs `first`, then stops the parts in the given order (the rest after them). */
  async stop(order: readonly string[] = [], first?: () => Promise<void>): Promise<void> {
    this.#stopping = true;
    await first?.().catch((err: Error) => this.#log(`while stopping: ${err.message}`));
    const names = [...order.filter((n) => this.#parts.has(n)), ...[...this.#parts.keys()].filter((n) => !order.includes(n))];
    for (const name of names) {
      await this.#parts.get(name)?.stop().catch((err: Error) => this.#log(`stopping ${name}: ${err.message}`));
      this.#parts.delete(name);
    }
  }
}
