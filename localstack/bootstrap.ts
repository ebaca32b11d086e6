import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, QueueNameExists, SQSClient } from '@aws-sdk/client-sqs';
import type { CfnResource } from './definition';

export interface CreatedQueue {
  url: string;
  arn: string;
}

export interface BootstrapResult {
  tables: string[];
  /** By CloudFormation logical id. */
  queues: Record<string, CreatedQueue>;
}

export interface AwsTarget {
  endpoint: string;
  region: string;
}

const credentials = {
  accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
};

/**
 * Resolves the CloudFormation intrinsics our template uses between queues and in the functions'
 * environment — {Fn::GetAtt: [queue, Arn]}, {Ref: queue} and {Fn::Sub: "…${queue}…"} — against
 * what has been created so far.
 */
export function resolveIntrinsics(value: unknown, queues: Record<string, CreatedQueue>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, queues));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const queue = (id: string) => {
    const found = queues[id];
    if (!found) throw new Error(`cannot resolve ${id} locally: it is not a queue of this stack`);
    return found;
  };
  if ('Fn::GetAtt' in obj) {
    const [id, attr] = obj['Fn::GetAtt'] as [string, string];
    if (attr !== 'Arn') throw new Error(`cannot resolve Fn::GetAtt ${id}.${attr} locally`);
    return queue(id).arn;
  }
  if ('Ref' in obj) return queue(obj.Ref as string).url;
  if ('Fn::Sub' in obj) {
    const template = obj['Fn::Sub'];
    if (typeof template !== 'string') throw new Error('only the string form of Fn::Sub resolves locally');
    return template.replace(/\$\{([A-Za-z0-9]+)(\.Arn)?\}/g, (_, id: string, arn?: string) => (arn ? queue(id).arn : queue(id).url));
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolveIntrinsics(v, queues)]));
}

/**
 * The functions' environment with every queue reference replaced by the local queue's URL or ARN.
 * A variable that refers to something with no local counterpart is left out and named in `missing`.
 */
export function resolveEnvironment(
  environment: Record<string, unknown>,
  queues: Record<string, CreatedQueue>,
): { environment: Record<string, string>; missing: string[] } {
  const resolved: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, value] of Object.entries(environment)) {
    try {
      resolved[name] = String(resolveIntrinsics(value, queues));
    } catch {
      missing.push(name);
    }
  }
  return { environment: resolved, missing };
}

function dependsOnUncreated(resource: CfnResource, queues: Record<string, CreatedQueue>): boolean {
  const text = JSON.stringify(resource.Properties ?? {});
  const refs = [...text.matchAll(/"(?:Fn::GetAtt|Ref)":\s*(?:\["|")([A-Za-z0-9]+)/g)].map((m) => m[1] as string);
  return refs.some((id) => !queues[id]);
}

async function createTable(client: DynamoDBClient, props: Record<string, unknown>): Promise<string> {
  const { TimeToLiveSpecification, ...table } = props as unknown as CreateTableCommandInput & {
    TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
  };
  try {
    await client.send(new CreateTableCommand(table));
    if (TimeToLiveSpecification) {
      await client.send(new UpdateTimeToLiveCommand({ TableName: table.TableName, TimeToLiveSpecification }));
    }
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  return table.TableName as string;
}

/** SQS attributes are strings; CloudFormation lets templates give numbers and JSON objects. */
function queueAttributes(props: Record<string, unknown>): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) {
    if (k === 'QueueName' || k === 'Tags') continue;
    attrs[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return attrs;
}

async function createQueue(client: SQSClient, props: Record<string, unknown>): Promise<CreatedQueue> {
  const QueueName = props.QueueName as string;
  let url: string | undefined;
  try {
    url = (await client.send(new CreateQueueCommand({ QueueName, Attributes: queueAttributes(props) }))).QueueUrl;
  } catch (err) {
    // Same name, other attributes: a stack left running from an older definition. Use it.
    if (!(err instanceof QueueNameExists)) throw err;
  }
  url ??= (await client.send(new CreateQueueCommand({ QueueName }))).QueueUrl;
  const attrs = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url: url as string, arn: attrs.Attributes?.QueueArn as string };
}

/**
 * Creates the DynamoDB tables and SQS queues of the resolved CloudFormation resources on the
 * emulator (idempotently: existing ones are kept). Other resource types (IAM) have no local
 * meaning and are skipped.
 */
export async function createResources(target: AwsTarget, resources: Record<string, CfnResource>): Promise<BootstrapResult> {
  const dynamo = new DynamoDBClient({ ...target, credentials });
  const sqs = new SQSClient({ ...target, credentials });
  try {
    const tableDefs = Object.values(resources).filter((r) => r.Type === 'AWS::DynamoDB::Table');
    const tablesCreated = Promise.all(tableDefs.map((r) => createTable(dynamo, r.Properties ?? {})));

    const queues: Record<string, CreatedQueue> = {};
    let pending = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue');
    while (pending.length > 0) {
      const ready = pending.filter(([, r]) => !dependsOnUncreated(r, queues));
      if (ready.length === 0) throw new Error(`queues depend on resources that are not queues: ${pending.map(([id]) => id).join(', ')}`);
      const created = await Promise.all(
        ready.map(([, r]) => createQueue(sqs, resolveIntrinsics(r.Properties ?? {}, queues) as Record<string, unknown>)),
      );
      ready.forEach(([id], i) => (queues[id] = created[i] as CreatedQueue));
      pending = pending.filter(([id]) => !queues[id]);
    }
    return { tables: await tablesCreated, queues };
  } finally {
    dynamo.destroy();
    sqs.destroy();
  }
}
