/**
 * The checker's direct access to the emulator: it reads replog's tables to verify what the API
 * said (never writes them) and sends extra copies of replicate jobs to the secondaries' queues,
 * exactly as lib/adapters/queues.ts sends them, to duplicate and reorder deliveries.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueUrlCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { encodeJob } from '../../lib/job-codec';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface ReplicateCopy {
  id: number;
  msg: string;
  delaySeconds: number;
}

export interface Emulator {
  /** Names of the secondaries whose tables exist at this stage (from ListTables). */
  secondaryTables(): Promise<string[]>;
  /** Ack records for ids in [lo, hi]: `${id}/${node}` → `at`. */
  acks(lo: number, hi: number): Promise<Map<string, number>>;
  /** The ack records of one id as they are now: node → `at`. */
  acksFor(id: number): Promise<Map<string, number>>;
  /** When each entry in [lo, hi] was first stored in a log table (`at` of a conditional put): id → at. */
  storedAt(table: 'master' | { secondary: string }, lo: number, hi: number): Promise<Map<number, number>>;
  /** Sends copies of replicate jobs to one secondary's queue; resolves to how many were accepted. */
  sendCopies(secondary: string, copies: ReplicateCopy[]): Promise<number>;
  destroy(): void;
}

export function emulator(endpoint: string, stage: string): Emulator {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const region = 'us-east-1';
  const raw = new DynamoDBClient({ endpoint, region, credentials });
  const dynamo = DynamoDBDocumentClient.from(raw);
  const sqs = new SQSClient({ endpoint, region, credentials });
  const prefix = `replog-${stage}-`;
  const queueUrls = new Map<string, string>();

  async function queueUrl(secondary: string): Promise<string> {
    let url = queueUrls.get(secondary);
    if (!url) {
      const out = await sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}replicate-${secondary}` }));
      if (!out.QueueUrl) throw new Error(`no queue ${prefix}replicate-${secondary}`);
      url = out.QueueUrl;
      queueUrls.set(secondary, url);
    }
    return url;
  }

  return {
    async secondaryTables() {
      const names: string[] = [];
      let start: string | undefined;
      for (let i = 0; i < 100; i++) {
        const out = await raw.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
        names.push(...(out.TableNames ?? []));
        start = out.LastEvaluatedTableName;
        if (!start) break;
      }
      return names.filter((n) => n.startsWith(`${prefix}secondary-`)).map((n) => n.slice(`${prefix}secondary-`.length));
    },

    async acks(lo, hi) {
      const out = new Map<string, number>();
      let start: Record<string, unknown> | undefined;
      for (let i = 0; i < 100_000; i++) {
        const page = await dynamo.send(
          new ScanCommand({
            TableName: `${prefix}acks`,
            FilterExpression: '#id BETWEEN :lo AND :hi',
            ProjectionExpression: '#id, #node, #at',
            ExpressionAttributeNames: { '#id': 'id', '#node': 'node', '#at': 'at' },
            ExpressionAttributeValues: { ':lo': lo, ':hi': hi },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) out.set(`${Number(item.id)}/${String(item.node)}`, Number(item.at));
        start = page.LastEvaluatedKey;
        if (!start) break;
      }
      return out;
    },

    async acksFor(id) {
      const out = await dynamo.send(
        new QueryCommand({
          TableName: `${prefix}acks`,
          KeyConditionExpression: '#id = :id',
          ProjectionExpression: '#node, #at',
          ExpressionAttributeNames: { '#id': 'id', '#node': 'node', '#at': 'at' },
          ExpressionAttributeValues: { ':id': id },
          ConsistentRead: true,
        }),
      );
      return new Map((out.Items ?? []).map((item) => [String(item.node), Number(item.at)]));
    },

    async storedAt(table, lo, hi) {
      const TableName = table === 'master' ? `${prefix}master` : `${prefix}secondary-${table.secondary}`;
      const out = new Map<number, number>();
      let start: Record<string, unknown> | undefined;
      for (let i = 0; i < 100_000; i++) {
        const page = await dynamo.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: '#log = :log AND #id BETWEEN :lo AND :hi',
            ProjectionExpression: '#id, #at',
            ExpressionAttributeNames: { '#log': 'log', '#id': 'id', '#at': 'at' },
            ExpressionAttributeValues: { ':log': 'main', ':lo': lo, ':hi': hi },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) out.set(Number(item.id), Number(item.at));
        start = page.LastEvaluatedKey;
        if (!start) break;
      }
      return out;
    },

    async sendCopies(secondary, copies) {
      if (copies.length === 0) return 0;
      const QueueUrl = await queueUrl(secondary);
      let sent = 0;
      for (let i = 0; i < copies.length; i += 10) {
        const chunk = copies.slice(i, i + 10);
        const out = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl,
            Entries: chunk.map((c, j) => ({
              Id: `copy-${i + j}`,
              // Byte for byte what lib/adapters/queues.ts sends.
              MessageBody: encodeJob({ id: c.id, msg: c.msg }),
              DelaySeconds: c.delaySeconds,
            })),
          }),
        );
        sent += out.Successful?.length ?? 0;
      }
      return sent;
    },

    destroy() {
      raw.destroy();
      sqs.destroy();
    },
  };
}
