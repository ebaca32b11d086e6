/**
 * How serverless-offline runs the functions locally: from their TypeScript sources, in its own
 * process (`useInProcess`), through tsx's CommonJS hook — no bundling step and no build watcher
 * (serverless-esbuild bundles for `serverless package` and deploys only). Every function shares
 * one copy of the SDK and of lib/, which keeps the local stack small and quick to start.
 *
 * serverless-offline finds a handler as `<location>/<handler path>.js`, so a one-line shim per
 * handler file requires the .ts source. When a file under functions/, lib/ or web/ changes, the
 * project's modules are dropped from Node's module cache, and the next invocation loads the
 * edited code (hot reload). The live web view's page module (web/page.ts) is the one module that
 * is built, not loaded: web/esbuild-plugin.js builds it, as it does when a deploy bundles.
 */
import { mkdirSync, readFileSync, renameSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Source folders whose edits reload the functions. */
export const WATCHED_FOLDERS = ['functions', 'lib', 'web'] as const;

export interface BuiltPage {
  html: string;
  contentSecurityPolicy: string;
}

function writeIfChanged(file: string, content: string): void {
  try {
    if (readFileSync(file, 'utf8') === content) return;
  } catch {
    // missing: write it
  }
  mkdirSync(dirname(file), { recursive: true });
  // Another stack in the same checkout may read it now: replace it whole.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, file);
}

export interface HandlerLoaderOptions {
  /**
   * Count each function's invocations and AWS calls (aws-usage.ts): the shims wrap the handler
   * modules and lib/adapters/clients.ts's clients. They go to a folder of their own, so a stack
   * that does not count, in the same checkout, never loads them.
   */
  countAwsUsage?: boolean;
}

const USAGE_MODULE = fileURLToPath(new URL('./aws-usage.ts', import.meta.url));

export class HandlerLoader {
  readonly #root: string;
  readonly #shimDir: string;
  readonly #countAwsUsage: boolean;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** `root`: the service folder; shims go to `<root>/.replog/handlers` (`handlers-counted` when counting). */
  constructor(root: string, options: HandlerLoaderOptions = {}) {
    this.#root = root;
    this.#countAwsUsage = options.countAwsUsage === true;
    this.#shimDir = join(root, '.replog', this.#countAwsUsage ? 'handlers-counted' : 'handlers');
  }

  /** Writes a shim per handler (`functions/append.handler` → .replog/handlers/functions/append.js); returns offline's `location`. */
  writeShims(handlers: readonly string[]): string {
    for (const handler of new Set(handlers)) {
      const modulePath = handler.slice(0, handler.lastIndexOf('.'));
      const source = `require(${JSON.stringify(join(this.#root, `${modulePath}.ts`))})`;
      const clients = `require(${JSON.stringify(join(this.#root, 'lib', 'adapters', 'clients.ts'))})`;
      const shim = this.#countAwsUsage
        ? `module.exports = require(${JSON.stringify(USAGE_MODULE)}).instrumentHandlers(${JSON.stringify(basename(modulePath))}, ${source}, ${clients});\n`
        : `module.exports = ${source};\n`;
      writeIfChanged(join(this.#shimDir, `${modulePath}.js`), shim);
      // The same without an extension: serverless-offline looks for the handler file on every
      // invocation and, past an extensionless match, walks up the folders reading package.json.
      writeIfChanged(join(this.#shimDir, modulePath), shim);
    }
    return relative(this.#root, this.#shimDir);
  }

  /** Puts the built page where `import { page } from '../web/page'` finds it. */
  providePage(page: BuiltPage): void {
    const file = join(this.#root, 'web', 'page.ts');
    const built = new Module(file);
    built.filename = file;
    built.loaded = true;
    built.exports = { page };
    require.cache[file] = built;
  }

  /**
   * Drops the project's modules (and the shims) from the module cache: the next call loads them
   * afresh. The built page stays until providePage replaces it.
   */
  forgetModules(): number {
    const prefixes = [...WATCHED_FOLDERS.map((f) => join(this.#root, f) + sep), this.#shimDir + sep];
    const page = join(this.#root, 'web', 'page.ts');
    let dropped = 0;
    for (const key of Object.keys(require.cache)) {
      if (key !== page && prefixes.some((p) => key.startsWith(p))) {
        delete require.cache[key];
        dropped++;
      }
    }
    return dropped;
  }

  /**
   * Watches the source folders; after a burst of changes settles, forgets the modules and calls
   * `onReload` with the changed files (relative to the root).
   */
  watch(onReload: (changed: string[]) => void | Promise<void>, settleMs = 100): void {
    const changed = new Set<string>();
    for (const folder of WATCHED_FOLDERS) {
      const watcher = watch(join(this.#root, folder), { recursive: true }, (_event, file) => {
        if (file) changed.add(join(folder, file.toString()));
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => {
          const files = [...changed];
          changed.clear();
          this.forgetModules();
          void Promise.resolve(onReload(files)).catch(() => undefined);
        }, settleMs);
      });
      watcher.on('error', () => undefined);
      this.#watchers.push(watcher);
    }
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }
}
