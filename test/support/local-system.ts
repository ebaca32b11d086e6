import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { projectRoot, serverlessBin, serverlessEnv } from '../../localstack/definition';
import { findFreePort } from '../../localstack/ports';

const require = createRequire(import.meta.url);

export interface Ports {
  awsPort: number;
  httpPort: number;
  lambdaPort: number;
}

/** Loopback ports nobody uses now (offline also takes httpPort+1 and +3; those are checked too). */
export async function freePorts(): Promise<Ports> {
  for (;;) {
    const [awsPort, httpPort, lambdaPort] = [await findFreePort(), await findFreePort(), await findFreePort()] as [number, number, number];
    const neighbours = new Set([httpPort + 1, httpPort + 3]);
    if (new Set([awsPort, httpPort, lambdaPort, ...neighbours]).size === 5 && (await portFree(httpPort + 1)) && (await portFree(httpPort + 3))) {
      return { awsPort, httpPort, lambdaPort };
    }
  }
}

async function portFree(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function portEnv(ports: Ports): Record<string, string> {
  return { REPLOG_AWS_PORT: String(ports.awsPort), REPLOG_HTTP_PORT: String(ports.httpPort), REPLOG_LAMBDA_PORT: String(ports.lambdaPort) };
}

export interface Launched {
  child: ChildProcess;
  pid: number;
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a command of the local system (npm start's script, or serverless offline) in its own process group. */
function launch(args: string[], env: Record<string, string>): Launched {
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    env: { ...process.env, ...serverlessEnv, REPLOG_WAIT_TIMEOUT_MS: '8000', REPLOG_HOLE_GRACE_MS: '1500', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that a test can kill -9 exactly the whole stack it started.
    detached: true,
  });
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, pid: child.pid as number, output: () => text, exit };
}

/** `npm start` as a user runs it (scripts/start.ts), on the given ports. */
export function launchNpmStart(ports: Ports, env: Record<string, string> = {}): Launched {
  return launch(['--require', require.resolve('tsx/cjs'), join(projectRoot, 'scripts', 'start.ts')], { ...portEnv(ports), ...env });
}

/** `npx serverless offline start` as a user runs it, on the given ports. */
export function launchServerlessOffline(ports: Ports, env: Record<string, string> = {}): Launched {
  return launch([serverlessBin(), 'offline', 'start'], { ...portEnv(ports), ...env });
}

/** Every live descendant of `root`, from /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `probe` until it returns a value, or throws after `timeoutMs` with `what`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function post(apiUrl: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(apiUrl + path, { method: 'POST', body: JSON.stringify(body), headers, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed };
}

export async function listAll(apiUrl: string, path: string): Promise<Array<{ id: number; msg: string }>> {
  const res = await fetch(apiUrl + path, { signal: AbortSignal.timeout(15_000) });
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
  return ((await res.json()) as { messages: Array<{ id: number; msg: string }> }).messages;
}
