import { beforeAll, describe, expect, it } from 'vitest';
import { api } from '../support/api';
import { resetLog, snapshotLog as snapshot } from '../support/aws';
import { TEST_ENV } from '../support/test-stack';

const LIMIT = Number(TEST_ENV.REPLOG_MAX_MSG_BYTES);
const big = 'x'.repeat(LIMIT + 1);
const BAD_APPENDS: Array<[string, { rawBody?: string; body?: unknown; headers?: Record<string, string> }, number, RegExp]> = [
  ['no body', { rawBody: '' }, 400, /body is required/],
  ['body not JSON', { rawBody: '{"msg": "a"' }, 400, /not valid JSON/],
  ['body an array', { body: ['msg'] }, 400, /JSON object/],
  // serverless-offline hands `null` and a JSON string to the function already decoded (API
  // Gateway passes them raw), so locally these two read as a missing or non-JSON body.
  ['body null', { rawBody: 'null' }, 400, /JSON object|body is required/],
  ['body a string', { body: 'hello' }, 400, /JSON object|not valid JSON/],
  ['body a number', { rawBody: '42' }, 400, /JSON object/],
  ['body a boolean', { rawBody: 'true' }, 400, /JSON object/],
  ['msg missing', { body: { w: 1 } }, 400, /msg must be a non-empty string/],
  ['msg a number', { body: { msg: 42 } }, 400, /msg must be a non-empty string/],
  ['msg empty', { body: { msg: '' } }, 400, /msg must be a non-empty string/],
  ['w a string', { body: { msg: 'a', w: '2' } }, 400, /w must be an integer from 1 to 3/],
  ['w fractional', { body: { msg: 'a', w: 1.5 } }, 400, /w must be an integer/],
  ['w zero', { body: { msg: 'a', w: 0 } }, 400, /w must be an integer/],
  ['w above N+1', { body: { msg: 'a', w: 4 } }, 400, /w must be an integer/],
  ['unknown field', { body: { msg: 'a', ttl: 5 } }, 400, /unknown field "ttl"/],
  ['msg over the limit', { body: { msg: big } }, 413, new RegExp(`${LIMIT + 1} bytes`)],
  ['multi-byte msg over the limit', { body: { msg: 'é'.repeat(LIMIT / 2 + 1) } }, 413, new RegExp(`${LIMIT + 2} bytes`)],
  ['body far over the limit', { rawBody: JSON.stringify({ msg: 'x'.repeat(LIMIT * 6 + 2048) }) }, 413, /too large/],
  ['Idempotency-Key too long', { body: { msg: 'a' }, headers: { 'Idempotency-Key': 'k'.repeat(256) } }, 400, /Idempotency-Key/],
];

describe('bad input', () => {
  beforeAll(resetLog);

  it.each(BAD_APPENDS)('POST /append with %s is refused and stores nothing', async (_, request, status, error) => {
    // Prepare
    const before = await snapshot();

    // Act
    const res = await api('POST', '/append', request);

    // Assert
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(error);
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['/secondaries/s9/list', 404, /no secondary named "s9"/],
    ['/list?limit=0', 400, /limit must be an integer from 1 to 1000/],
    ['/list?limit=abc', 400, /limit must be an integer/],
    ['/list?after=-5', 400, /after must be an integer/],
    ['/secondaries/s1/list?after=x', 400, /after must be an integer/],
    ['/messages/999999/wait', 404, /no message with id 999999/],
    ['/messages/abc/wait', 400, /message id must be an integer/],
    ['/messages/0/wait?w=9', 400, /w must be an integer from 1 to 3/],
    ['/messages/0/wait?w=two', 400, /w must be an integer/],
  ])('GET %s → %i', async (path, status, error) => {
    await api('POST', '/append', { body: { msg: 'so that id 0 exists' } });
    const res = await api('GET', path);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatch(error);
  });

  it.each([
    [{ down: 'yes' }, /down must be true or false/],
    [{ delayMs: -1 }, /delayMs must be an integer/],
    [{ errorRate: 2 }, /errorRate must be a number from 0 to 1/],
    [{ crash: true }, /unknown field "crash"/],
    [[true], /JSON object/],
  ])('PUT faults %j → 400', async (body, error) => {
    const res = await api('PUT', '/admin/secondaries/s1/faults', { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(error);
    expect((await api('GET', '/admin/secondaries/s1/faults')).body).toEqual({ down: false, delayMs: 0, errorRate: 0 });
  });

  it('PUT faults on an unknown secondary → 404', async () => {
    expect((await api('PUT', '/admin/secondaries/nope/faults', { body: { down: true } })).status).toBe(404);
  });
});
