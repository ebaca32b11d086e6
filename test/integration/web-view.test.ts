import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { View } from '../../lib/view-model';
import { projectRoot } from '../../localstack/definition';
import { api, apiUrl, eventually } from '../support/api';
import { resetLog, takeIdWithoutWriting } from '../support/aws';
import { healAll, setFaults } from '../support/faults';

// Debian's chromium, driven by playwright-core (no browser download); REPLOG_CHROMIUM overrides.
const CHROMIUM = process.env.REPLOG_CHROMIUM ?? '/usr/bin/chromium';
const OUT = join(projectRoot, 'test-output');

const view = async (tail?: number) => {
  const res = await api<View>('GET', tail === undefined ? '/view' : `/view?tail=${tail}`);
  expect(res.status).toBe(200);
  return res.body;
};
const node = (v: View, name: string) => {
  const found = v.nodes.find((n) => n.name === name);
  if (!found) throw new Error(`no node ${name} in ${JSON.stringify(v.nodes.map((n) => n.name))}`);
  return found;
};

describe('GET /view', () => {
  beforeAll(async () => {
    await resetLog();
    await healAll();
  });
  afterAll(() => healAll());

  it('refuses a tail outside 1..200 with a 400 that says so', async () => {
    for (const tail of ['0', '201', '-1', '1.5', 'abc', '']) {
      const res = await api<{ error: string }>('GET', `/view?tail=${encodeURIComponent(tail)}`);
      expect(res.status, `tail=${tail}`).toBe(400);
      expect(res.body.error).toMatch(/tail must be an integer from 1 to 200/);
    }
    expect((await view(200)).tail).toBe(200);
    expect((await view()).tail).toBe(50);
  });

  it('shows every node: its prefix, its last held entries (held beyond the prefix marked), and health', async () => {
    // Arrange: a message everywhere, then an append that died (a hole) and one after it.
    const first = await api<{ id: number }>('POST', '/append', { body: { msg: 'view: first', w: 3 } });
    const hole = await takeIdWithoutWriting();
    const after = await api<{ id: number }>('POST', '/append', { body: { msg: 'view: after the hole', w: 3 } });
    expect(after.status).toBe(201);

    // Act
    const v = await view();

    // Assert: every node holds the entry after the hole, and none shows it as visible yet.
    expect(v.nodes.map((n) => [n.name, n.role])).toEqual([
      ['master', 'master'],
      ['s1', 'secondary'],
      ['s2', 'secondary'],
    ]);
    expect(Object.keys(v.health.secondaries)).toEqual(['s1', 's2']);
    expect(v.health.quorum).toEqual({ required: 2, available: 3 });
    for (const n of v.nodes) {
      expect(n.applied, n.name).toBe(first.body.id);
      expect(n.entries, n.name).toEqual([
        { id: first.body.id, msg: 'view: first', visible: true },
        { id: after.body.id, msg: 'view: after the hole', visible: false },
      ]);
    }
    expect(node(v, 's1').faults).toEqual({ down: false, delayMs: 0, errorRate: 0 });
    expect(node(v, 'master').faults).toBeUndefined();

    // Assert: once the repair fills the hole with a no-op, the entry is visible and the no-op hidden.
    const filled = await eventually(view, (x) => x.nodes.every((n) => n.applied >= after.body.id), 20_000);
    for (const n of filled.nodes) {
      expect(n.entries.map((e) => [e.id, e.visible]), n.name).toEqual([
        [first.body.id, true],
        [after.body.id, true],
      ]);
      expect(n.entries.some((e) => e.id === hole)).toBe(false);
    }
  }, 40_000);

  it("still reads a down secondary's entries, and keeps only the last `tail`", async () => {
    await setFaults('s2', { down: true });
    const appended: number[] = [];
    for (let i = 0; i < 3; i++) appended.push((await api<{ id: number }>('POST', '/append', { body: { msg: `tail ${i}`, w: 2 } })).body.id);
    expect((await api('GET', '/secondaries/s2/list')).status).toBe(503);

    const v = await view(2);
    expect(node(v, 'master').entries.map((e) => e.id)).toEqual(appended.slice(-2));
    const s2 = node(v, 's2');
    expect(s2.faults?.down).toBe(true);
    expect(s2.entries.length).toBeGreaterThan(0);
    expect(s2.entries.every((e) => e.visible && !appended.includes(e.id))).toBe(true);
    await setFaults('s2', { down: false });
  }, 30_000);
});

describe('GET /', () => {
  it('serves the page as HTML with a strict content security policy', async () => {
    const res = await fetch(`${apiUrl()}/`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'sha256-[^']+'/);
    expect(html).toContain('<h1>replog');
  });
});

/** The API key the page keeps in its tab's sessionStorage (read in the page). */
const storedKey = (p: Page) =>
  p.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('replog.apiKey'));

describe.skipIf(!existsSync(CHROMIUM))(`the live web view in a browser (${CHROMIUM})`, () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    await resetLog();
    await healAll();
    mkdirSync(OUT, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    // Script errors and CSP violations surface as these.
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await healAll();
  });

  const column = (name: string) => page.locator(`[data-node="${name}"]`);
  const visibleEntry = (name: string, msg: string) => column(name).locator('.entry.visible', { hasText: msg });
  const badgeText = async (name: string) => (await column(name).locator('.badge').textContent())?.trim() ?? '';
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await page.waitForTimeout(100);
    }
  };
  const press = async (button: Locator) => {
    // Keyboard-operable: focus the control and press Enter, as a keyboard user would.
    await button.focus();
    await page.keyboard.press('Enter');
  };

  it('appends through the form, shows the entry on every node, and downs and brings back a secondary', async () => {
    await page.goto(`${apiUrl()}/`);

    // The columns, headed by health, appear with the first poll.
    for (const name of ['master', 's1', 's2']) await column(name).waitFor({ timeout: 5000 });
    await until('s1 and s2 Healthy', async () => (await badgeText('s1')).endsWith('Healthy') && (await badgeText('s2')).endsWith('Healthy'), 15_000);
    expect(await badgeText('master')).toMatch(/Writable$/);
    expect(await page.locator('#readonly').isHidden()).toBe(true);
    expect(await page.getByLabel('Write concern (w)').locator('option').allTextContents()).toEqual(['1 — master only', '2 — master + 1 secondary', '3 — every node']);

    // Act: append with w=1 through the labelled form, submitted with the keyboard.
    const msg = `from the page ${Date.now()}`;
    await page.getByLabel('Write concern (w)').selectOption('1');
    await page.getByLabel('Message', { exact: true }).fill(msg);
    await page.getByLabel('Message', { exact: true }).press('Enter');

    // Assert: pending, then 201 with its latency, in the live status region.
    const status = page.locator('#append-status[aria-live="polite"]');
    await until('the 201', async () => /201 stored as #\d+, held by \d+ nodes? \(w=1\), in \d+ ms/.test((await status.textContent()) ?? ''), 10_000);
    expect(await page.locator('.request.state-done', { hasText: msg }).count()).toBe(1);

    // Assert: the entry on the master, then on every secondary.
    await visibleEntry('master', msg).waitFor({ timeout: 3000 });
    for (const name of ['s1', 's2']) await visibleEntry(name, msg).waitFor({ timeout: 5000 });

    // Act: take s1 down through its control.
    await column('s1').getByRole('button', { name: 'Take s1 down' }).waitFor({ timeout: 5000 });
    await press(column('s1').getByRole('button', { name: 'Take s1 down' }));
    await column('s1').getByRole('button', { name: 'Bring s1 up' }).waitFor({ timeout: 5000 });
    await column('s1').locator('.down-tag', { hasText: 'Down (fault injected)' }).waitFor({ timeout: 3000 });
    expect((await api<{ down: boolean }>('GET', '/admin/secondaries/s1/faults')).body.down).toBe(true);

    // Assert: s1's status says so in words (Suspected, then Unhealthy).
    await until('s1 Suspected or Unhealthy', async () => /(Suspected|Unhealthy)$/.test(await badgeText('s1')), 15_000);
    const whileDown = `while s1 is down ${Date.now()}`;
    await page.getByLabel('Message', { exact: true }).fill(whileDown);
    await page.getByRole('button', { name: 'Append' }).click();
    await visibleEntry('s2', whileDown).waitFor({ timeout: 5000 });
    expect(await visibleEntry('s1', whileDown).count()).toBe(0);
    await until('s1 Unhealthy', async () => (await badgeText('s1')).endsWith('Unhealthy'), 15_000);
    await page.screenshot({ path: join(OUT, 'web-view-down.png'), fullPage: true });

    // Act: bring it back; it turns Healthy and catches up.
    await press(column('s1').getByRole('button', { name: 'Bring s1 up' }));
    await until('s1 Healthy again', async () => (await badgeText('s1')).endsWith('Healthy'), 15_000);
    await visibleEntry('s1', whileDown).waitFor({ timeout: 5000 });
    expect(await column('s1').locator('.down-tag').isHidden()).toBe(true);

    await page.screenshot({ path: join(OUT, 'web-view.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 90_000);

  it('greys an entry held beyond a hole, then shows it once the hole is filled', async () => {
    // The hole is filled once REPLOG_HOLE_GRACE_MS (1.5 s here) has passed and the page polls every
    // 0.4 s, so it normally sees the held state at once; a very slow poll may miss it: try again.
    let seen = false;
    for (let attempt = 1; attempt <= 3 && !seen; attempt++) {
      // A freshly opened page polls fast; one left idle checks only every few seconds.
      await page.reload();
      await column('master').waitFor({ timeout: 5000 });
      const hole = await takeIdWithoutWriting();
      const msg = `after a hole ${Date.now()}`;
      const res = await api<{ id: number }>('POST', '/append', { body: { msg, w: 3 } });
      expect(res.body.id).toBe(hole + 1);
      // Read the master column until it shows the entry held; assert on that one reading.
      const held = new RegExp(`#${res.body.id}\\s+${msg}\\s+held, not yet visible`);
      let text = '';
      for (const deadline = Date.now() + 3000; Date.now() < deadline && !held.test(text); await page.waitForTimeout(50)) {
        text = await column('master').innerText();
      }
      if (!held.test(text)) continue;
      seen = true;
      expect(text).toContain(`#${hole} not held yet — later entries wait for it`);
      await page.screenshot({ path: join(OUT, 'web-view-held.png'), fullPage: true });
      for (const name of ['master', 's1', 's2']) await visibleEntry(name, msg).waitFor({ timeout: 15_000 });
    }
    expect(seen).toBe(true);
    expect(problems).toEqual([]);
  }, 60_000);

  it('polls fast while something changes, backs off to several seconds when idle, and not at all while hidden', async () => {
    // Arrange: a fresh page on a quiet system, with every poll of /view timed.
    const polls: number[] = [];
    const other = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    const scriptErrors: string[] = [];
    other.on('pageerror', (err) => scriptErrors.push(err.message));
    other.on('request', (r) => {
      if (new URL(r.url()).pathname === '/view') polls.push(Date.now());
    });
    const gapsSince = (from: number) => polls.filter((t) => t >= from).map((t, i, a) => (i === 0 ? 0 : t - a[i - 1]!)).slice(1);
    // What the browser does when the tab goes to the background or comes back (run in the page).
    const setHidden = (hidden: boolean) =>
      other.evaluate((h) => {
        const doc = (globalThis as unknown as { document: EventTarget }).document;
        Object.defineProperty(doc, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
        doc.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    try {
      await other.goto(`${apiUrl()}/`);
      await other.locator('[data-node="master"]').waitFor({ timeout: 5000 });

      // Act + Assert: with nothing changing, the page slows down to one poll every several seconds.
      const cadence = other.locator('#cadence');
      await cadence.filter({ hasText: 'Nothing is changing: checking every 5.0 s.' }).waitFor({ timeout: 20_000 });
      const idleFrom = Date.now();
      await other.waitForTimeout(11_000);
      const idleGaps = gapsSince(idleFrom);
      expect(idleGaps.length).toBeGreaterThanOrEqual(1);
      for (const gap of idleGaps) expect(gap).toBeGreaterThan(4000);

      // Act + Assert: hidden, it does not poll at all.
      await setHidden(true);
      expect(await cadence.textContent()).toBe('Paused while this tab is hidden.');
      const hiddenFrom = Date.now();
      await other.waitForTimeout(6000);
      expect(polls.filter((t) => t > hiddenFrom + 200)).toEqual([]);

      // Act + Assert: shown again, it looks at once; an append from the page makes it poll fast.
      const shownAt = Date.now();
      await setHidden(false);
      await until('a poll after the tab is shown', async () => polls.some((t) => t >= shownAt), 2000);
      const appendFrom = Date.now();
      await other.getByLabel('Write concern (w)').selectOption('3');
      await other.getByLabel('Message', { exact: true }).fill(`cadence ${Date.now()}`);
      await other.getByRole('button', { name: 'Append' }).click();
      await other.locator('.request.state-done').first().waitFor({ timeout: 10_000 });
      await other.waitForTimeout(1200);
      const busyGaps = gapsSince(appendFrom);
      expect(busyGaps.length).toBeGreaterThanOrEqual(2);
      expect(Math.min(...busyGaps)).toBeLessThan(1000);
      expect(scriptErrors).toEqual([]);
    } finally {
      await other.close();
    }
  }, 60_000);

  it('asks for the API key once (a stage that needs one), keeps it for the tab, and says when it is refused', async () => {
    // Arrange: the local stage needs no key; this page sees it as a deployed stage does (x-api-key
    // required on every call but the page itself).
    const KEY = 'page-test-key-0123456789abcdef';
    const other = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    // The browser itself reports each 403 on the console, as it would on a deployed stage; script errors are what count.
    const scriptErrors: string[] = [];
    other.on('pageerror', (err) => scriptErrors.push(err.message));
    const sent: Array<string | undefined> = [];
    await other.route(/\/(view|append|admin)\b/, async (route) => {
      const key = await route.request().headerValue('x-api-key');
      sent.push(key ?? undefined);
      if (key !== KEY) {
        await route.fulfill({ status: 403, contentType: 'application/json', body: '{"error": "this API needs its key in the x-api-key header; the key sent is missing or not valid"}' });
        return;
      }
      await route.continue();
    });
    try {
      // Act: open the page without a key.
      await other.goto(`${apiUrl()}/`);

      // Assert: it asks for the key, with the reason, and shows no data meanwhile.
      const form = other.getByRole('form', { name: 'API key' });
      await form.waitFor({ timeout: 5000 });
      await other.getByText('This stage needs its API key for every call.').waitFor({ timeout: 5000 });
      expect(await other.locator('[data-node]').count()).toBe(0);
      expect(await other.locator('#cadence').textContent()).toBe('Paused until the API key is entered.');

      // Act: a key too short to be one, then a wrong key.
      const input = other.getByLabel('Key of this stage (x-api-key)');
      await input.fill('short');
      await input.press('Enter');
      await other.getByText(/20 to 128 characters/).waitFor({ timeout: 2000 });
      await input.fill('a-wrong-key-of-another-stage');
      await input.press('Enter');
      await other.getByText(/The API refused this key \(403: this API needs its key/).waitFor({ timeout: 5000 });
      expect(await form.isVisible()).toBe(true);
      expect(await storedKey(other)).toBeNull();
      await other.screenshot({ path: join(OUT, 'web-view-key-refused.png') });

      // Act: the right key.
      await input.fill(KEY);
      await other.getByRole('button', { name: 'Use this key' }).click();

      // Assert: the view comes, every call carries the key, and it is kept for this tab only.
      await other.locator('[data-node="master"]').waitFor({ timeout: 5000 });
      expect(await form.isHidden()).toBe(true);
      const afterKey = sent.length;
      await other.reload();
      await other.locator('[data-node="s1"]').waitFor({ timeout: 5000 });
      expect(await form.isHidden()).toBe(true);
      await until('a few keyed calls', async () => sent.length > afterKey + 1, 5000);
      expect(sent.slice(afterKey).every((k) => k === KEY)).toBe(true);
      expect(await storedKey(other)).toBe(KEY);
      await other.screenshot({ path: join(OUT, 'web-view-key.png'), fullPage: true });
      expect(scriptErrors).toEqual([]);
    } finally {
      await other.unrouteAll({ behavior: 'ignoreErrors' });
      await other.close();
    }
  }, 60_000);

  it('hides the fault controls where the fault API answers 404, and shows the read-only banner without a quorum', async () => {
    // Arrange: a second page that sees the stage as prod does (no /admin) and a /view without a quorum.
    const other = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    try {
      await other.route('**/admin/**', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error": "no such route"}' }));
      await other.route('**/view?*', async (route) => {
        try {
          const real = await route.fetch();
          const body = (await real.json()) as View;
          body.health = { ...body.health, readOnly: true, quorum: { required: 2, available: 1 } };
          await route.fulfill({ response: real, json: body });
        } catch {
          // The page closed while this poll was in flight; the assertions below never depend on it.
        }
      });

      // Act
      await other.goto(`${apiUrl()}/`);

      // Assert
      const banner = other.getByRole('alert');
      await banner.filter({ hasText: 'Read-only: no quorum. 1 of 2 required nodes are available' }).waitFor({ timeout: 5000 });
      await other.getByText('Fault injection is not available on this stage.').waitFor({ timeout: 5000 });
      expect(await other.locator('[data-node="master"] .badge').textContent()).toMatch(/Read-only$/);
      expect(await other.getByRole('button', { name: /Take s\d down/ }).count()).toBe(0);
      expect(await other.locator('form.faults:visible').count()).toBe(0);
    } finally {
      // The page polls /view every 0.4 s: a poll in flight when the page closes must not fail the run.
      await other.unrouteAll({ behavior: 'ignoreErrors' });
      await other.close();
    }
  }, 30_000);
});
