'use strict';
// An esbuild plugin for serverless-esbuild (serverless.yml: custom.esbuild.plugins). When a
// function imports web/page.ts, the module is replaced by the built page: web/app.ts bundled for
// the browser by this project's esbuild, inlined with web/style.css into web/index.html, plus a
// Content-Security-Policy that allows exactly that script and style. Nothing is written to disk.

const { createHash } = require('node:crypto');
const { readFile } = require('node:fs/promises');
const path = require('node:path');

const WEB = __dirname;
const PAGE_MODULE = path.join(WEB, 'page.ts');
const APP = path.join(WEB, 'app.ts');
const TEMPLATE = path.join(WEB, 'index.html');
const STYLE = path.join(WEB, 'style.css');

const sha256 = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Replaces the one marker comment in the template (a function, so "$" in the code is literal). */
function fill(template, marker, content) {
  const at = template.indexOf(marker);
  if (at < 0 || template.indexOf(marker, at + 1) >= 0) throw new Error(`web/index.html must contain ${marker} exactly once`);
  return template.slice(0, at) + content + template.slice(at + marker.length);
}

/** Builds the page with the esbuild that is bundling the function (`build.esbuild`). */
async function buildPage(esbuild) {
  const out = await esbuild.build({
    entryPoints: [APP],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari16'],
    minify: true,
    legalComments: 'none',
    tsconfig: path.join(WEB, 'tsconfig.json'),
    logLevel: 'silent',
  });
  const script = out.outputFiles[0].text.trim();
  const style = (await readFile(STYLE, 'utf8')).trim();
  if (/<\/script/i.test(script)) throw new Error('the bundled web/app.ts contains "</script"; it cannot be inlined');
  if (/<\/style/i.test(style)) throw new Error('web/style.css contains "</style"; it cannot be inlined');
  const template = await readFile(TEMPLATE, 'utf8');
  const html = fill(fill(template, '/* style */', style), '/* script */', script);
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}

const webPagePlugin = {
  name: 'replog-web-page',
  setup(build) {
    build.onLoad({ filter: /[\\/]web[\\/]page\.ts$/ }, async (args) => {
      if (path.resolve(args.path) !== PAGE_MODULE) return undefined;
      const page = await buildPage(build.esbuild);
      return {
        contents: `export const page = ${JSON.stringify(page)};\n`,
        loader: 'js',
        watchFiles: [APP, TEMPLATE, STYLE],
      };
    });
  },
};

module.exports = [webPagePlugin];
module.exports.buildPage = buildPage;
