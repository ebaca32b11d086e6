/**
 * What the local system needs from the resolved Serverless configuration: the CloudFormation
 * resources to create on the emulators, the SQS event source mappings to run, the scheduled
 * functions to start, and the functions' environment. The plugin reads it from the configuration
 * the framework has already resolved; `readStackDefinition` gets the same through
 * `serverless print`, for tests that inspect a stage without running it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** A CloudFormation resource as the framework resolves it (intrinsics left in place). */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface SqsEventDefinition {
  functionKey: string;
  /** The name serverless-offline's Lambda Invoke API knows the function by. */
  functionName: string;
  queueLogicalId: string;
  batchSize: number;
  reportBatchItemFailures: boolean;
}

export interface StackDefinition {
  service: string;
  stage: string;
  region: string;
  resources: Record<string, CfnResource>;
  sqsEvents: SqsEventDefinition[];
  /** Names of the functions that run on a `schedule`. */
  scheduledFunctions: string[];
  /** The stage has API keys: every route but the page needs one in x-api-key. */
  apiKeyRequired: boolean;
  /** provider.environment, intrinsics (queue Refs) unresolved. */
  environment: Record<string, unknown>;
}

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The serverless CLI of this project (spawned as node + script so its PID is the real process). */
export function serverlessBin(): string {
  return join(dirname(require.resolve('serverless/package.json')), 'bin', 'serverless.js');
}

/** Serverless v3 writes telemetry and notifications under $HOME unless told not to. */
export const serverlessEnv = { SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', SLS_DEPRECATION_DISABLE: '*' };

function logicalIdOfArn(arn: unknown): string {
  const getAtt = (arn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  if (!getAtt) throw new Error(`sqs event arn must be { Fn::GetAtt: [<queue>, Arn] } to run locally, got ${JSON.stringify(arn)}`);
  return getAtt[0];
}

interface ResolvedFunction {
  name?: string;
  events?: Array<{ sqs?: { arn: unknown; batchSize?: number; functionResponseType?: string }; schedule?: unknown }>;
}

/** The shape shared by `serverless print` output and the framework's `serverless.service`. */
export interface ResolvedConfig {
  service: string | { name: string };
  provider: { environment?: Record<string, unknown>; region?: string; apiGateway?: { apiKeys?: unknown[] } };
  functions?: Record<string, ResolvedFunction>;
  resources?: { Resources?: Record<string, CfnResource> };
}

/** Extracts the local system's definition from a resolved configuration. Pure. */
export function definitionOf(config: ResolvedConfig, stage: string): StackDefinition {
  const service = typeof config.service === 'string' ? config.service : config.service.name;
  const sqsEvents: SqsEventDefinition[] = [];
  const scheduledFunctions: string[] = [];
  for (const [functionKey, fn] of Object.entries(config.functions ?? {})) {
    const functionName = fn.name ?? `${service}-${stage}-${functionKey}`;
    if ((fn.events ?? []).some((e) => e.schedule)) scheduledFunctions.push(functionName);
    for (const event of fn.events ?? []) {
      if (!event.sqs) continue;
      sqsEvents.push({
        functionKey,
        functionName,
        queueLogicalId: logicalIdOfArn(event.sqs.arn),
        batchSize: event.sqs.batchSize ?? 10,
        reportBatchItemFailures: event.sqs.functionResponseType === 'ReportBatchItemFailures',
      });
    }
  }
  return {
    service,
    stage,
    region: config.provider.region ?? 'us-east-1',
    resources: config.resources?.Resources ?? {},
    sqsEvents,
    scheduledFunctions,
    apiKeyRequired: (config.provider.apiGateway?.apiKeys ?? []).length > 0,
    environment: config.provider.environment ?? {},
  };
}

/** Resolves serverless.yml for `stage` exactly as a deploy would, via `serverless print`. */
export async function readStackDefinition(stage: string, env: NodeJS.ProcessEnv): Promise<StackDefinition> {
  const { stdout } = await run(process.execPath, [serverlessBin(), 'print', '--format', 'json', '--stage', stage], {
    cwd: projectRoot,
    env: { ...env, ...serverlessEnv },
    maxBuffer: 64 * 1024 * 1024,
  });
  return definitionOf(JSON.parse(stdout) as ResolvedConfig, stage);
}
