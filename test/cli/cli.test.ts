// The replog CLI run as a child process (bin/replog.mjs, as `npx replog` runs it) against a small node:http
// server that answers like the API in api.md does. Each test gets its own path prefix on that server (the CLI
// keeps a path in --url, as for an API Gateway stage), so the tests can run concurrently.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { idempotencyKey, integer, rate } from '../../cli/arguments';
import { renderHealth } from '../../cli/commands/health';
import { buildProgram } from '../../cli/program';
import { age, oneLine, table, useColour } from '../../cli/format';

const BIN = fileURLToPath(new URL('../../bin/replog.mjs', import.meta.url));

interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

interface Reply {
  status: number;
  body?: unknown;
  /** A raw body instead of JSON. */
  text?: string;
}

type Handler = (req: Recorded) => Reply;

let server: Server;
let port: number;
const routes = new Map<string, { handler: Handler; requests: Recorded[] }>();
let nextPrefix = 0;
/** `replog --help`, run first: it loads every module of the CLI, so tsx's transform cache is warm for the rest. */
let help: Run;

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      const [, prefix = '', ...rest] = (req.url ?? '/').split('/');
      const route = routes.get(prefix);
      const recorded: Recorded = {
        method: req.method ?? '',
        path: '/' + rest.join('/'),
        headers: req.headers,
        body: raw === '' ? undefined : JSON.parse(raw),
      };
      const reply: Reply = route
        ? (route.requests.push(recorded), route.handler(recorded))
        : { status: 404, body: { error: 'no such route' } };
      res.writeHead(reply.status, { 'content-type': reply.text === undefined ? 'application/json' : 'text/html' });
      res.end(reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  help = await replog(undefined, ['--help']);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A fresh fake API for one test: its base URL and the requests it received. */
function fakeApi(handler: Handler): { url: string; requests: Recorded[] } {
  const prefix = `t${nextPrefix++}`;
  const requests: Recorded[] = [];
  routes.set(prefix, { handler, requests });
  return { url: `http://127.0.0.1:${port}/${prefix}`, requests };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `replog args…` with REPLOG_URL=url. `until` (for --follow/--watch) is checked on every stdout chunk;
 * once it holds the CLI gets SIGINT, as from Ctrl-C.
 */
function replog(url: string | undefined, args: string[], until?: (stdout: string) => boolean, extraEnv: Record<string, string> = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.REPLOG_URL;
  delete env.REPLOG_API_KEY;
  if (url !== undefined) env.REPLOG_URL = url;
  Object.assign(env, extraEnv);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (until && !interrupted && until(stdout)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // A CLI that hangs is a failure, but give a busy machine time to start node processes.
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port: p } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return p;
}

const HEALTH = {
  readOnly: false,
  quorum: { required: 2, available: 3 },
  secondaries: {
    s1: { status: 'Healthy', lastHeartbeat: new Date().toISOString(), applied: 41, lag: 0 },
    s2: { status: 'Unhealthy', lastHeartbeat: null, applied: -1, lag: 42 },
  },
};

describe.concurrent('replog CLI against a fake API', () => {
  test('bad arguments: usage on stderr, exit 2, nothing sent', async () => {
    const api = fakeApi(() => ({ status: 500 }));
    // One of each kind: no command, unknown command or option, missing argument, a bad value, conflicting flags.
    const cases: [string[], RegExp][] = [
      [[], /Usage: replog/],
      [['bogus'], /unknown command 'bogus'[\s\S]*Usage:\n  replog append/],
      [['append'], /missing required argument 'msg'[\s\S]*Usage: replog append <msg> \[-w N\]/],
      [['append', 'x', '-w', '0'], /w must be an integer ≥ 1[\s\S]*Usage: replog append/],
      [['list', '--nope'], /unknown option '--nope'[\s\S]*Usage: replog list/],
      [['fault', 's1', '--down', '--up'], /'--down' cannot be used with option '--up'[\s\S]*Usage: replog fault/],
      [['wait', '3'], /required option '-w, --write-concern <N>' not specified[\s\S]*Usage: replog wait ID -w N/],
      [['health', '--url', 'ftp://example.com'], /must be an http\(s\) URL/],
    ];
    const runs = await Promise.all(cases.map(([args]) => replog(api.url, args)));
    runs.forEach((run, i) => {
      const [args, stderr] = cases[i]!;
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).toMatch(stderr);
    });
    expect(api.requests).toEqual([]);
  });

  test('--help documents the exit codes and exits 0', () => {
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    for (const code of ['0', '2', '3', '4', '5', '6', '130']) expect(help.stdout).toMatch(new RegExp(`^ +${code}  `, 'm'));
  });

  test('append 201: exit 0, prints the id; sends msg, w and the idempotency key', async () => {
    const api = fakeApi(() => ({ status: 201, body: { id: 7, msg: 'hello', w: 2, acks: 3 } }));
    const run = await replog(api.url, ['append', 'hello', '-w', '2', '--idempotency-key', 'order-42']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/\bid 7\b/);
    expect(api.requests).toHaveLength(1);
    const [req] = api.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/append', body: { msg: 'hello', w: 2 } });
    expect(req!.headers['idempotency-key']).toBe('order-42');
    expect(req!.headers['content-type']).toBe('application/json');
  });

  test('append without -w leaves w to the API (its default is 1)', async () => {
    const api = fakeApi(() => ({ status: 201, body: { id: 0, msg: 'm', w: 1, acks: 1 } }));
    const run = await replog(api.url, ['append', 'm']);
    expect(run.code).toBe(0);
    expect(api.requests[0]!.body).toEqual({ msg: 'm' });
    expect(api.requests[0]!.headers['idempotency-key']).toBeUndefined();
  });

  test('append 202: exit 3 and how to wait for it', async () => {
    const pendingBody = { id: 7, w: 3, acks: 2, status: 'pending', wait: '/messages/7/wait?w=3' };
    const api = fakeApi(() => ({ status: 202, body: pendingBody }));
    const run = await replog(api.url, ['append', 'Msg3', '-w', '3']);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('replog wait 7 -w 3');
    expect(run.stdout).toContain(`${api.url}/messages/7/wait?w=3`);
    const json = await replog(api.url, ['append', 'Msg3', '-w', '3', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toEqual(pendingBody);
  });

  test('append 400: exit 4 with the API error; --json prints the error body', async () => {
    const error = 'w must be an integer from 1 to 3 (the master plus 2 secondaries), got 9';
    const api = fakeApi(() => ({ status: 400, body: { error } }));
    const run = await replog(api.url, ['append', 'x', '-w', '9']);
    expect(run).toMatchObject({ code: 4, stdout: '' });
    expect(run.stderr).toContain(error);
    const json = await replog(api.url, ['--json', 'append', 'x', '-w', '9']);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toEqual({ error });
  });

  test('append 503 read-only: exit 5', async () => {
    const error = 'read-only: 0 of 2 secondaries available, 1 needed for a majority of 3 nodes';
    const api = fakeApi(() => ({ status: 503, body: { error } }));
    const run = await replog(api.url, ['append', 'x']);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(error);
  });

  test('connection refused: exit 6 and a hint to run npm start', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await replog(url, ['append', 'x']);
    expect(run).toMatchObject({ code: 6, stdout: '' });
    expect(run.stderr).toContain('connection refused');
    expect(run.stderr).toContain('npm start');
  });

  test('--api-key / REPLOG_API_KEY: sent as x-api-key on every call, the flag winning; none without', async () => {
    const KEY = 'k3y-0f-the-prod-stage-0123';
    const log = Array.from({ length: 3 }, (_, id) => ({ id, msg: `m${id}` }));
    const api = fakeApi((req) => {
      if (req.headers['x-api-key'] !== KEY) return { status: 403, body: { error: 'this API needs its key in the x-api-key header' } };
      const after = Number(new URL(req.path, 'http://x').searchParams.get('after') ?? -1);
      const page = log.filter((m) => m.id > after).slice(0, 2);
      return { status: 200, body: { messages: page, ...(page.at(-1)!.id < 2 ? { next: page.at(-1)!.id } : {}) } };
    });

    const [byFlag, byEnv, flagWins, none] = await Promise.all([
      replog(api.url, ['list', '--api-key', KEY]),
      replog(api.url, ['list'], undefined, { REPLOG_API_KEY: KEY }),
      replog(api.url, ['--api-key', KEY, 'list'], undefined, { REPLOG_API_KEY: 'an-older-key-that-was-rotated' }),
      replog(api.url, ['health']),
    ]);

    for (const run of [byFlag, byEnv, flagWins]) expect(run).toMatchObject({ code: 0, stderr: '', stdout: expect.stringContaining(' 2  m2') });
    const keyed = api.requests.filter((r) => r.path.startsWith('/list'));
    expect(keyed).toHaveLength(6);
    for (const r of keyed) expect(r.headers['x-api-key']).toBe(KEY);
    expect(api.requests.find((r) => r.path === '/health')?.headers['x-api-key']).toBeUndefined();
    expect(none.code).toBe(4);
  });

  test('403: exit 4 with the API error and what to do about the key, missing or refused', async () => {
    const error = 'this API needs its key in the x-api-key header; the key sent is missing or not valid';
    const api = fakeApi(() => ({ status: 403, body: { error } }));
    const [missing, wrong, json] = await Promise.all([
      replog(api.url, ['append', 'x']),
      replog(api.url, ['health'], undefined, { REPLOG_API_KEY: 'not-the-key-of-this-stage' }),
      replog(api.url, ['wait', '3', '-w', '2', '--json']),
    ]);
    expect(missing).toMatchObject({ code: 4, stdout: '' });
    expect(missing.stderr).toContain(`${error} (HTTP 403)`);
    expect(missing.stderr).toMatch(/needs its key: pass --api-key KEY or set REPLOG_API_KEY/);
    expect(wrong).toMatchObject({ code: 4, stdout: '' });
    expect(wrong.stderr).toMatch(/API key sent was refused/);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toEqual({ error });
  });

  test('a malformed key (flag or REPLOG_API_KEY): usage error, exit 2, nothing sent', async () => {
    const api = fakeApi(() => ({ status: 200, body: HEALTH }));
    const [flag, env] = await Promise.all([
      replog(api.url, ['health', '--api-key', 'short']),
      replog(api.url, ['health'], undefined, { REPLOG_API_KEY: 'has blanks in the middle of it' }),
    ]);
    for (const run of [flag, env]) {
      expect(run).toMatchObject({ code: 2, stdout: '' });
      expect(run.stderr).toMatch(/API key must be 20 to 128 printable ASCII characters/);
    }
    expect(env.stderr).toContain('REPLOG_API_KEY');
    expect(api.requests).toEqual([]);
  });

  test('--url wins over REPLOG_URL', async () => {
    const api = fakeApi(() => ({ status: 200, body: HEALTH }));
    const run = await replog(`http://127.0.0.1:${await closedPort()}`, ['health', '--url', api.url]);
    expect(run.code).toBe(0);
    expect(api.requests).toHaveLength(1);
  });

  test('list follows next through every page; --json is one document with all messages', async () => {
    const log = Array.from({ length: 5 }, (_, id) => ({ id, msg: `m${id}` }));
    const api = fakeApi((req) => {
      const after = Number(new URL(req.path, 'http://x').searchParams.get('after') ?? -1);
      const page = log.filter((m) => m.id > after).slice(0, 2);
      const more = page.length > 0 && page.at(-1)!.id < log.at(-1)!.id;
      return { status: 200, body: { messages: page, ...(more ? { next: page.at(-1)!.id } : {}) } };
    });
    const run = await replog(api.url, ['list']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(['ID  MSG', ...log.map((m) => ` ${m.id}  ${m.msg}`)].join('\n') + '\n');
    expect(api.requests.map((r) => r.path)).toEqual(['/list', '/list?after=1', '/list?after=3']);

    const json = await replog(api.url, ['list', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ messages: log });
  });

  test('list --secondary: its own path; 503 while it is down → exit 5, 404 unknown → exit 4', async () => {
    const api = fakeApi((req) =>
      req.path.startsWith('/secondaries/s2/')
        ? { status: 503, body: { error: 'secondary s2 is down' } }
        : req.path.startsWith('/secondaries/s9/')
          ? { status: 404, body: { error: 'no secondary named "s9"' } }
          : { status: 200, body: { messages: [{ id: 0, msg: 'tab\there' }] } },
    );
    const [ok, down, unknown] = await Promise.all([
      replog(api.url, ['list', '--secondary', 's1']),
      replog(api.url, ['list', '--secondary', 's2']),
      replog(api.url, ['list', '--secondary', 's9']),
    ]);
    expect(ok).toMatchObject({ code: 0, stdout: 'ID  MSG\n 0  tab\\there\n' });
    expect(down.code).toBe(5);
    expect(down.stderr).toContain('secondary s2 is down');
    expect(unknown.code).toBe(4);
    expect(api.requests.map((r) => r.path).sort()).toEqual(
      ['/secondaries/s1/list', '/secondaries/s2/list', '/secondaries/s9/list'],
    );
  });

  test('list --follow prints new entries as they appear and exits 130 on Ctrl-C', async () => {
    // id 0 at once, id 1 from the third request on (the CLI has been polling by then).
    const growingLog = () => {
      let requests = 0;
      return fakeApi((req) => {
        const after = Number(new URL(req.path, 'http://x').searchParams.get('after') ?? -1);
        const log = [{ id: 0, msg: 'first' }, ...(++requests >= 3 ? [{ id: 1, msg: 'second' }] : [])];
        return { status: 200, body: { messages: log.filter((m) => m.id > after) } };
      });
    };
    const api = growingLog();
    const jsonApi = growingLog();
    const [run, json] = await Promise.all([
      replog(api.url, ['list', '--follow'], (out) => out.includes('second')),
      replog(jsonApi.url, ['list', '--follow', '--json'], (out) => out.split('\n').length > 2),
    ]);
    expect(run.code).toBe(130);
    expect(run.stdout).toBe('ID  MSG\n 0  first\n 1  second\n');
    expect(api.requests.length).toBeGreaterThanOrEqual(3);
    expect(api.requests.slice(1).every((r) => r.path === '/list?after=0')).toBe(true);
    expect(json.code).toBe(130);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([{ messages: [{ id: 0, msg: 'first' }] }, { messages: [{ id: 1, msg: 'second' }] }]);
  });

  test('health: a table and the quorum line, no colour off a terminal; --json as is', async () => {
    const api = fakeApi(() => ({ status: 200, body: HEALTH }));
    const [run, json] = await Promise.all([replog(api.url, ['health']), replog(api.url, ['health', '--json'])]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^SECONDARY +STATUS +LAST HEARTBEAT +APPLIED +LAG$/);
    expect(lines[1]).toMatch(/^s1 +Healthy +\S+ \(.+ ago\) +41 +0$/);
    expect(lines[2]).toMatch(/^s2 +Unhealthy +never +-1 +42$/);
    expect(lines[0]!.indexOf('LAG') + 3).toBe(lines[1]!.length);
    expect(run.stdout).toContain('quorum: 3 of 3 nodes available, 2 required');
    expect(run.stdout).not.toContain('\x1b[');

    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(HEALTH);
  });

  test('fault on a stage without the admin API (404) → exit 4', async () => {
    const api = fakeApi(() => ({ status: 404, body: { error: 'not found' } }));
    const run = await replog(api.url, ['fault', 's1', '--down']);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('not found (HTTP 404)');
  });

  test('health --watch --json: one document per line, about every second, exit 130 on Ctrl-C', async () => {
    const api = fakeApi(() => ({ status: 200, body: HEALTH }));
    const run = await replog(api.url, ['health', '--watch', '--json'], (out) => out.split('\n').length > 2);
    expect(run.code).toBe(130);
    const lines = run.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(JSON.parse(line)).toEqual(HEALTH);
  });

  test('fault: the flags given, and only those, in the PUT body; no flags → GET', async () => {
    const stored = { down: true, delayMs: 200, errorRate: 0.5 };
    const api = fakeApi(() => ({ status: 200, body: stored }));
    const runs = await Promise.all([
      replog(api.url, ['fault', 's2', '--down', '--delay', '200', '--error-rate', '0.5']),
      replog(api.url, ['fault', 's1', '--up', '--error-rate', '0']),
      replog(api.url, ['fault', 's3', '--json']),
    ]);
    for (const run of runs) expect(run.code).toBe(0);
    const byName = (name: string) => api.requests.find((r) => r.path.includes(`/${name}/`));
    expect(byName('s2')).toMatchObject({ method: 'PUT', path: '/admin/secondaries/s2/faults', body: stored });
    expect(byName('s1')).toMatchObject({ method: 'PUT', body: { down: false, errorRate: 0 } });
    expect(byName('s3')).toMatchObject({ method: 'GET', body: undefined });
    expect(JSON.parse(runs[2]!.stdout)).toEqual(stored);
    expect(runs[0]!.stdout).toMatch(/^SECONDARY +STATE +DELAY MS +ERROR RATE\ns2 +down +200 +0\.5\n$/);
  });

  test('wait: 200 → 0, 202 → 3, 404 → 4', async () => {
    const api = fakeApi((req) => {
      const id = Number(/\/messages\/(\d+)\/wait/.exec(req.path)?.[1]);
      if (id === 1) return { status: 200, body: { id, w: 3, acks: 3 } };
      if (id === 2) return { status: 202, body: { id, w: 3, acks: 2, status: 'pending', wait: `/messages/${id}/wait?w=3` } };
      return { status: 404, body: { error: `no message with id ${id}` } };
    });
    const [met, pend, unknown] = await Promise.all([
      replog(api.url, ['wait', '1', '-w', '3']),
      replog(api.url, ['wait', '2', '-w', '3']),
      replog(api.url, ['wait', '99', '-w', '3']),
    ]);
    expect(met.code).toBe(0);
    expect(met.stdout).toContain('w=3 met');
    expect(pend.code).toBe(3);
    expect(pend.stdout).toContain('replog wait 2 -w 3');
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('no message with id 99');
    expect(api.requests.map((r) => r.path).sort()).toEqual(
      ['/messages/1/wait?w=3', '/messages/2/wait?w=3', '/messages/99/wait?w=3'],
    );
  });

  test('something that is not the replog API: a 5xx page → 5, a 200 page → 1', async () => {
    const broken = fakeApi(() => ({ status: 502, text: '<html>Bad Gateway</html>' }));
    const other = fakeApi(() => ({ status: 200, text: '<html>hello</html>' }));
    const [gateway, html] = await Promise.all([replog(broken.url, ['list']), replog(other.url, ['health'])]);
    expect(gateway.code).toBe(5);
    expect(gateway.stderr).toContain('HTTP 502');
    expect(html.code).toBe(1);
    expect(html.stderr).toContain('unexpected answer');
  });
});

describe('argument checks (in process)', () => {
  test("the commands and synopses of api.md's CLI contract", () => {
    const usage = Object.fromEntries(buildProgram(() => {}).commands.map((c) => [c.name(), c.usage()]));
    expect(Object.keys(usage)).toEqual(['append', 'list', 'health', 'fault', 'wait']);
    expect(usage.append).toMatch(/^<msg> \[-w N\] \[--idempotency-key K\]/);
    expect(usage.list).toMatch(/^\[--secondary NAME\] \[--follow\]/);
    expect(usage.health).toMatch(/^\[--watch\]/);
    expect(usage.fault).toMatch(/^NAME \[--down\|--up\] \[--delay MS\] \[--error-rate R\]/);
    expect(usage.wait).toMatch(/^ID -w N/);
    for (const u of Object.values(usage)) expect(u).toContain('[--json]');
  });

  test('w and ids: plain integers from their minimum', () => {
    const w = integer('w', 1);
    expect(w('3')).toBe(3);
    for (const bad of ['0', '-1', '1.5', '1e3', '', ' 2', 'x']) expect(() => w(bad)).toThrow('w must be an integer ≥ 1');
    expect(integer('the delay', 0)('0')).toBe(0);
  });

  test('error rate: 0..1', () => {
    expect([rate('0'), rate('0.25'), rate('.5'), rate('1'), rate('1.0')]).toEqual([0, 0.25, 0.5, 1, 1]);
    for (const bad of ['1.5', '-0.1', 'abc', '', '0x1', '1e-1']) expect(() => rate(bad)).toThrow('from 0 to 1');
  });

  test('idempotency keys: a valid HTTP header value of 1..255 characters', () => {
    expect(idempotencyKey('order 42')).toBe('order 42');
    for (const bad of ['', ' padded', 'padded ', 'é', 'a\nb', 'k'.repeat(256)]) expect(() => idempotencyKey(bad)).toThrow();
  });
});

describe('human output helpers', () => {
  test('table: aligned columns, colour added after padding, no trailing blanks', () => {
    const out = table(
      [{ header: 'NAME' }, { header: 'STATUS' }, { header: 'N', align: 'right' }],
      [['s1', { text: 'Healthy', style: 'green' }, '5'], ['s10', { text: 'Unhealthy', style: 'red' }, '12']],
      true,
    );
    const plain = out.replace(/\x1b\[\d+m/g, '');
    expect(plain.split('\n')).toEqual(['NAME  STATUS      N', 's1    Healthy     5', 's10   Unhealthy  12']);
    expect(out).toContain('\x1b[32mHealthy  \x1b[0m');
  });

  test('colour only on a terminal with NO_COLOR unset', () => {
    const tty = { isTTY: true } as NodeJS.WriteStream;
    const pipe = { isTTY: false } as NodeJS.WriteStream;
    expect(useColour(tty, {})).toBe(true);
    expect(useColour(tty, { NO_COLOR: '1' })).toBe(false);
    expect(useColour(pipe, {})).toBe(false);
  });

  test('health while read-only says so', () => {
    const text = renderHealth({ ...HEALTH, readOnly: true, quorum: { required: 2, available: 1 } }, false);
    expect(text).toMatch(/\n\nREAD-ONLY: 1 of 3 nodes available, 2 required; appends are refused/);
  });

  test('messages stay on one row; heartbeat ages read well', () => {
    expect(oneLine('a\nb\tc')).toBe('a\\nb\\tc');
    const now = Date.parse('2025-01-01T00:10:00Z');
    expect(age('2025-01-01T00:09:59.600Z', now)).toBe('0.4s ago');
    expect(age('2025-01-01T00:09:30Z', now)).toBe('30s ago');
    expect(age('2025-01-01T00:05:00Z', now)).toBe('5m ago');
  });
});
