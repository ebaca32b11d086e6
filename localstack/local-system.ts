/**
 * The local system's AWS side, supervised: DynamoDB Local (a JVM) and the SQS process (the
 * one-port endpoint with fauxqs, and the SQS → Lambda event sources), or an emulator that already
 * answers on the AWS port (LocalStack). It creates the stack's tables and queues from the resolved
 * configuration, runs its event source mappings against serverless-offline's Lambda port, and
 * starts its scheduled functions. Used in-process by the Serverless plugin (`serverless offline`
 * alone) and by `npm start` (stack.ts), which also supervises serverless-offline itself.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createResources, type CreatedQueue } from './bootstrap.js';
import { asFauxqsQueueUrl } from './queue-urls.js';
import { projectRoot, type StackDefinition } from './definition.js';
import { startDynamoDbLocal } from './dynamodb-local.js';
import type { SqsEventSourceMapping } from './event-source.js';
import { findFreePort } from './ports.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { answers, describeExit, spawnChild, waitUntil, type Child } from './processes.js';
import { Supervisor, type PartHandle, type SupervisorGaveUp } from './supervisor.js';

export interface LocalSystemOptions {
  awsPort: number;
  lambdaPort: number;
  region: string;
  /** Keep DynamoDB's data in this folder (REPLOG_DATA_DIR); default in memory. */
  dataDir?: string;
  log: (line: string) => void;
}

export interface AppliedDefinition {
  awsEndpoint: string;
  /** Created queues by CloudFormation logical id. */
  queues: Record<string, CreatedQueue>;
  /**
   * How the functions reach the embedded emulators: straight, not through the one-port endpoint
   * (which stays for users, the CLI and tools) — DynamoDB Local's port, fauxqs's port, and the
   * queue URLs as fauxqs knows them (it matches them exactly). Undefined when another emulator
   * (LocalStack) serves the AWS port: then the functions use it as everyone does.
   */
  forFunctions?: { dynamodbEndpoint: string; sqsEndpoint: string; queues: Record<string, CreatedQueue> };
}

/** Set on the serverless-offline that stack.ts runs: the AWS side is its parent's (asked over IPC). */
export const SUPERVISED_ENV = 'REPLOG_LOCAL_SYSTEM';

export const PART_NAMES = { dynamodb: 'DynamoDB Local', sqs: 'the SQS process (AWS endpoint, SQS emulator, event sources)', functions: 'serverless-offline (the functions)' } as const;

const require = createRequire(import.meta.url);
const READY_TIMEOUT_MS = 60_000;

/** A TypeScript entry point run by node with tsx's CommonJS hook (no loader thread, one process). */
export function tsxArgs(entry: string): string[] {
  return ['--require', require.resolve('tsx/cjs'), entry];
}

/** An asynchronous (Event) invocation through serverless-offline's Lambda Invoke API. */
async function invokeAsync(lambdaEndpoint: string, functionName: string): Promise<void> {
  const res = await fetch(`${lambdaEndpoint}/2015-03-31/functions/${functionName}/invocations`, {
    method: 'POST',
    headers: { 'X-Amz-Invocation-Type': 'Event' },
    body: JSON.stringify({ source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date().toISOString(), detail: {} }),
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`could not start ${functionName}: Invoke answered ${res.status}`);
}

export class LocalSystem {
  readonly awsEndpoint: string;
  readonly supervisor: Supervisor;
  readonly #options: LocalSystemOptions;
  #external = false;
  #ports: { dynamodb: number; fauxqs: number } | undefined;
  #sqs: Child | undefined;
  #definition: StackDefinition | undefined;
  #queues: Record<string, CreatedQueue> = {};
  #eventSourcesWanted = false;
  /** The SQS process whose event sources run this definition's mappings. */
  #eventSourcesIn: Child | undefined;

  constructor(options: LocalSystemOptions) {
    this.#options = options;
    this.awsEndpoint = `http://localhost:${options.awsPort}`;
    this.supervisor = new Supervisor(options.log);
  }

  /** True when another emulator (e.g. LocalStack) serves the AWS port and we use it as is. */
  get external(): boolean {
    return this.#external;
  }

  get lambdaEndpoint(): string {
    return `http://127.0.0.1:${this.#options.lambdaPort}`;
  }

  /** Resolves with the reason if a part died in a way the system cannot recover from. */
  get failure(): Promise<SupervisorGaveUp> {
    return this.supervisor.failure;
  }

  /** PIDs of the running parts, by part name. */
  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of Object.values(PART_NAMES)) {
      const pid = this.supervisor.part(name)?.pid;
      if (pid !== undefined) out[name] = pid;
    }
    return out;
  }

  /** Starts DynamoDB Local and the SQS process (or finds an emulator already answering). */
  async start(): Promise<void> {
    const { log, awsPort, dataDir } = this.#options;
    this.#external = await answers(`${this.awsEndpoint}/_localstack/health`);
    if (this.#external) {
      log(`using the AWS emulator already answering on ${this.awsEndpoint}`);
      if (dataDir) log('REPLOG_DATA_DIR is ignored: that emulator keeps its data its own way');
      await this.supervisor.add(this.#sqsPart());
      return;
    }
    // Fixed for the system's life: a restarted part comes back where its clients look for it.
    const [dynamodb, fauxqs] = await Promise.all([findFreePort(), findFreePort()]);
    this.#ports = { dynamodb, fauxqs };
    const started = await Promise.allSettled([this.supervisor.add(this.#dynamodbPart()), this.supervisor.add(this.#sqsPart())]);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
    log(`AWS endpoint ${this.awsEndpoint} (DynamoDB Local, data ${dataDir ? `in ${dataDir}` : 'in memory'}; SQS emulator) on port ${awsPort}`);
  }

  #dynamodbPart() {
    const { dataDir, log } = this.#options;
    return {
      name: PART_NAMES.dynamodb,
      start: async (): Promise<PartHandle> => startDynamoDbLocal({ port: this.#ports?.dynamodb, dataDir, log }),
      whenDead: dataDir
        ? ('restart' as const)
        : () =>
            'DynamoDB Local kept the data in memory, so the log, the acks and the counter are lost. ' +
            'Stopping everything; start again for an empty log, or set REPLOG_DATA_DIR=<folder> to keep the data across restarts and crashes.',
    };
  }

  #sqsPart() {
    return {
      name: PART_NAMES.sqs,
      start: () => this.#startSqsProcess(),
      whenDead: 'restart' as const,
      // Its queues were in memory: create them again, then resume the event sources. Jobs lost
      // with it are healed by the repair pass and catch-up, as a lost job is on AWS.
      afterRestart: async () => {
        if (this.#definition) await this.applyDefinition(this.#definition);
        if (this.#eventSourcesWanted) await this.startEventSources();
      },
    };
  }

  async #startSqsProcess(): Promise<PartHandle> {
    const { region, awsPort, log } = this.#options;
    const settings = this.#ports ? { region, gatewayPort: awsPort, dynamodbPort: this.#ports.dynamodb, fauxqsPort: this.#ports.fauxqs } : { region };
    let ready: (() => void) | undefined;
    const readyMessage = new Promise<void>((resolve) => (ready = resolve));
    // A heap limit keeps V8 from growing it lazily (see stack.ts), with room for the queues: a
    // secondary down behind 1,500 jobs of 128 KB holds ~260 MB of them (at 192 MB it ran out).
    const child = spawnChild(process.execPath, ['--max-old-space-size=1024', ...tsxArgs(join(projectRoot, 'localstack', 'sqs-process.ts'))], {
      cwd: projectRoot,
      env: { ...process.env, REPLOG_SQS_PROCESS: JSON.stringify(settings) },
      ipc: true,
      onLine: (line) => log(line),
      onMessage: (m) => {
        if ((m as { type?: string })?.type === 'ready') ready?.();
      },
    });
    try {
      await Promise.race([
        readyMessage,
        child.exited.then((status) => {
          throw new Error(`the SQS process exited while starting (${describeExit(status)}):\n${child.tail()}`);
        }),
        sleep(READY_TIMEOUT_MS, undefined, { ref: false }).then(() => {
          throw new Error(`the SQS process was not ready after ${READY_TIMEOUT_MS / 1000} s`);
        }),
      ]);
    } catch (err) {
      await child.stop();
      throw err;
    }
    this.#sqs = child;
    return { pid: child.pid, exited: child.exited, tail: child.tail, stop: () => this.#stopSqsProcess(child) };
  }

  async #stopSqsProcess(child: Child): Promise<void> {
    child.send({ type: 'stop' });
    await child.stop('SIGTERM', 5000);
  }

  /** Creates the stack's tables and queues on the endpoint (idempotent; kept tables keep their data). */
  async applyDefinition(definition: StackDefinition): Promise<AppliedDefinition> {
    const created = await createResources({ endpoint: this.awsEndpoint, region: this.#options.region }, definition.resources);
    this.#definition = definition;
    this.#queues = created.queues;
    this.#options.log(`${created.tables.length} tables and ${Object.keys(created.queues).length} queues of ${definition.service}-${definition.stage} are on ${this.awsEndpoint}`);
    return { awsEndpoint: this.awsEndpoint, queues: created.queues, ...this.#forFunctions(created.queues) };
  }

  /** Where the functions send DynamoDB and SQS calls: the embedded emulators' own ports, else the AWS endpoint. */
  get functionEndpoints(): { dynamodb: string; sqs: string } {
    const ports = this.#ports;
    return ports ? { dynamodb: `http://127.0.0.1:${ports.dynamodb}`, sqs: `http://127.0.0.1:${ports.fauxqs}` } : { dynamodb: this.awsEndpoint, sqs: this.awsEndpoint };
  }

  #forFunctions(queues: Record<string, CreatedQueue>): Pick<AppliedDefinition, 'forFunctions'> {
    const ports = this.#ports;
    if (!ports) return {};
    const { region } = this.#options;
    const { dynamodb, sqs } = this.functionEndpoints;
    return {
      forFunctions: {
        dynamodbEndpoint: dynamodb,
        sqsEndpoint: sqs,
        queues: Object.fromEntries(Object.entries(queues).map(([id, q]) => [id, { ...q, url: asFauxqsQueueUrl(q.url, region, ports.fauxqs) }])),
      },
    };
  }

  #mappings(): SqsEventSourceMapping[] {
    return (this.#definition?.sqsEvents ?? []).map((e) => {
      const queue = this.#queues[e.queueLogicalId];
      if (!queue) throw new Error(`function ${e.functionKey} consumes ${e.queueLogicalId}, which is not a queue in serverless.yml`);
      return { functionName: e.functionName, queueUrl: queue.url, queueArn: queue.arn, batchSize: e.batchSize, reportBatchItemFailures: e.reportBatchItemFailures };
    });
  }

  /** Runs the definition's SQS event source mappings (replacing any running) against the Lambda port. */
  async startEventSources(): Promise<void> {
    this.#eventSourcesWanted = true;
    const sqs = this.#sqs;
    // Not up: its restart starts them. Already running there: a restarted serverless-offline is
    // found again by the pollers (they back off while it is away).
    if (!sqs || sqs.hasExited() || this.#eventSourcesIn === sqs) return;
    this.#eventSourcesIn = sqs;
    const message = { type: 'event-sources', sqsEndpoint: this.awsEndpoint, lambdaEndpoint: this.lambdaEndpoint, mappings: this.#mappings() };
    await this.#request(sqs, message, 'event-sources-started');
  }

  /**
   * serverless-offline runs `schedule` events itself, but only from the next minute on: start each
   * scheduled function once now (heartbeats would otherwise be a minute late, and a repair pass
   * heals at once whatever a restart lost).
   */
  async startScheduledFunctions(): Promise<void> {
    await Promise.all((this.#definition?.scheduledFunctions ?? []).map((name) => invokeAsync(this.lambdaEndpoint, name)));
  }

  /** Once serverless-offline's Lambda port answers: event sources and scheduled functions. */
  async whenFunctionsUp(isUp: () => string | undefined): Promise<void> {
    await waitUntil('serverless offline', () => answers(this.lambdaEndpoint), READY_TIMEOUT_MS, isUp);
    await this.startEventSources();
    await this.startScheduledFunctions();
  }

  #stopping: Promise<void> | undefined;

  /** Stops every part (once; later calls wait for the same stop). */
  stop(): Promise<void> {
    // No new invocations first; then the functions, the endpoint, and the database they call.
    this.#stopping ??= this.supervisor.stop([PART_NAMES.functions, PART_NAMES.sqs, PART_NAMES.dynamodb], () => this.#stopEventSources());
    return this.#stopping;
  }

  async #stopEventSources(): Promise<void> {
    const sqs = this.#sqs;
    if (!sqs || sqs.hasExited() || this.#eventSourcesIn !== sqs) return;
    await this.#request(sqs, { type: 'stop-event-sources' }, 'event-sources-stopped');
  }

  /** Sends a message to the SQS process and waits for its answer (or its exit). */
  async #request(sqs: Child, message: { type: string } & Record<string, unknown>, answer: string): Promise<void> {
    const answered = new Promise<void>((resolve) => {
      const onMessage = (m: unknown) => {
        if ((m as { type?: string })?.type !== answer) return;
        sqs.process.off('message', onMessage);
        resolve();
      };
      sqs.process.on('message', onMessage);
    });
    sqs.send(message);
    await Promise.race([answered, sqs.exited]);
  }
}
