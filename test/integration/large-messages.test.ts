import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES, proxyResultBytes } from '../../lib/response-size';
import type { View } from '../../lib/view-model';
import { api, apiUrl, type Listed } from '../support/api';
import { freshSystem } from '../support/faults';
import { TEST_ENV } from '../support/test-stack';

// api.md: every list is complete whatever the message size. DynamoDB answers at most 1 MB per
// Query and a Lambda response may be at most 6 MB (its body JSON-encoded twice on the way), so
// pages are read to the end and cut by bytes, with `next` whenever more entries follow.

const LIMIT = Number(TEST_ENV.REPLOG_MAX_MSG_BYTES);
const KB60 = 60 * 1024;
const PATHS = ['/list', '/secondaries/s1/list', '/secondaries/s2/list'];
const BIN = fileURLToPath(new URL('../../bin/replog.mjs', import.meta.url));

/**
 * `bytes` of text built from `unit`, after a tag naming it: escape-heavy units (a control is 7
 * bytes in the response, a quote 4) make the responses far larger than the messages.
 */
function message(tag: string, unit: string, bytes: number): string {
  const head = `${tag} `;
  const room = bytes - Buffer.byteLength(head);
  const units = Math.floor(room / Buffer.byteLength(unit));
  return head + unit.repeat(units) + 'x'.repeat(room - units * Buffer.byteLength(unit));
}

const UNITS = ['\u0001', '"', '😀', 'é', 'x'];
const sent: Array<{ id: number; msg: string }> = [];

async function append(msg: string): Promise<void> {
  const res = await api('POST', '/append', { body: { msg, w: 3 } });
  expect(res.status, JSON.stringify(res.body).slice(0, 200)).toBe(201);
  expect(res.body.msg).toBe(msg);
  sent.push({ id: res.body.id as number, msg });
}

/** Every page of a list by `next`, with the size each response would have on AWS. */
async function pageThrough(path: string, limit?: number): Promise<{ messages: Listed['messages']; pageBytes: number[] }> {
  const messages: Listed['messages'] = [];
  const pageBytes: number[] = [];
  let after: number | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const query = new URLSearchParams({ ...(after === undefined ? {} : { after: String(after) }), ...(limit ? { limit: String(limit) } : {}) });
    const res = await api<Listed>('GET', `${path}?${query}`);
    expect(res.status).toBe(200);
    pageBytes.push(proxyResultBytes(res.body));
    messages.push(...res.body.messages);
    if (res.body.next === undefined) break;
    expect(res.body.next).toBe(res.body.messages.at(-1)?.id);
    after = res.body.next;
  }
  return { messages, pageBytes };
}

describe('lists of large messages', () => {
  beforeAll(async () => {
    await freshSystem();
    // 40 messages of 60 KB, most of them escape-heavy, then 8 at the largest allowed size.
    for (let i = 0; i < 40; i++) await append(message(`#${i}`, UNITS[i % UNITS.length] as string, KB60));
    for (let i = 0; i < 8; i++) await append(message(`big #${i}`, i % 2 === 0 ? '\u0001' : '😀', LIMIT));
  }, 120_000);

  it.each(PATHS)('%s pages by next to every message, each page under 6 MB as AWS would send it', async (path) => {
    // Act
    const { messages, pageBytes } = await pageThrough(path);

    // Assert
    expect(messages).toEqual(sent);
    expect(pageBytes.length).toBeGreaterThan(1);
    for (const bytes of pageBytes) expect(bytes).toBeLessThan(MAX_RESPONSE_BYTES);
    console.log(`${path}: ${sent.length} messages in ${pageBytes.length} pages of ${pageBytes.map((b) => (b / 1024 / 1024).toFixed(2)).join(', ')} MB`);
  });

  it('pages the same with a small limit: count and bytes cut together', async () => {
    const { messages, pageBytes } = await pageThrough('/list', 7);

    expect(messages).toEqual(sent);
    expect(pageBytes.length).toBeGreaterThanOrEqual(Math.ceil(sent.length / 7));
  });

  it('reports every secondary fully applied in /health: the prefix scan does not stop at 1 MB', async () => {
    const res = await api<{ secondaries: Record<string, { applied: number; lag: number }> }>('GET', '/health');

    const last = sent.at(-1)?.id;
    expect(res.body.secondaries.s1).toMatchObject({ applied: last, lag: 0 });
    expect(res.body.secondaries.s2).toMatchObject({ applied: last, lag: 0 });
  });

  it('/view stays under 6 MB: each node shows its newest entries that fit and says the rest were left out', async () => {
    // Act
    const res = await api<View>('GET', '/view?tail=200');

    // Assert
    expect(res.status).toBe(200);
    expect(proxyResultBytes(res.body, { 'content-type': 'application/json', 'cache-control': 'no-store' })).toBeLessThan(MAX_RESPONSE_BYTES);
    for (const node of res.body.nodes) {
      expect(node.truncated, node.name).toBe(true);
      expect(node.entries.length, node.name).toBeGreaterThan(0);
      const shown = node.entries.map(({ id, msg }) => ({ id, msg }));
      expect(shown, node.name).toEqual(sent.slice(-shown.length));
    }
  });

  it('replog list --follow prints every message, page after page', async () => {
    // Act: follow the master list as JSON (one line per page) until every id has been printed.
    const child = spawn(process.execPath, [BIN, 'list', '--follow', '--json', '--url', apiUrl()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const printed = await new Promise<Listed['messages']>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`--follow printed only: ${out.slice(0, 500)}`)), 30_000);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        // Whole lines only: a chunk may end inside one.
        const lines = out.split('\n').slice(0, -1).filter((l) => l.trim() !== '');
        const messages = lines.flatMap((l) => (JSON.parse(l) as Listed).messages);
        if (messages.length >= sent.length) {
          clearTimeout(timer);
          resolve(messages);
        }
      });
    }).finally(async () => {
      const exited = once(child, 'exit');
      child.kill();
      await exited;
    });

    // Assert
    expect(printed).toEqual(sent);
  }, 40_000);
});
