/**
 * Measures the local cloud: `tsx localstack/bench.ts [--calls N]`
 *   - startLocalCloud() startup time and the JVM's RSS;
 *   - DynamoDB GetItem latency through the gateway vs straight to DynamoDB Local (same JVM);
 *   - SQS send → pending long-poll receive latency through the gateway.
 * Loopback only; numbers are noisy, read them as orders of magnitude.
 */
import { readFileSync } from "node:fs";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startLocalCloud } from "./local-cloud.js";
import { startDynamoDbLocal } from "./dynamodb-local.js";
import { startFauxqsBackend } from "./fauxqs-backend.js";
import { listenGateway } from "./gateway.js";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const region = "us-east-1";

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function summary(samples: number[]): string {
  return `median ${percentile(samples, 50).toFixed(3)} ms, p90 ${percentile(samples, 90).toFixed(3)} ms, n=${samples.length}`;
}

/** Resident memory of a process, from Linux's /proc (undefined elsewhere). */
function rssMiB(pid: number): number | undefined {
  try {
    const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function measureStartup(runs: number): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const cloud = await startLocalCloud({ port: 0 });
    times.push(performance.now() - start);
    const [pid] = cloud.pids;
    const rss = pid === undefined ? undefined : rssMiB(pid);
    console.log(`startLocalCloud #${i + 1}: ${times.at(-1)?.toFixed(0)} ms, java RSS just after start ${rss?.toFixed(0) ?? "?"} MiB`);
    await cloud.stop();
  }
  console.log(`startup: ${summary(times)}`);
}

async function measureDynamoDb(calls: number): Promise<void> {
  const dynamodb = await startDynamoDbLocal();
  const fauxqs = await startFauxqsBackend({ region });
  const gateway = await listenGateway({ port: 0, region });
  gateway.attach({ dynamodbPort: dynamodb.port, fauxqsPort: fauxqs.port });
  const viaGateway = new DynamoDBClient({ endpoint: `http://localhost:${gateway.port}`, region, credentials });
  const direct = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynamodb.port}`, region, credentials });
  const sqs = new SQSClient({ endpoint: `http://localhost:${gateway.port}`, region, credentials });
  try {
    await direct.send(
      new CreateTableCommand({
        TableName: "bench",
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      }),
    );
    await direct.send(new PutItemCommand({ TableName: "bench", Item: { pk: { S: "k" }, v: { S: "x".repeat(100) } } }));
    const get = new GetItemCommand({ TableName: "bench", Key: { pk: { S: "k" } } });
    const gatewaySamples: number[] = [];
    const directSamples: number[] = [];
    // Warm the JIT on both paths, then interleave rounds so drift hits both alike.
    for (let i = 0; i < 200; i++) {
      await viaGateway.send(get);
      await direct.send(get);
    }
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < calls / rounds; i++) gatewaySamples.push(await timed(() => viaGateway.send(get)));
      for (let i = 0; i < calls / rounds; i++) directSamples.push(await timed(() => direct.send(get)));
    }
    console.log(`GetItem via gateway: ${summary(gatewaySamples)}`);
    console.log(`GetItem direct:      ${summary(directSamples)}`);
    console.log(`gateway overhead (median difference): ${(percentile(gatewaySamples, 50) - percentile(directSamples, 50)).toFixed(3)} ms`);

    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "bench" }));
    const latencies: number[] = [];
    for (let i = 0; i < 50; i++) {
      const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
      await new Promise((resolve) => setTimeout(resolve, 30)); // let the poll start waiting
      const sentAt = performance.now();
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `m${i}` }));
      const received = await receiving;
      if (!received.Messages?.length) throw new Error("long poll returned empty");
      latencies.push(performance.now() - sentAt);
      // Left undeleted on purpose: the visibility timeout keeps it out of the next receive.
    }
    console.log(`SQS send start → long-poll receive resolved (gateway): ${summary(latencies)}`);
    const rss = rssMiB(dynamodb.pid);
    console.log(`java RSS after ${calls * 2 + 400} GetItems: ${rss?.toFixed(0) ?? "?"} MiB; this node process RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
  } finally {
    viaGateway.destroy();
    direct.destroy();
    sqs.destroy();
    await gateway.close();
    await fauxqs.stop();
    await dynamodb.stop();
  }
}

async function main(): Promise<void> {
  const callsArg = process.argv.indexOf("--calls");
  const calls = callsArg > 0 ? Number(process.argv[callsArg + 1]) : 500;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  await measureStartup(3);
  await measureDynamoDb(calls);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
