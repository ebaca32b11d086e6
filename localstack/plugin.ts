/**
 * The local cloud as a Serverless Framework plugin (registered in serverless.yml), the way
 * serverless-dynamodb-local and serverless-offline-sqs hook into serverless-offline: with it,
 * `serverless offline start` alone brings up the whole local system —
 *   - the AWS endpoint (DynamoDB Local + SQS emulator on :4566, or LocalStack if it answers there),
 *   - the stack's tables and queues, from the configuration the framework has resolved,
 *   - the functions' environment, with CloudFormation queue references resolved locally,
 *   - the functions run from their TypeScript sources, hot-reloaded on edits (handler-loader.ts),
 *   - the SQS event sources and a first run of the scheduled functions,
 * and Ctrl-C stops all of it. Under `npm start` (stack.ts), which also supervises
 * serverless-offline, the AWS side belongs to that parent process and this plugin asks it over
 * IPC for the resources instead of starting its own.
 */
import { createRequire } from 'node:module';
import type { AppliedDefinition } from './local-system.js';
import { LocalSystem, SUPERVISED_ENV } from './local-system.js';
import { resolveEnvironment } from './bootstrap.js';
import { definitionOf, projectRoot, type ResolvedConfig, type StackDefinition } from './definition.js';
import { HandlerLoader, type BuiltPage } from './handler-loader.js';
import { usageEnabled } from './aws-usage.js';
import { DEFAULT_PORT } from './local-cloud.js';

interface Serverless {
  service: ResolvedConfig & {
    service: string;
    custom?: Record<string, Record<string, unknown> | undefined>;
    provider: { stage?: string; region?: string; environment?: Record<string, unknown> };
    functions: Record<string, { handler: string; name?: string; environment?: Record<string, unknown> }>;
  };
  processedInput: { commands: string[] };
  pluginManager: { hooks: Record<string, Array<{ pluginName: string }>>; spawn(event: string): Promise<void> };
}

interface Logger {
  notice(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

const require = createRequire(import.meta.url);
const OFFLINE_HOOKS = ['before:offline:start', 'before:offline:start:init'];

export class ReplogLocalCloud {
  readonly hooks: Record<string, () => Promise<void>> = {};
  readonly #serverless: Serverless;
  readonly #options: Record<string, unknown>;
  readonly #log: Logger;
  #prepared: Promise<void> | undefined;
  #system: LocalSystem | undefined;
  #loader: HandlerLoader | undefined;
  #stopping: Promise<void> | undefined;

  constructor(serverless: Serverless, options: Record<string, unknown>, utils?: { log?: Logger }) {
    this.#serverless = serverless;
    this.#options = options;
    const fallback = (message: string) => console.log(message);
    this.#log = utils?.log ?? { notice: fallback, warning: fallback, error: fallback };
    if (serverless.processedInput?.commands?.[0] !== 'offline') return;
    // Offline, the functions run from their sources: serverless-esbuild's build and watcher are
    // for packaging, and would only cost start-up time and memory here.
    for (const event of OFFLINE_HOOKS) {
      const hooks = serverless.pluginManager.hooks[event];
      if (hooks) serverless.pluginManager.hooks[event] = hooks.filter((h) => h.pluginName !== 'EsbuildServerlessPlugin');
    }
    for (const event of OFFLINE_HOOKS) this.hooks[event] = () => this.#prepare();
    this.hooks['before:offline:start:end'] = () => this.#stop();
  }

  #prepare(): Promise<void> {
    this.#prepared ??= this.#startLocalSystem();
    return this.#prepared;
  }

  #offlineSetting(name: string): unknown {
    return this.#options[name] ?? this.#serverless.service.custom?.['serverless-offline']?.[name];
  }

  async #startLocalSystem(): Promise<void> {
    const { service } = this.#serverless;
    const stage = String(this.#options.stage ?? service.provider.stage ?? 'dev');
    const region = String(this.#options.region ?? service.provider.region ?? 'us-east-1');
    const definition = definitionOf({ ...service, service: service.service }, stage);
    const supervised = process.env[SUPERVISED_ENV] === 'supervised' && typeof process.send === 'function';

    const pageBuilt = buildPage();
    pageBuilt.catch(() => undefined);
    const applied = supervised ? await askParent(definition) : await this.#startOwnSystem(definition, region);

    this.#configureFunctions(applied, region);
    this.#loadHandlersFromSources(await pageBuilt);
    if (supervised) {
      // The parent supervises us; if it dies, so do we (it can no longer serve our AWS calls).
      process.on('disconnect', () => process.exit(1));
      return;
    }
    const system = this.#system as LocalSystem;
    void system.failure.then(async (reason) => {
      this.#log.error(reason.message);
      await this.#stop();
      process.exit(1);
    });
    void system
      .whenFunctionsUp(() => undefined)
      .then(() => this.#log.notice(`replog local cloud: AWS endpoint ${system.awsEndpoint}; inspect it with npx awslocal sqs list-queues`))
      .catch((err: Error) => this.#log.error(`the local event sources could not start: ${err.message}`));
  }

  async #startOwnSystem(definition: StackDefinition, region: string): Promise<AppliedDefinition> {
    const system = new LocalSystem({
      awsPort: Number(process.env.REPLOG_AWS_PORT ?? DEFAULT_PORT),
      lambdaPort: Number(this.#offlineSetting('lambdaPort') ?? 3002),
      region,
      dataDir: process.env.REPLOG_DATA_DIR?.trim() || undefined,
      log: (line) => this.#log.notice(line),
    });
    this.#system = system;
    // If this process ends without the end hook (`serverless offline` without `start` has none),
    // the parts end themselves: the SQS process when its IPC channel closes, DynamoDB Local when
    // its watchdog's pipe does.
    // Ctrl-C: from now on an exiting part is expected, not a failure to report.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void system.stop());
    await system.start();
    return system.applyDefinition(definition);
  }

  /** The functions' AWS settings and environment, as the local stack resolves them. */
  #configureFunctions(applied: AppliedDefinition, region: string): void {
    // serverless-offline hands every AWS_* variable of its own process to the functions. They
    // reach the embedded emulators straight through the SDK's per-service endpoint settings;
    // AWS_ENDPOINT_URL (the one-port endpoint) is for everything else.
    process.env.AWS_ENDPOINT_URL = applied.awsEndpoint;
    const direct = applied.forFunctions;
    for (const [name, value] of [['AWS_ENDPOINT_URL_DYNAMODB', direct?.dynamodbEndpoint], ['AWS_ENDPOINT_URL_SQS', direct?.sqsEndpoint]] as const) {
      if (value) process.env[name] = value;
      else delete process.env[name];
    }
    const queues = direct?.queues ?? applied.queues;
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    process.env.AWS_REGION = region;
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const { provider, functions } = this.#serverless.service;
    const resolve = (environment: Record<string, unknown> | undefined, owner: string) => {
      const { environment: resolved, missing } = resolveEnvironment(environment ?? {}, queues);
      if (missing.length > 0) this.#log.warning(`${owner}: ${missing.join(', ')} refer to resources with no local counterpart and are not set`);
      return resolved;
    };
    provider.environment = resolve(provider.environment, 'provider.environment');
    for (const [key, fn] of Object.entries(functions)) if (fn.environment) fn.environment = resolve(fn.environment, `function ${key}`);
  }

  #loadHandlersFromSources(page: BuiltPage): void {
    const loader = new HandlerLoader(projectRoot, { countAwsUsage: usageEnabled() });
    this.#loader = loader;
    const { service } = this.#serverless;
    const location = loader.writeShims(Object.values(service.functions).map((fn) => fn.handler));
    service.custom = { ...service.custom, 'serverless-offline': { ...service.custom?.['serverless-offline'], location, useInProcess: true } };
    loader.providePage(page);
    loader.watch(async (changed) => {
      if (changed.some((f) => f.startsWith('web'))) loader.providePage(await buildPage());
      this.#log.notice(`reloaded the functions (${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ', …' : ''} changed)`);
    });
  }

  #stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#loader?.close();
      await this.#system?.stop();
    })();
    return this.#stopping;
  }
}

/** The live web view's page, built as a deploy's bundle builds it (web/esbuild-plugin.js). */
async function buildPage(): Promise<BuiltPage> {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const { buildPage: build } = require('../web/esbuild-plugin.js') as { buildPage(e: typeof esbuild): Promise<BuiltPage> };
  try {
    return await build(esbuild);
  } finally {
    // The build service would otherwise stay resident; a rebuild starts it again.
    await esbuild.stop();
  }
}

/** Under npm start: the parent creates the resources and answers with where they are. */
function askParent(definition: StackDefinition): Promise<AppliedDefinition> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string; applied?: AppliedDefinition; error?: string }) => {
      if (message?.type !== 'applied' && message?.type !== 'apply-failed') return;
      process.off('message', onMessage);
      if (message.type === 'applied' && message.applied) resolve(message.applied);
      else reject(new Error(message.error ?? 'the local system could not create the resources'));
    };
    process.on('message', onMessage);
    process.send?.({ type: 'definition', definition });
  });
}
