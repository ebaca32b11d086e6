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

import type { QueueAccess, ReceivedMessage } from "./event-source.js";
import { asFauxqsQueueUrl } from "./queue-urls.js";

export interface FauxqsBackend {
  readonly port: number;
  /** The queues in this process, without HTTP: what the event sources receive from and delete in. */
  readonly access: QueueAccess;
  stop(): Promise<void>;
}

type FauxqsModule = typeof import("fauxqs");

/**
 * fauxqs's queue store and the two actions an event source needs, as its HTTP handlers call them.
 * They are internal to the package (not in its exports map), so they are imported by file from
 * the pinned version; a version that moved them fails here, at start-up, saying so.
 */
interface FauxqsInternals {
  SqsStore: new () => object;
  receiveMessage(body: Record<string, unknown>, store: object): Promise<{ Messages?: ReceivedMessage[] }>;
  deleteMessageBatch(body: Record<string, unknown>, store: object): { Failed?: Array<{ Id: string; Code?: string; Message?: string }> };
}

async function importInternals(): Promise<FauxqsInternals> {
  const entry = findEsmEntry("fauxqs");
  const dist = entry ? path.dirname(entry) : undefined;
  const load = async (file: string) => (dist ? ((await import(pathToFileURL(path.join(dist, file)).href)) as Record<string, unknown>) : {});
  const [store, receive, remove] = await Promise.all([load("sqs/sqsStore.js"), load("sqs/actions/receiveMessage.js"), load("sqs/actions/deleteMessageBatch.js")]);
  const internals = { SqsStore: store.SqsStore, receiveMessage: receive.receiveMessage, deleteMessageBatch: remove.deleteMessageBatch };
  if (Object.values(internals).some((f) => typeof f !== "function")) {
    throw new Error("this fauxqs version has no dist/sqs/sqsStore.js or dist/sqs/actions/{receiveMessage,deleteMessageBatch}.js: localstack/fauxqs-backend.ts needs updating");
  }
  return internals as unknown as FauxqsInternals;
}

// An in-process receive waits in slices, so that stop() never leaves a wait behind that could
// take a message nobody delivers (fauxqs cannot be told that a waiting receive was abandoned).
const WAIT_SLICE_SECONDS = 0.25;

function inProcessAccess(internals: FauxqsInternals, store: object, region: string, port: number): QueueAccess {
  const exact = (queueUrl: string) => asFauxqsQueueUrl(queueUrl, region, port);
  return {
    async receive(queueUrl, max, waitSeconds, signal) {
      const QueueUrl = exact(queueUrl);
      const until = Date.now() + waitSeconds * 1000;
      for (;;) {
        const slice = Math.min(WAIT_SLICE_SECONDS, Math.max(0, (until - Date.now()) / 1000));
        const { Messages = [] } = await internals.receiveMessage(
          { QueueUrl, MaxNumberOfMessages: max, WaitTimeSeconds: slice, AttributeNames: ["All"], MessageAttributeNames: ["All"] },
          store,
        );
        // fauxqs wakes every waiting receive when one message arrives, and all but one come back
        // empty-handed at once; a receive on AWS keeps waiting instead, as this one does.
        if (Messages.length > 0 || signal.aborted || Date.now() >= until) return Messages;
      }
    },
    async deleteBatch(queueUrl, Entries) {
      return internals.deleteMessageBatch({ QueueUrl: exact(queueUrl), Entries }, store).Failed ?? [];
    },
    close() {},
  };
}

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
  const [{ buildApp }, internals] = await Promise.all([importFauxqs(), importInternals()]);
  // Our own store, handed to fauxqs's app: the same queues over HTTP and in process.
  const sqsStore = new internals.SqsStore();
  const app = buildApp({ logger: false, defaultRegion: options.region, stores: { sqsStore } as never });
  await app.listen({ port: options.port ?? 0, host: "127.0.0.1" });
  const port = (app.server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    port,
    access: inProcessAccess(internals, sqsStore, options.region, port),
    stop() {
      // close() also ends pending long polls (fauxqs's preClose hook cancels their waiters).
      stopping ??= Promise.resolve(app.close()).then(() => undefined);
      return stopping;
    },
  };
}
