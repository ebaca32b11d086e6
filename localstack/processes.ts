import { spawn, type ChildProcess, type Serializable } from 'node:child_process';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `probe` until it resolves true; never a fixed sleep standing in for readiness. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, failed?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let interval = 25;
  while (Date.now() < deadline) {
    const failure = failed?.();
    if (failure) throw new Error(`${what} failed to start: ${failure}`);
    if (await probe().catch(() => false)) return;
    await sleep(interval);
    interval = Math.min(250, interval * 1.5);
  }
  throw new Error(`${what} was not ready after ${Math.round(timeoutMs / 1000)} s`);
}

export async function httpOk(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

/** True when something accepts HTTP requests on the URL (whatever the status). */
export async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** "code 3", "signal SIGKILL"; a shell reports a child killed by signal N as code 128+N. */
export function describeExit({ code, signal }: ExitStatus): string {
  if (signal) return `signal ${signal}`;
  if (code !== null && code > 128 && code < 160) {
    const name = Object.entries(os.constants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name) return `signal ${name}`;
  }
  return `code ${code}`;
}

export interface Child {
  process: ChildProcess;
  pid: number;
  /** Resolves when it has exited and its output is drained. */
  exited: Promise<ExitStatus>;
  /** The last lines it printed, for error messages. */
  tail(): string;
  hasExited(): boolean;
  send(message: Serializable): void;
  /** SIGTERM (or `signal`), then SIGKILL if it is still there after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const TAIL_LINES = 40;

/**
 * Spawns a process we own; `onLine` gets each line of its stdout and stderr. With `ipc`, it has
 * Node's message channel (the child sees the channel close if we die, however we die).
 */
export function spawnChild(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; onLine: (line: string) => void; ipc?: boolean; onMessage?: (message: unknown) => void },
): Child {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])] });
  const lines: string[] = [];
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => child.once('close', (code, signal) => resolve((status = { code, signal }))));
  child.on('error', (err) => lines.push(`could not run ${command}: ${err.message}`));
  if (options.onMessage) child.on('message', options.onMessage);
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
        options.onLine(line);
      }
    });
  }
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  return {
    process: child,
    pid,
    exited,
    tail: () => lines.join('\n'),
    hasExited: () => status !== undefined,
    send(message) {
      if (child.connected) child.send(message);
    },
    async stop(signal = 'SIGTERM', graceMs = 5000) {
      if (status) return;
      child.kill(signal);
      const ended = await Promise.race([exited.then(() => true), sleep(graceMs, undefined, { ref: false }).then(() => false)]);
      if (!ended) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
