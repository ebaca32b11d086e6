import { request } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { api, apiUrl, eventually } from '../support/api';
import { scanAll, snapshotLog, table } from '../support/aws';
import { freshSystem, setFaults } from '../support/faults';

// api.md: no request, however malformed, gets a 5xx; every 4xx is {"error": "<string>"} — the
// API's own and the gateway's (serverless-offline's here, through localstack/offline-error-shape.js)
// — and a refused request stores nothing. Requests go out raw (node:http), so nothing on the
// client side tidies them: any method token, a body on a GET, paths as typed, header bytes as sent.

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function send(req: RawRequest): Promise<RawAnswer> {
  const url = new URL(apiUrl());
  return new Promise((resolve, reject) => {
    let answered = false;
    const outgoing = request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers: req.headers, agent: false },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    // A server that refuses a large body may close before all of it is written: the answer counts.
    outgoing.on('error', (err) => (answered ? undefined : reject(err)));
    outgoing.setTimeout(30_000, () => outgoing.destroy(new Error(`no answer to ${req.method} ${req.path.slice(0, 80)}`)));
    outgoing.end(req.body);
  });
}

/** A UTF-8 string as the bytes a header carries (node:http sends each char as one latin1 byte). */
const headerBytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

const ROUTES: Array<[string, string]> = [
  ['GET', '/'],
  ['GET', '/view'],
  ['POST', '/append'],
  ['GET', '/list'],
  ['GET', '/health'],
  ['GET', '/secondaries/{name}/list'],
  ['GET', '/messages/{id}/wait'],
  ['GET', '/admin/secondaries/{name}/faults'],
  ['PUT', '/admin/secondaries/{name}/faults'],
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'FOO'];

const segment = fc.oneof(
  fc.constantFrom('s1', 's2', 's9', '', '.', '..', 'S1', 's1 ', '%zz', '%00', '%2F', '0', '-1', '1e3', '9007199254740993', 'NaN'),
  fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent),
  fc.string({ unit: 'grapheme-ascii', maxLength: 20 }).map((s) => s.replace(/[^\x21-\x7e]|[?#]/g, '_')),
  fc.nat({ max: 200 }).map(String),
);
const queryValue = fc.oneof(
  fc.constantFrom('-1', '-2', '0', '1', '3', '1e9', '1000', '1001', 'NaN', 'abc', '', '%zz', '0x10', '9007199254740992', ' 5'),
  fc.string({ unit: 'binary', maxLength: 12 }).map(encodeURIComponent),
);
const query = fc.oneof(
  fc.constant(''),
  fc
    .array(fc.tuple(fc.constantFrom('after', 'limit', 'w', 'tail', 'x', 'after'), queryValue), { minLength: 1, maxLength: 4 })
    .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
  fc.constantFrom('?', '?&&', '?after', '?limit=', '?%zz=1'),
);
const path = fc.oneof(
  fc.tuple(fc.constantFrom(...ROUTES.map(([, p]) => p)), segment, segment).map(([p, name, id]) => p.replace('{name}', name).replace('{id}', id)),
  fc.array(segment, { maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
  fc.constantFrom('//list', '/list/', '/list//', '/./list', '/secondaries//list', '/messages//wait', `/${'a'.repeat(6000)}`),
);

const idempotencyKey = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'k')),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((s) => headerBytes(s).replace(/[\x00-\x1f\x7f]/g, 'k')),
  fc.constantFrom('k'.repeat(255), 'k'.repeat(256), 'k'.repeat(10_000), 'ключ-🚀'),
);
const headers = fc.record(
  {
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'x/y', '', '*/*'),
    'idempotency-key': idempotencyKey.map((k) => (k === 'ключ-🚀' ? headerBytes(k) : k)),
    accept: fc.constantFrom('application/json', 'text/html', '*/*', 'x'),
    'x-api-key': fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
  },
  { requiredKeys: [] },
);

const jsonText = (v: unknown): string => JSON.stringify(v) ?? 'null';
const msgValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('', ' ', '\ud800', 'x\udfffy'), fc.integer(), fc.constant(null), fc.array(fc.string()), fc.object());
const wValue = fc.oneof(fc.integer({ min: -3, max: 6 }), fc.constantFrom(1.5, 1e309, -0, 1e21, '2', null, true, [3]), fc.double());
const body = fc.oneof(
  { arbitrary: fc.record({ msg: msgValue, w: wValue }, { requiredKeys: [] }).map(jsonText), weight: 4 },
  { arbitrary: fc.json(), weight: 2 },
  { arbitrary: fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))), weight: 1 },
  { arbitrary: fc.nat({ max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`), weight: 1 },
  { arbitrary: fc.nat({ max: 5000 }).map((n) => `{"msg":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'null',
      '{"msg":"a","msg":"b"}',
      '\ufeff{"msg":"bom"}',
      '{"msg":"x","w":1e400}',
      '{"msg":"x","w":123456789012345678901234567890}',
      '{"msg":"\\ud83d"}',
      '{"down":true,"down":false}',
      '{"delayMs":1e999}',
      '{"errorRate":-0}',
      'msg=a&w=1',
    ),
    weight: 2,
  },
).map((text) => Buffer.from(text, 'utf8'));
const invalidUtf8 = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.concat([Buffer.from('{"msg":"'), Buffer.from(bytes), Buffer.from([0xff, 0xc0]), Buffer.from('"}')]));

const rawRequest: fc.Arbitrary<RawRequest> = fc
  .record({
    route: fc.oneof(
      // Every route with every method (most of them wrong for it).
      fc.tuple(fc.constantFrom(...METHODS), path),
      fc.tuple(fc.constantFrom(...METHODS), fc.constantFrom(...ROUTES.map(([, p]) => p.replace('{name}', 's1').replace('{id}', '0')))),
    ),
    query,
    headers,
    body: fc.option(fc.oneof({ arbitrary: body, weight: 5 }, { arbitrary: invalidUtf8, weight: 1 }), { nil: undefined }),
  })
  // A request line carries no spaces or controls: anything else goes percent-encoded, as typed.
  .map(({ route: [method, p], query: q, headers: h, body: b }) => ({
    method,
    path: (p + q).replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c)),
    headers: h,
    ...(b === undefined ? {} : { body: b }),
  }));

/** What a request must get back, whatever it was: < 500, and every 4xx exactly {"error": "<string>"}. */
function checkAnswer(req: RawRequest, res: RawAnswer): void {
  const what = `${req.method} ${req.path.slice(0, 120)} → ${res.status} ${res.text.slice(0, 200)}`;
  expect(res.status, what).toBeGreaterThanOrEqual(200);
  expect(res.status, what).toBeLessThan(500);
  if (res.status < 400 || req.method === 'HEAD') return;
  let parsed: unknown;
  expect(() => (parsed = JSON.parse(res.text)), what).not.toThrow();
  expect(Object.keys(parsed as object), what).toEqual(['error']);
  expect(typeof (parsed as { error: unknown }).error, what).toBe('string');
  expect((parsed as { error: string }).error.length, what).toBeGreaterThan(0);
}

/** After a request that may have changed something: its effects settle (replication, faults back to none). */
async function settle(req: RawRequest, res: RawAnswer): Promise<void> {
  if (req.method === 'PUT' && res.status === 200) {
    const name = /^\/admin\/secondaries\/([^/?]+)\/faults/.exec(req.path)?.[1];
    if (name) await setFaults(decodeURIComponent(name), { down: false, delayMs: 0, errorRate: 0 });
  }
  if (req.method === 'POST' && (res.status === 201 || res.status === 202)) {
    const id = (JSON.parse(res.text) as { id: number }).id;
    await eventually(
      async () => (await scanAll(table('acks'))).filter((a) => a.id === id).length,
      (acks) => acks === 2,
      20_000,
    );
  }
}

describe('HTTP fuzz: any request against the running stack', () => {
  beforeAll(freshSystem, 60_000);

  it('never answers 5xx; every 4xx is {"error": "<string>"} and stores nothing (property)', async () => {
    let before = await snapshotLog();
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(rawRequest, async (req) => {
        // Act
        const res = await send(req);
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);

        // Assert
        checkAnswer(req, res);
        if (res.status >= 400) expect(await snapshotLog(), `${req.method} ${req.path.slice(0, 120)} → ${res.status} changed the log`).toEqual(before);
        else {
          await settle(req, res);
          before = await snapshotLog();
        }
      }),
      { numRuns: 300, endOnFailure: true },
    );
    console.log(`statuses seen: ${[...seen].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    expect([...seen.keys()].some((s) => s >= 400)).toBe(true);
  }, 300_000);

  it.each([
    ['a body of exactly 10 MB (the gateway passes it, the API refuses it)', 10 * 1024 * 1024, 413],
    ['a body one byte over 10 MB (the gateway refuses it)', 10 * 1024 * 1024 + 1, 413],
  ])('POST /append with %s → 413 {"error"}, nothing stored', async (_, size, status) => {
    const before = await snapshotLog();
    const req = { method: 'POST', path: '/append', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(size, 'a') };

    const res = await send(req);

    expect(res.status).toBe(status);
    checkAnswer(req, res);
    expect(await snapshotLog()).toEqual(before);
  });

  it('a header block over 16 KB (a huge Idempotency-Key) → 431 {"error"}', async () => {
    const req = { method: 'POST', path: '/append', headers: { 'idempotency-key': 'k'.repeat(20_000) }, body: Buffer.from('{"msg":"x"}') };

    const res = await send(req);

    expect(res.status).toBe(431);
    checkAnswer(req, res);
  });

  /** Each route's path with each method it does not take (HEAD comes with GET). */
  const wrongMethods = [...new Set(ROUTES.map(([, p]) => p))].flatMap((p) => {
    const taken = ROUTES.filter(([, q]) => q === p).flatMap(([m]) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
    return METHODS.filter((m) => !taken.includes(m)).map((m) => [m, p] as const);
  });

  it.each(wrongMethods)(
    '%s %s (a method the route does not take) → 4xx {"error": "…"}',
    async (method, p) => {
      const req = { method, path: p.replace('{name}', 's1').replace('{id}', '0'), headers: {} };

      const res = await send(req);

      checkAnswer(req, res);
      // Node's HTTP parser refuses a method it does not know before any route is looked up.
      if (method === 'FOO') expect(JSON.parse(res.text)).toEqual({ error: 'malformed HTTP request (HPE_INVALID_METHOD)' });
      else if (method !== 'OPTIONS') {
        expect(res.status).toBe(404);
        if (method !== 'HEAD') expect(JSON.parse(res.text)).toEqual({ error: `no such route: ${method} ${req.path}` });
      }
    },
  );

  it('the API itself still answers as before through the reshaping: a 400 keeps its own words', async () => {
    const res = await api('POST', '/append', { rawBody: '{"msg":' });
    expect(res).toMatchObject({ status: 400, body: { error: 'request body is not valid JSON' } });
  });
});
