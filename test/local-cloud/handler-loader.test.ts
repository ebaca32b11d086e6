import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HandlerLoader } from '../../localstack/handler-loader';
import { eventually } from '../support/api';

const require = createRequire(import.meta.url);
// What the plugin's entry (localstack/serverless-plugin.js) does in serverless-offline's process.
(require('tsx/cjs/api') as { register(): void }).register();

// A throwaway service folder with a handler that reads a lib/ module, loaded the way
// serverless-offline loads it: require(<location>/<handler path>.js).
describe('HandlerLoader: functions from their sources, reloaded on edits', () => {
  let root: string;
  let loader: HandlerLoader;

  const write = (file: string, text: string) => {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  const invoke = (location: string): string => (require(join(root, location, 'functions', 'hello.js')) as { handler(): string }).handler();

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'replog-loader-'));
    write('lib/greeting.ts', "export const greeting: string = 'hello';\n");
    write('functions/hello.ts', "import { greeting } from '../lib/greeting';\nexport const handler = (): string => greeting;\n");
    write('web/page.ts', "export const page = (() => { throw new Error('not built'); })();\n");
    loader = new HandlerLoader(root);
  });

  afterEach(() => {
    loader.close();
    loader.forgetModules();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes one shim per handler file that requires the TypeScript source', () => {
    const location = loader.writeShims(['functions/hello.handler', 'functions/hello.handler']);

    expect(location).toBe(join('.replog', 'handlers'));
    expect(readFileSync(join(root, location, 'functions', 'hello.js'), 'utf8')).toBe(`module.exports = require(${JSON.stringify(join(root, 'functions', 'hello.ts'))});\n`);
    expect(invoke(location)).toBe('hello');
  });

  it('loads the edited code after a change under lib/, without a restart', async () => {
    // Prepare
    const location = loader.writeShims(['functions/hello.handler']);
    const reloads: string[][] = [];
    loader.watch((changed) => void reloads.push(changed), 20);
    expect(invoke(location)).toBe('hello');

    // Act
    write('lib/greeting.ts', "export const greeting: string = 'edited';\n");

    // Assert
    const seen = await eventually(async () => reloads.flat(), (files) => files.includes(join('lib', 'greeting.ts')), 5000);
    expect(seen).toContain(join('lib', 'greeting.ts'));
    expect(invoke(location)).toBe('edited');
  });

  it('serves the built page in place of web/page.ts, and keeps it across reloads', () => {
    // Prepare
    const page = { html: '<p>built</p>', contentSecurityPolicy: "default-src 'none'" };

    // Act
    loader.providePage(page);
    loader.forgetModules();

    // Assert
    expect((require(join(root, 'web', 'page')) as { page: unknown }).page).toEqual(page);
  });

  it('with usage counting, wraps each handler module in shims of their own and attaches to lib/\'s clients', () => {
    // Prepare: lib/adapters/clients.ts as the shims expect it, recording what is attached.
    write('lib/adapters/clients.ts', 'const attached: string[] = [];\nconst client = () => ({ middlewareStack: { add: (_m: unknown, o: { name: string }) => void attached.push(o.name) } });\nexport const dynamo = client();\nexport const sqs = client();\nexport { attached };\n');
    const counting = new HandlerLoader(root, { countAwsUsage: true });

    // Act
    const location = counting.writeShims(['functions/hello.handler']);

    // Assert
    expect(location).toBe(join('.replog', 'handlers-counted'));
    expect(invoke(location)).toBe('hello');
    expect((require(join(root, 'lib', 'adapters', 'clients.ts')) as { attached: string[] }).attached).toEqual(['replogAwsUsage', 'replogAwsUsage']);
    expect(existsSync(join(root, '.replog', 'handlers'))).toBe(false);
  });
});
