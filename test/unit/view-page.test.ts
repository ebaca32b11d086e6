import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

// The page functions/web.ts serves, built the way serverless-esbuild builds it (web/esbuild-plugin.js).
const require = createRequire(import.meta.url);
const { buildPage } = require('../../web/esbuild-plugin.js') as {
  buildPage: (build: typeof esbuild) => Promise<{ html: string; contentSecurityPolicy: string }>;
};

const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const between = (html: string, open: string, close: string) => {
  const start = html.indexOf(open) + open.length;
  return html.slice(start, html.indexOf(close, start));
};

describe('the built web page', () => {
  let html: string;
  let csp: string;

  beforeAll(async () => {
    ({ html, contentSecurityPolicy: csp } = await buildPage(esbuild));
  });

  it('inlines the bundled script and the style, and allows exactly them by hash', () => {
    const script = between(html, '<script>', '</script>');
    const style = between(html, '<style>', '</style>');
    expect(script.length).toBeGreaterThan(1000);
    expect(script).not.toMatch(/\bimport\b.*\bfrom\b|\brequire\(/);
    expect(style).toContain('.entry');
    expect(html).not.toContain('/* script */');
    expect(html).not.toContain('/* style */');
    expect(csp).toContain(`script-src ${hashOf(script)}`);
    expect(csp).toContain(`style-src ${hashOf(style)}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
  });

  it('labels every form control and announces the append status politely', () => {
    for (const id of ['msg', 'w']) expect(html).toMatch(new RegExp(`<label for="${id}">[^<]+</label>`));
    expect(html).toMatch(/id="append-status"[^>]*aria-live="polite"/);
    expect(html).toContain('<html lang="en">');
  });
});
