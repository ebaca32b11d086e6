import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** A CloudFormation resource as `serverless print` resolves it (intrinsics left in place). */
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
  resources: Record<string, CfnResource>;
  sqsEvents: SqsEventDefinition[];
  /** Names of the functions that run on a `schedule`. */
  scheduledFunctions: string[];
  environment: Record<string, unknown>;
}

export const projectRoot = join(dirname(new URL(import.meta.url).pathname), '..', '..');

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

interface PrintedFunction {
  name?: string;
  events?: Array<{ sqs?: { arn: unknown; batchSize?: number; functionResponseType?: string }; schedule?: unknown }>;
}

/** Resolves serverless.yml for `stage` exactly as a deploy would, via `serverless print`. */
export async function readStackDefinition(stage: string, env: NodeJS.ProcessEnv): Promise<StackDefinition> {
  const { stdout } = await run(process.execPath, [serverlessBin(), 'print', '--format', 'json', '--stage', stage], {
    cwd: projectRoot,
    env: { ...env, ...serverlessEnv },
    maxBuffer: 64 * 1024 * 1024,
  });
  const printed = JSON.parse(stdout) as {
    service: string | { name: string };
    provider: { environment?: Record<string, unknown> };
    functions: Record<string, PrintedFunction>;
    resources?: { Resources?: Record<string, CfnResource> };
  };
  const service = typeof printed.service === 'string' ? printed.service : printed.service.name;
  const sqsEvents: SqsEventDefinition[] = [];
  const scheduledFunctions: string[] = [];
  for (const [functionKey, fn] of Object.entries(printed.functions ?? {})) {
    const functionName = fn.name ?? `${service}-${stage}-${functionKey}`;
    if ((fn.events ?? []).some((e) => e.schedule)) scheduledFunctions.push(functionName);
    for (const event of fn.events ?? []) {
      if (event.sqs) {
        sqsEvents.push({
          functionKey,
          functionName,
          queueLogicalId: logicalIdOfArn(event.sqs.arn),
          batchSize: event.sqs.batchSize ?? 10,
          reportBatchItemFailures: event.sqs.functionResponseType === 'ReportBatchItemFailures',
        });
      }
    }
  }
  return {
    service,
    stage,
    resources: printed.resources?.Resources ?? {},
    sqsEvents,
    scheduledFunctions,
    environment: printed.provider.environment ?? {},
  };
}
