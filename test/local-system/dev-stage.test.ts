import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../localstack/stack';
// @ts-expect-error: the template generator is plain CommonJS, without types.
import { API_KEY_ERROR } from '../../scripts/serverless/stack.js';
import { projectRoot } from '../../localstack/definition';
import { eventually } from '../support/api';
import { freePorts } from '../support/local-system';
import { TEST_ENV } from '../support/test-stack';

// A stage other than `local`, run on this machine as `npm start -- --stage dev` does: the same
// template as a deploy, so every route but the page needs the stage's API key (serverless-offline
// enforces `private: true`), with an ack retention short enough to watch acks expire.

const RETENTION_HOURS = 0.002; // 7.2 s
const BIN = fileURLToPath(new URL('../../bin/replog.mjs', import.meta.url));

let stack: Stack;
let key: string;
let dynamo: DynamoDBDocumentClient;
const log: string[] = [];
/** Every key and Idempotency-Key value the tests send: none may show up in the stack's log. */
const secrets = new Set<string>();

beforeAll(async () => {
  stack = await startStack({
    stage: 'dev',
    ...(await freePorts()),
    env: { ...TEST_ENV, REPLOG_WAIT_TIMEOUT_MS: '2000', REPLOG_ACK_RETENTION_HOURS: String(RETENTION_HOURS) },
    log: (line) => log.push(line),
  });
  key = stack.apiKey as string;
  secrets.add(key);
  dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.awsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  writeFileSync(join(projectRoot, 'test-output', 'dev-stack.log'), log.join('\n') + '\n');
}, 60_000);

interface Answer {
  status: number;
  body: Record<string, any>;
  contentType: string | null;
}

async function call(method: string, path: string, options: { key?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.key !== undefined) headers['x-api-key'] = options.key;
  const res = await fetch(stack.apiUrl + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  let body: Record<string, any>;
  try {
    body = JSON.parse(text) as Record<string, any>;
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body, contentType: res.headers.get('content-type') };
}

const keyed = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(method, path, { key, body, headers });

/** Runs `npx replog args…` against the dev stack. */
function replog(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', REPLOG_URL: stack.apiUrl, ...env };
    if (!('REPLOG_API_KEY' in env)) delete childEnv.REPLOG_API_KEY;
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const ROUTES: Array<[string, string, unknown?]> = [
  ['POST', '/append', { msg: 'sent without the key', w: 1 }],
  ['GET', '/list'],
  ['GET', '/secondaries/s1/list'],
  ['GET', '/messages/0/wait?w=1'],
  ['GET', '/health'],
  ['GET', '/view'],
  ['PUT', '/admin/secondaries/s1/faults', { down: true }],
  ['GET', '/admin/secondaries/s1/faults'],
];

describe('a dev stage run locally: the API key', () => {
  it('refuses every route but the page without the key or with a wrong one, and stores nothing', async () => {
    // Arrange: wrong keys of every kind: generated ones, and near misses of the real one.
    const generated = fc.sample(fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 20, maxLength: 60 }), 6);
    const nearMisses = [key.slice(0, -1), `${key}x`, key.toUpperCase() === key ? key.toLowerCase() : key.toUpperCase(), `x${key.slice(1)}`];
    const wrongKeys = [...generated, ...nearMisses].filter((k) => k !== key);
    for (const k of wrongKeys) secrets.add(k);

    // Act + Assert: the same 403 a deployed stage's gateway response gives.
    const refused = { status: 403, body: { error: API_KEY_ERROR } };
    for (const [method, path, body] of ROUTES) {
      expect(await call(method, path, { body }), `${method} ${path} without a key`).toMatchObject(refused);
      for (const wrong of wrongKeys) expect(await call(method, path, { body, key: wrong }), `${method} ${path} with ${wrong}`).toMatchObject(refused);
    }

    // Assert: nothing was stored or changed.
    expect((await keyed('GET', '/list')).body).toEqual({ messages: [] });
    expect((await keyed('GET', '/admin/secondaries/s1/faults')).body).toEqual({ down: false, delayMs: 0, errorRate: 0 });
  }, 60_000);

  it('serves every route with the key, and the page without one', async () => {
    const appended = await keyed('POST', '/append', { msg: 'with the key', w: 3 });
    expect(appended).toMatchObject({ status: 201, body: { msg: 'with the key', w: 3, acks: 3 } });
    for (const [method, path] of ROUTES.filter(([m]) => m === 'GET')) expect((await keyed(method, path)).status, `${method} ${path}`).toBe(200);
    expect((await keyed('PUT', '/admin/secondaries/s1/faults', { delayMs: 0 })).status).toBe(200);
    const page = await call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
  });

  it('the CLI passes REPLOG_API_KEY, and says what to do without it', async () => {
    const [withKey, without] = await Promise.all([replog(['list'], { REPLOG_API_KEY: key }), replog(['list'], {})]);
    expect(withKey).toMatchObject({ code: 0, stderr: '' });
    expect(withKey.stdout).toContain('with the key');
    expect(without).toMatchObject({ code: 4, stdout: '' });
    expect(without.stderr).toMatch(/\(HTTP 403\)[\s\S]*needs its key: pass --api-key KEY or set REPLOG_API_KEY/);
  }, 60_000);
});

describe('a dev stage run locally: retention', () => {
  const acksOf = async (ids: number[]) =>
    ((await dynamo.send(new ScanCommand({ TableName: 'replog-dev-acks', ConsistentRead: true }))).Items ?? []).filter((a) => ids.includes(Number(a.id)));

  /**
   * What DynamoDB's TTL does: deletes the items whose expiresAt has passed. DynamoDB Local sweeps
   * some of them itself, on its own schedule; this deletes the rest, as AWS would within days.
   */
  async function expireAsTtlWould(tableName: string, keyOf: (item: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
    const items = (await dynamo.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
    const nowSeconds = Math.floor(Date.now() / 1000);
    const expired = items.filter((i) => typeof i.expiresAt === 'number' && i.expiresAt <= nowSeconds);
    for (const item of expired) {
      await dynamo.send(new DeleteCommand({ TableName: tableName, Key: keyOf(item), ConditionExpression: 'expiresAt <= :now', ExpressionAttributeValues: { ':now': nowSeconds } }));
    }
  }

  it('answers a wait on an id whose acks expired exactly as before they expired', async () => {
    // Arrange: A held by every node; B held by the master and s1 while s2 is down; C with an Idempotency-Key.
    const a = (await keyed('POST', '/append', { msg: 'A, everywhere', w: 3 })).body.id as number;
    await keyed('PUT', '/admin/secondaries/s2/faults', { down: true });
    const b = (await keyed('POST', '/append', { msg: 'B, not on s2', w: 2 })).body.id as number;
    const idem = `retention-${Date.now()}`;
    secrets.add(idem);
    const c = await keyed('POST', '/append', { msg: 'C', w: 1 }, { 'Idempotency-Key': idem });
    expect((await keyed('POST', '/append', { msg: 'C', w: 1 }, { 'Idempotency-Key': idem })).body.id).toBe(c.body.id);
    const answers = () =>
      Promise.all([
        keyed('GET', `/messages/${a}/wait?w=3`),
        keyed('GET', `/messages/${b}/wait?w=2`),
        keyed('GET', `/messages/${b}/wait?w=3`),
      ]).then((all) => all.map(({ status, body }) => ({ status, body })));
    const before = await answers();
    expect(before).toEqual([
      { status: 200, body: { id: a, w: 3, acks: 3 } },
      { status: 200, body: { id: b, w: 2, acks: 2 } },
      { status: 202, body: { id: b, w: 3, acks: 2, status: 'pending', wait: `/messages/${b}/wait?w=3` } },
    ]);
    const acks = await acksOf([a, b]);
    expect(acks.map((x) => `${x.id}:${x.node}`).sort()).toEqual([`${a}:s1`, `${a}:s2`, `${b}:s1`].sort());
    for (const ack of acks) expect(Number(ack.expiresAt) * 1000 - Number(ack.at)).toBeGreaterThanOrEqual(RETENTION_HOURS * 3_600_000);

    // Act: wait until the acks and the key are past their retention, and delete them as TTL would.
    const keyRecord = async () => (await dynamo.send(new GetCommand({ TableName: 'replog-dev-control', Key: { pk: `idem#${idem}` }, ConsistentRead: true }))).Item;
    const expiry = Math.max(...[...acks, await keyRecord()].map((x) => Number(x?.expiresAt) * 1000));
    expect(expiry).toBeLessThan(Date.now() + RETENTION_HOURS * 3_600_000 + 1000);
    await eventually(async () => Date.now(), (now) => now >= expiry, 20_000);
    await expireAsTtlWould('replog-dev-acks', (i) => ({ id: i.id, node: i.node }));
    await expireAsTtlWould('replog-dev-control', (i) => ({ pk: i.pk }));
    expect(await acksOf([a, b])).toEqual([]);
    expect(await keyRecord()).toBeUndefined();

    // Assert: the same answers, from the secondaries' applied prefixes.
    expect(await answers()).toEqual(before);
    // The key is forgotten with its retention: the same request now appends anew.
    const again = await keyed('POST', '/append', { msg: 'C', w: 1 }, { 'Idempotency-Key': idem });
    expect(again.status).toBe(201);
    expect(again.body.id).toBeGreaterThan(c.body.id);

    // Act: s2 comes back; catch-up copies B to it with a fresh ack.
    await keyed('PUT', '/admin/secondaries/s2/faults', { down: false });

    // Assert
    const caughtUp = await eventually(() => keyed('GET', `/messages/${b}/wait?w=3`), (r) => r.status === 200, 30_000);
    expect(caughtUp).toMatchObject({ status: 200, body: { id: b, w: 3, acks: 3 } });
  }, 90_000);
});

describe('a dev stage run locally: logs', () => {
  it('never carry an API key or an Idempotency-Key value', () => {
    expect(log.length).toBeGreaterThan(20);
    const text = log.join('\n');
    expect(text).toContain('"message":"appended"');
    for (const secret of secrets) expect(text.includes(secret), `the log shows ${secret}`).toBe(false);
  });
});
