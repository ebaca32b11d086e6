#!/usr/bin/env node
// `npx replog …`: runs the TypeScript CLI in cli/ through tsx's API (a devDependency), so there is no build step.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let register;
try {
  ({ register } = require('tsx/cjs/api'));
} catch {
  process.stderr.write('replog: tsx is not installed; run `npm ci` in the replog checkout first\n');
  process.exit(1);
}
// The CommonJS hook only (no ESM loader thread), registered globally so tsx's transform cache is reused.
register();
await require('../cli/replog.ts').main(process.argv);
