import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../local-cloud/index';
import { startEventSources, type EventSources } from '../event-source';
import { createResources } from './bootstrap';
import { answers, httpOk, spawnChild, waitUntil, type Child } from './processes';
import { projectRoot, readStackDefinition, serverlessBin, serverlessEnv } from './stack-definition';

export interface StackOptions {
  stage?: string;
  awsPort?: number;
  httpPort?: number;
  lambdaPort?: number;
  /** Comma-separated secondary names (REPLOG_SECONDARIES). */
  secondaries?: string;
  /** Extra environment for the functions (REPLOG_* settings). */
  env?: Record<string, string>;
  /** Where a line of output goes: offline's and the functions' logs, and our own progress. */
  log?: (line: string, source: 'stack' | 'functions') => void;
  /** A lock file so a second stack on the same ports fails clearly. */
  lockFile?: string;
}

export interface Stack {
  apiUrl: string;
  awsEndpoint: string;
  /** True when an emulator was already answering (e.g. LocalStack) and we used it. */
  externalAws: boolean;
  pids: number[];
  stop(): Promise<void>;
}

const region = 'us-east-1';
// Node 20 is supported by the pinned SDK; its notice about 2027 releases is noise on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export class StackStartError extends Error {}

/** An asynchronous (Event) invocation through serverless-offline's Lambda Invoke API. */
async function kick(lambdaEndpoint: string, functionName: string): Promise<void> {
  const res = await fetch(`${lambdaEndpoint}/2015-03-31/functions/${functionName}/invocations`, {
    method: 'POST',
    headers: { 'X-Amz-Invocation-Type': 'Event' },
    body: JSON.stringify({ source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date().toISOString(), detail: {} }),
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new StackStartError(`could not start ${functionName}: Invoke answered ${res.status}`);
}

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

/**
 * Starts the whole local system: AWS emulators (unless one already answers, e.g. LocalStack),
 * the resources of serverless.yml, serverless-offline, and an SQS event source per `sqs` event.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const stage = options.stage ?? 'local';
  const awsPort = options.awsPort ?? 4566;
  const httpPort = options.httpPort ?? 3000;
  const lambdaPort = options.lambdaPort ?? 3002;
  const log = options.log ?? ((line) => console.log(line));
  const apiUrl = `http://localhost:${httpPort}`;
  const awsEndpoint = `http://localhost:${awsPort}`;
  const started = Date.now();
  const pids: number[] = [];

  // What was started, stopped in this order: the consumers, then the functions, then the
  // emulators they call (so nothing runs against an emulator that is gone), then the lock.
  const running: { sources?: EventSources; offline?: Child; cloud?: LocalCloud; lockFile?: string } = {};
  const stop = async () => {
    const { sources, offline, cloud, lockFile } = running;
    for (const key of Object.keys(running)) delete running[key as keyof typeof running];
    const steps = [() => sources?.stop(), () => offline?.stop(), () => cloud?.stop(), async () => lockFile && rmSync(lockFile, { force: true })];
    for (const step of steps) await Promise.resolve(step()).catch((err: Error) => log(`stop: ${err.message}`, 'stack'));
  };

  try {
    if (options.lockFile) {
      claimLock(options.lockFile, apiUrl);
      running.lockFile = options.lockFile;
    }
    if (await answers(`http://127.0.0.1:${httpPort}/`)) {
      throw new StackStartError(`port ${httpPort} is in use — is another replog (or another server) running? Set REPLOG_HTTP_PORT to use another port.`);
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...serverlessEnv,
      AWS_ENDPOINT_URL: awsEndpoint,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
      AWS_REGION: region,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      REPLOG_HTTP_PORT: String(httpPort),
      REPLOG_LAMBDA_PORT: String(lambdaPort),
      REPLOG_WEBSOCKET_PORT: String(httpPort + 1),
      REPLOG_ALB_PORT: String(httpPort + 3),
      ...(options.secondaries ? { REPLOG_SECONDARIES: options.secondaries } : {}),
      ...options.env,
    };

    // serverless-offline, serverless.yml's resolution and the emulators start independently:
    // overlapping them roughly halves the start-up time.
    const offline = spawnChild(process.execPath, [serverlessBin(), 'offline', 'start', '--stage', stage, '--useInProcess'], {
      cwd: projectRoot,
      env,
      onLine: (line) => log(line, 'functions'),
    });
    pids.push(offline.pid);
    running.offline = offline;
    const definitionRead = readStackDefinition(stage, env);
    definitionRead.catch(() => undefined);
    const externalAws = await answers(`${awsEndpoint}/_localstack/health`);
    if (externalAws) {
      log(`using the AWS emulator already answering on ${awsEndpoint}`, 'stack');
    } else {
      const cloud: LocalCloud = await startLocalCloud({ port: awsPort, region, log: (line) => log(line, 'stack') });
      pids.push(...cloud.pids);
      running.cloud = cloud;
    }
    const definition = await definitionRead;
    const created = await createResources({ endpoint: awsEndpoint, region }, definition.resources);
    log(`created ${created.tables.length} tables and ${Object.keys(created.queues).length} queues on ${awsEndpoint}`, 'stack');
    await waitUntil('serverless offline', () => httpOk(`http://127.0.0.1:${httpPort}/list?limit=1`), 60_000, () =>
      offline.exited() ? offline.tail() : undefined,
    );

    const sources: EventSources = await startEventSources({
      sqsEndpoint: awsEndpoint,
      region,
      lambdaEndpoint: `http://127.0.0.1:${lambdaPort}`,
      mappings: definition.sqsEvents.map((e) => {
        const queue = created.queues[e.queueLogicalId];
        if (!queue) throw new StackStartError(`function ${e.functionKey} consumes ${e.queueLogicalId}, which is not a queue in serverless.yml`);
        return {
          functionName: e.functionName,
          queueUrl: queue.url,
          queueArn: queue.arn,
          batchSize: e.batchSize,
          reportBatchItemFailures: e.reportBatchItemFailures,
        };
      }),
      log: (entry) => log(JSON.stringify({ source: 'event-source', ...entry }), 'stack'),
    });
    running.sources = sources;
    // serverless-offline runs `schedule` events itself, but only from the next minute on: start
    // each scheduled function once now (heartbeats would otherwise be a minute late).
    await Promise.all(definition.scheduledFunctions.map((name) => kick(`http://127.0.0.1:${lambdaPort}`, name)));
    log(`replog is up in ${((Date.now() - started) / 1000).toFixed(1)} s`, 'stack');
    return { apiUrl, awsEndpoint, externalAws, pids, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
