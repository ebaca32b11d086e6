import { spawn, type ChildProcess } from 'node:child_process';
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

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
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

export interface Child {
  process: ChildProcess;
  pid: number;
  /** The last lines it printed, for error messages. */
  tail(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

/** Spawns a process we own; `onLine` gets each line of its stdout and stderr. */
export function spawnChild(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; onLine: (line: string) => void }): Child {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 40) lines.shift();
        options.onLine(line);
      }
    });
  }
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  return {
    process: child,
    pid,
    tail: () => lines.join('\n'),
    exited: () => exited,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exit.then(() => true), sleep(5000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}
