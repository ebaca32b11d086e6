/**
 * The whole local system under one supervisor, for `npm start`, the tests, the benchmark and the
 * fault checker: the AWS side (local-system.ts) plus serverless-offline itself, run as
 * `serverless offline start` with the local plugin. The plugin asks this process, over IPC, for
 * the tables and queues instead of starting its own, so that serverless-offline can die and be
 * restarted while the data (DynamoDB Local) and the queues live on.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StackDefinition } from './definition.js';
import { projectRoot, serverlessBin, serverlessEnv } from './definition.js';
import { LocalSystem, PART_NAMES, SUPERVISED_ENV } from './local-system.js';
import { answers, httpOk, spawnChild, waitUntil, type Child } from './processes.js';
import type { PartHandle, SupervisorGaveUp } from './supervisor.js';

export interface StackOptions {
  stage?: string;
  awsPort?: number;
  httpPort?: number;
  lambdaPort?: number;
  /** Comma-separated secondary names (REPLOG_SECONDARIES). */
  secondaries?: string;
  /** Keep DynamoDB's data in this folder (REPLOG_DATA_DIR). */
  dataDir?: string;
  /** Extra environment for the functions (REPLOG_* settings). */
  env?: Record<string, string>;
  /** Where a line of output goes: offline's and the functions' logs, and the system's own. */
  log?: (line: string, source: 'stack' | 'functions') => void;
  /** A lock file so a second stack on the same ports fails clearly. */
  lockFile?: string;
}

export interface Stack {
  apiUrl: string;
  awsEndpoint: string;
  /** True when an emulator was already answering (e.g. LocalStack) and we used it. */
  externalAws: boolean;
  /** Where the functions send their DynamoDB and SQS calls (the emulators' own ports when embedded). */
  functionEndpoints: { dynamodb: string; sqs: string };
  /** The key every route but the page needs in x-api-key (stages other than `local`), else undefined. */
  apiKey?: string;
  /** PIDs of the running parts, by part name (see PART_NAMES). */
  parts(): Record<string, number>;
  /** Resolves with the reason when a part died in a way the stack cannot recover from. */
  failure: Promise<SupervisorGaveUp>;
  stop(): Promise<void>;
}

export { PART_NAMES };

const region = 'us-east-1';
const OFFLINE_HEAP = '--max-old-space-size=384';
// Node 20 is supported by the pinned SDK; its notice about 2027 releases is noise on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export class StackStartError extends Error {}

function claimLock(lockFile: string, apiUrl: string): void {
  if (existsSync(lockFile)) {
    const { pid } = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number };
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (alive && pid !== process.pid) {
      throw new StackStartError(`replog is already running (pid ${pid}, ${apiUrl}). Stop it with Ctrl-C in its terminal, or: kill ${pid}`);
    }
  }
  mkdirSync(join(lockFile, '..'), { recursive: true });
  writeFileSync(lockFile, JSON.stringify({ pid: process.pid, apiUrl }));
}

/** Starts the whole local system and resolves once the API answers. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const stage = options.stage ?? 'local';
  const awsPort = options.awsPort ?? 4566;
  const httpPort = options.httpPort ?? 3000;
  const lambdaPort = options.lambdaPort ?? 3002;
  const log = options.log ?? ((line) => console.log(line));
  const apiUrl = `http://localhost:${httpPort}`;
  const started = Date.now();

  if (options.lockFile) claimLock(options.lockFile, apiUrl);
  const releaseLock = () => options.lockFile && rmSync(options.lockFile, { force: true });
  if (await answers(`http://127.0.0.1:${httpPort}/`)) {
    releaseLock();
    throw new StackStartError(`port ${httpPort} is in use — is another replog (or another server) running? Set REPLOG_HTTP_PORT to use another port.`);
  }
  const system = new LocalSystem({ awsPort, lambdaPort, region, dataDir: options.dataDir, log: (line) => log(line, 'stack') });
  // A stage that needs an API key gets this one (serverless-offline accepts the values given in
  // provider.apiGateway.apiKeys): a fresh random one unless REPLOG_API_KEY_VALUE names it.
  const apiKeyValue = options.env?.REPLOG_API_KEY_VALUE ?? process.env.REPLOG_API_KEY_VALUE ?? randomBytes(24).toString('base64url');
  let apiKeyRequired = false;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...serverlessEnv,
    REPLOG_API_KEY_VALUE: apiKeyValue,
    [SUPERVISED_ENV]: 'supervised',
    AWS_ENDPOINT_URL: system.awsEndpoint,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    AWS_REGION: region,
    REPLOG_AWS_PORT: String(awsPort),
    REPLOG_HTTP_PORT: String(httpPort),
    REPLOG_LAMBDA_PORT: String(lambdaPort),
    REPLOG_WEBSOCKET_PORT: String(httpPort + 1),
    REPLOG_ALB_PORT: String(httpPort + 3),
    ...(options.secondaries ? { REPLOG_SECONDARIES: options.secondaries } : {}),
    ...options.env,
    // With no limit V8 sizes the heap from the machine's memory and lets it grow lazily (offline
    // reached ~540 MiB under load); any limit makes it collect sooner: ~250 MiB, same CPU.
    NODE_OPTIONS: [options.env?.NODE_OPTIONS ?? process.env.NODE_OPTIONS, OFFLINE_HEAP].filter(Boolean).join(' '),
  };

  // serverless-offline and the AWS side start at the same time; the plugin's request for the
  // resources waits for the AWS side.
  const cloudStarted = system.start();
  cloudStarted.catch(() => undefined);
  const serveDefinition = async (child: Child, definition: StackDefinition) => {
    try {
      await cloudStarted;
      const applied = await system.applyDefinition(definition);
      child.send({ type: 'applied', applied });
      await system.whenFunctionsUp(() => (child.hasExited() ? child.tail() : undefined));
    } catch (err) {
      child.send({ type: 'apply-failed', error: (err as Error).message });
      log(`serverless-offline could not be served: ${(err as Error).message}`, 'stack');
    }
  };
  const startFunctions = async (): Promise<PartHandle> => {
    const child = spawnChild(process.execPath, [serverlessBin(), 'offline', 'start', '--stage', stage], {
      cwd: projectRoot,
      env,
      ipc: true,
      onLine: (line) => log(line, 'functions'),
      onMessage: (message) => {
        const m = message as { type?: string; definition?: StackDefinition };
        if (m?.type === 'definition' && m.definition) {
          apiKeyRequired = m.definition.apiKeyRequired;
          void serveDefinition(child, m.definition);
        }
      },
    });
    // serverless-offline stops itself on SIGINT (its own Ctrl-C handling), in a few seconds at most.
    return { pid: child.pid, exited: child.exited, tail: child.tail, stop: () => child.stop('SIGINT', 8000) };
  };
  const stop = async () => {
    await system.stop();
    releaseLock();
  };

  try {
    await system.supervisor.add({ name: PART_NAMES.functions, start: startFunctions, whenDead: 'restart' });
    await cloudStarted;
    await Promise.race([
      waitUntil('the replog API', () => httpOk(`http://127.0.0.1:${httpPort}/list?limit=1`, { 'x-api-key': apiKeyValue }), 90_000),
      system.failure.then((reason) => {
        throw reason;
      }),
    ]);
    log(`replog is up in ${((Date.now() - started) / 1000).toFixed(1)} s`, 'stack');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    apiUrl,
    awsEndpoint: system.awsEndpoint,
    externalAws: system.external,
    functionEndpoints: system.functionEndpoints,
    ...(apiKeyRequired ? { apiKey: apiKeyValue } : {}),
    parts: () => system.pids(),
    failure: system.failure,
    stop,
  };
}
