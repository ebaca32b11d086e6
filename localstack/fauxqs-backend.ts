/**
 * fauxqs (SQS emulator, AWS JSON protocol only) in this process, on a free loopback port.
 *
 * We use fauxqs's `buildApp` rather than `startFauxqs`: the latter always listens on 0.0.0.0,
 * and this backend must only be reachable from 127.0.0.1 (the gateway is its public face).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";

export interface FauxqsBackend {
  readonly port: number;
  stop(): Promise<void>;
}

type FauxqsModule = typeof import("fauxqs");

/**
 * fauxqs is ESM-only (its exports map has just an "import" condition), while this file may be
 * loaded as CommonJS (tsx, in a package without "type": "module"): a static import would become a
 * failing require(). A dynamic import works, except when tsx evaluates this file from a `data:`
 * URL (CommonJS imported by an ES module), where bare specifiers cannot resolve; then import the
 * package's ESM entry by its file URL.
 */
async function importFauxqs(): Promise<FauxqsModule> {
  try {
    return await import("fauxqs");
  } catch (err) {
    const entry = findEsmEntry("fauxqs");
    if (entry === undefined) throw err;
    return (await import(pathToFileURL(entry).href)) as FauxqsModule;
  }
}

/** The file a package's `exports["."].import` names, found along Node's node_modules lookup path. */
function findEsmEntry(name: string): string | undefined {
  const lookupPaths = createRequire(import.meta.url).resolve.paths(name) ?? [];
  for (const dir of lookupPaths) {
    const manifestPath = path.join(dir, name, "package.json");
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      exports?: { "."?: { import?: string | { default?: string } } };
      main?: string;
    };
    const target = manifest.exports?.["."]?.import;
    const relative = typeof target === "string" ? target : (target?.default ?? manifest.main);
    if (relative) return path.join(dir, name, relative);
  }
  return undefined;
}

export async function startFauxqsBackend(options: { region: string; port?: number }): Promise<FauxqsBackend> {
  // No `host` option: fauxqs then builds queue URLs as `sqs.<region>.localhost:<port of the
  // request's Host header>`, and the gateway always sends Host 127.0.0.1:<this port>.
  const { buildApp } = await importFauxqs();
  const app = buildApp({ logger: false, defaultRegion: options.region });
  await app.listen({ port: options.port ?? 0, host: "127.0.0.1" });
  const port = (app.server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    port,
    stop() {
      // close() also ends pending long polls (fauxqs's preClose hook cancels their waiters).
      stopping ??= Promise.resolve(app.close()).then(() => undefined);
      return stopping;
    },
  };
}
