/**
 * The local SQS event source against the real SQS emulator (fauxqs), reached both ways the event
 * source can: over HTTP with the SDK, and in process (as the local system runs it); a tiny
 * node:http server stands in for serverless-offline's Lambda Invoke endpoint. No SDK mocks.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFauxqsBackend, type FauxqsBackend } from "../../localstack/fauxqs-backend";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import {
  startEventSources,
  type EventSources,
  type SqsEventSourceMapping,
  type StartEventSourcesOptions,
} from "../../localstack/event-source";

const REGION = "us-east-1";

// ---------------------------------------------------------------------------------------------
// Fake Lambda Invoke endpoint: records every invocation, answers with a per-function responder.

interface Invocation {
  functionName: string;
  event: SQSEvent;
  /** performance.now() when the request body had fully arrived. */
  at: number;
}

interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as JSON unless it is already a string; undefined sends an empty body. */
  body?: unknown;
  delayMs?: number;
}

type Responder = (invocation: Invocation) => FakeReply;

class FakeLambda {
  readonly invocations: Invocation[] = [];
  private readonly responders = new Map<string, Responder>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  respond(functionName: string, responder: Responder): void {
    this.responders.set(functionName, responder);
  }

  of(functionName: string): Invocation[] {
    return this.invocations.filter((i) => i.functionName === functionName);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? "");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const functionName = decodeURIComponent(match?.[1] ?? "");
    const responder = this.responders.get(functionName);
    if (req.method !== "POST" || responder === undefined) {
      res.writeHead(404, { "x-amzn-ErrorType": "ResourceNotFoundException" }).end();
      return;
    }
    const invocation: Invocation = {
      functionName,
      event: JSON.parse(Buffer.concat(chunks).toString("utf8")) as SQSEvent,
      at: performance.now(),
    };
    this.invocations.push(invocation);
    const reply = responder(invocation);
    if (reply.delayMs !== undefined) await sleep(reply.delayMs);
    const body = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers }).end(body);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared fixtures: one fauxqs and one fake Lambda for the file; each test has its own queue,
// function name and event source.

let fauxqs: FauxqsBackend;
const lambda = new FakeLambda();
let sqsEndpoint = "";
let lambdaEndpoint = "";
let sqs: SQSClient;
const running: EventSources[] = [];
const logs: Record<string, unknown>[] = [];
let counter = 0;

beforeAll(async () => {
  fauxqs = await startFauxqsBackend({ region: REGION });
  sqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
  lambdaEndpoint = await lambda.listen();
  sqs = new SQSClient({
    endpoint: sqsEndpoint,
    region: REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  logs.length = 0;
});

afterAll(async () => {
  sqs.destroy();
  await lambda.close();
  await fauxqs.stop();
});

interface TestQueue {
  url: string;
  arn: string;
  functionName: string;
}

async function createQueue(visibilityTimeoutSeconds = 30): Promise<TestQueue> {
  counter += 1;
  const name = `esm-test-${counter}`;
  const created = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(visibilityTimeoutSeconds) } }),
  );
  // fauxqs matches QueueUrl exactly, so use the URL it returned.
  const url = created.QueueUrl ?? "";
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return { url, arn: attrs.Attributes?.QueueArn ?? "", functionName: `replog-test-consumer${counter}` };
}

/** How the event sources under test reach the queues (set by each describe below). */
let reach: () => StartEventSourcesOptions["queues"] = () => ({ sqsEndpoint });

async function start(
  mappings: Array<Partial<SqsEventSourceMapping> & { queue: TestQueue }>,
  options: { pollersPerMapping?: number; lambdaEndpoint?: string; sqsEndpoint?: string } = {},
): Promise<EventSources> {
  const sources = await startEventSources({
    queues: options.sqsEndpoint ? { sqsEndpoint: options.sqsEndpoint } : reach(),
    region: REGION,
    lambdaEndpoint: options.lambdaEndpoint ?? lambdaEndpoint,
    pollersPerMapping: options.pollersPerMapping,
    log: (entry) => logs.push(entry),
    mappings: mappings.map(({ queue, ...m }) => ({
      functionName: queue.functionName,
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 10,
      reportBatchItemFailures: true,
      ...m,
    })),
  });
  running.push(sources);
  return sources;
}

async function send(queue: TestQueue, body: string): Promise<string> {
  const out = await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
  return out.MessageId ?? "";
}

/** Sends `count` messages with bodies `${prefix}0..`, ten per request. */
async function sendMany(queue: TestQueue, count: number, prefix = "m"): Promise<void> {
  for (let first = 0; first < count; first += 10) {
    const entries = Array.from({ length: Math.min(10, count - first) }, (_, i) => ({
      Id: String(i),
      MessageBody: `${prefix}${first + i}`,
    }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: entries }));
  }
}

async function queueDepth(queue: TestQueue): Promise<{ visible: number; inFlight: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queue.url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

/** Test-side wait for an asynchronous outcome (the code under test never sleeps-and-polls). */
async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

function records(invocations: Invocation[]) {
  return invocations.flatMap((i) => i.event.Records);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

const ok: Responder = () => ({ body: { batchItemFailures: [] } });

// ---------------------------------------------------------------------------------------------

const ways = [
  { way: "over HTTP with the SDK", queues: (): StartEventSourcesOptions["queues"] => ({ sqsEndpoint }) },
  { way: "in process", queues: (): StartEventSourcesOptions["queues"] => ({ access: fauxqs.access }) },
];

describe.each(ways)("SQS event source, queues reached $way", ({ way, queues }) => {
  beforeAll(() => {
    reach = queues;
  });

  it("invokes the function with a real-shaped SQS event", async () => {
    const queue = await createQueue();
    lambda.respond(queue.functionName, ok);
    await start([{ queue }]);

    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: '{"hello":"world"}',
        MessageAttributes: {
          kind: { DataType: "String", StringValue: "append" },
          blob: { DataType: "Binary", BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );
    await waitUntil(() => lambda.of(queue.functionName).length === 1, 2000, "the invocation");

    const record = lambda.of(queue.functionName)[0]?.event.Records[0];
    expect(record).toMatchObject({
      messageId: sent.MessageId,
      body: '{"hello":"world"}',
      md5OfBody: sent.MD5OfMessageBody,
      md5OfMessageAttributes: sent.MD5OfMessageAttributes,
      eventSource: "aws:sqs",
      eventSourceARN: queue.arn,
      awsRegion: REGION,
      messageAttributes: {
        kind: { stringValue: "append", stringListValues: [], binaryListValues: [], dataType: "String" },
        blob: { binaryValue: "AQID", stringListValues: [], binaryListValues: [], dataType: "Binary" },
      },
    });
    expect(record?.receiptHandle).toEqual(expect.any(String));
    expect(record?.attributes).toMatchObject({
      ApproximateReceiveCount: "1",
      SentTimestamp: expect.stringMatching(/^\d+$/),
      SenderId: expect.any(String),
      ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
    });
  });

  it("delivers a message within milliseconds of its arrival (long poll, no sleep loop)", async () => {
    const queue = await createQueue();
    lambda.respond(queue.functionName, ok);
    await start([{ queue }]);
    await sleep(50); // let both pollers settle into their long poll

    const latencies: number[] = [];
    for (let i = 0; i < 40; i += 1) {
      const sentAt = performance.now();
      await send(queue, `latency-${i}`);
      await waitUntil(() => lambda.of(queue.functionName).length === i + 1, 2000, `message ${i}`);
      latencies.push((lambda.of(queue.functionName)[i]?.at ?? Number.NaN) - sentAt);
    }

    console.info(
      `send→invoke latency over ${latencies.length} messages: median ${median(latencies).toFixed(2)} ms, ` +
        `p95 ${percentile(latencies, 0.95).toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms`,
    );
    expect(Math.max(...latencies)).toBeLessThan(300);
  });

  it("honours batchSize and delivers each of 25 messages exactly once", async () => {
    const queue = await createQueue(1);
    lambda.respond(queue.functionName, ok);
    await start([{ queue, batchSize: 10 }]);

    await sendMany(queue, 25);
    await waitUntil(() => records(lambda.of(queue.functionName)).length >= 25, 3000, "25 records");
    await sleep(1300); // past the visibility timeout: anything left undeleted would come back

    const invocations = lambda.of(queue.functionName);
    expect(Math.max(...invocations.map((i) => i.event.Records.length))).toBeLessThanOrEqual(10);
    const bodies = records(invocations).map((r) => r.body);
    expect(bodies).toHaveLength(25);
    expect(new Set(bodies).size).toBe(25);
    expect(await queueDepth(queue)).toEqual({ visible: 0, inFlight: 0 });
  });

  it("caps batchSize at 10", async () => {
    const queue = await createQueue();
    lambda.respond(queue.functionName, ok);
    await sendMany(queue, 15);
    await start([{ queue, batchSize: 50 }], { pollersPerMapping: 1 });

    await waitUntil(() => records(lambda.of(queue.functionName)).length === 15, 2000, "15 records");
    expect(lambda.of(queue.functionName).map((i) => i.event.Records.length)).toEqual([10, 5]);
    expect(logs).toContainEqual(expect.objectContaining({ event: "sqs-esm.batch-size-capped", used: 10 }));
  });

  it("redelivers only the items reported in batchItemFailures", async () => {
    const queue = await createQueue(1);
    lambda.respond(queue.functionName, ({ event }) => {
      const failing = event.Records.filter((r) => r.body === "b" && r.attributes.ApproximateReceiveCount === "1");
      return { body: { batchItemFailures: failing.map((r) => ({ itemIdentifier: r.messageId })) } };
    });
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: ["a", "b", "c"].map((body) => ({ Id: body, MessageBody: body })),
      }),
    );
    await start([{ queue }]);

    await waitUntil(() => lambda.of(queue.functionName).length === 2, 3000, "the redelivery");
    await sleep(1300); // nothing else may come back after another visibility timeout

    const [first, second] = lambda.of(queue.functionName);
    expect(lambda.of(queue.functionName)).toHaveLength(2);
    expect(first?.event.Records.map((r) => r.body).sort()).toEqual(["a", "b", "c"]);
    expect(second?.event.Records.map((r) => [r.body, r.attributes.ApproximateReceiveCount])).toEqual([["b", "2"]]);
    // Redelivered by the queue's 1 s visibility timeout, not sooner.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThan(900);
    expect(await queueDepth(queue)).toEqual({ visible: 0, inFlight: 0 });

    const failedId = second?.event.Records[0]?.messageId;
    expect(logs).toContainEqual(
      expect.objectContaining({
        event: "sqs-esm.partial-batch-failure",
        functionName: queue.functionName,
        queue: queue.arn.split(":").pop(),
        failedMessageIds: [failedId],
        messageIds: expect.arrayContaining([failedId]),
      }),
    );
  });

  const wholeBatchFailures: Array<[string, FakeReply, boolean]> = [
    ["a non-2xx status", { status: 500, body: { message: "boom" } }, true],
    ["an X-Amz-Function-Error header", { headers: { "X-Amz-Function-Error": "Unhandled" }, body: { oops: 1 } }, true],
    ["an errorMessage payload without the header", { body: { errorType: "Error", errorMessage: "boom" } }, true],
    ["an itemIdentifier not in the batch", { body: { batchItemFailures: [{ itemIdentifier: "nope" }] } }, true],
    ["an empty itemIdentifier", { body: { batchItemFailures: [{ itemIdentifier: "" }] } }, true],
    ["a response that is not JSON", { body: "not json{" }, true],
    ["a function error when batch failures are not reported", { status: 502 }, false],
  ];

  it.each(wholeBatchFailures)("redelivers the whole batch after %s", async (_, failure, reportBatchItemFailures) => {
    const queue = await createQueue(1);
    lambda.respond(queue.functionName, ({ event }) =>
      event.Records.some((r) => r.attributes.ApproximateReceiveCount === "1") ? failure : {},
    );
    await sendMany(queue, 3);
    await start([{ queue, reportBatchItemFailures }]);

    await waitUntil(() => records(lambda.of(queue.functionName)).length === 6, 3000, "the redelivery");
    const [first, second] = lambda.of(queue.functionName);
    expect(second?.event.Records.map((r) => r.messageId).sort()).toEqual(
      first?.event.Records.map((r) => r.messageId).sort(),
    );
    expect(second?.event.Records.every((r) => r.attributes.ApproximateReceiveCount === "2")).toBe(true);
    await waitUntil(() => logs.length > 0, 1000, "the failure log");
    expect(logs).toContainEqual(
      expect.objectContaining({
        event: "sqs-esm.invocation-failed",
        functionName: queue.functionName,
        messageIds: expect.arrayContaining(first?.event.Records.map((r) => r.messageId) ?? []),
      }),
    );
    await waitUntil(() => lambda.of(queue.functionName).length === 2, 100, "settling");
    await sleep(50); // the final delete
    expect(await queueDepth(queue)).toEqual({ visible: 0, inFlight: 0 });
  });

  it("deletes the whole batch on success when batch failures are not reported", async () => {
    const queue = await createQueue(1);
    lambda.respond(queue.functionName, ({ event }) => ({
      body: { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) },
    }));
    await sendMany(queue, 3);
    await start([{ queue, reportBatchItemFailures: false }]);

    await waitUntil(() => records(lambda.of(queue.functionName)).length === 3, 2000, "3 records");
    await sleep(1300);
    expect(records(lambda.of(queue.functionName))).toHaveLength(3);
    expect(await queueDepth(queue)).toEqual({ visible: 0, inFlight: 0 });
    expect(logs).toEqual([]);
  });

  it("hints at the naming convention when the function does not exist", async () => {
    const queue = await createQueue(30);
    await start([{ queue, functionName: "consumer" }], { pollersPerMapping: 1 });
    await send(queue, "for a function that is not there");

    await waitUntil(() => logs.length > 0, 1000, "the failure log");
    expect(logs[0]).toMatchObject({
      event: "sqs-esm.invocation-failed",
      functionName: "consumer",
      reason: expect.stringContaining("<service>-<stage>-<key>"),
      response: { status: 404 },
    });
  });

  it("keeps other pollers and other queues flowing while one invocation is slow", async () => {
    const slow = await createQueue();
    const fast = await createQueue();
    lambda.respond(slow.functionName, ({ event }) => ({ delayMs: event.Records[0]?.body === "stuck" ? 1500 : 0 }));
    lambda.respond(fast.functionName, ok);
    await start([{ queue: slow, batchSize: 1 }, { queue: fast }], { pollersPerMapping: 2 });
    await sleep(50);

    await send(slow, "stuck");
    await waitUntil(() => lambda.of(slow.functionName).length === 1, 1000, "the slow invocation");

    const sentAt = performance.now();
    await send(slow, "same queue, other poller");
    await send(fast, "other queue");
    await waitUntil(
      () => lambda.of(slow.functionName).length === 2 && lambda.of(fast.functionName).length === 1,
      1000,
      "the other deliveries",
    );
    const lastArrival = Math.max(lambda.of(slow.functionName)[1]?.at ?? 0, lambda.of(fast.functionName)[0]?.at ?? 0);
    expect(lastArrival - sentAt).toBeLessThan(300);
  });

  it("stop() aborts pending long polls promptly", async () => {
    const queue = await createQueue();
    lambda.respond(queue.functionName, ok);
    const sources = await start([{ queue }], { pollersPerMapping: 4 });
    await sleep(200); // all four pollers are now inside a 20 s long poll

    const t0 = performance.now();
    await sources.stop();
    const elapsed = performance.now() - t0;
    console.info(`stop() with 4 pending long polls took ${elapsed.toFixed(1)} ms`);
    expect(elapsed).toBeLessThan(1000);
  });

  it("stop() waits for an in-flight invocation and still deletes its batch", async () => {
    const queue = await createQueue(30);
    lambda.respond(queue.functionName, () => ({ delayMs: 300 }));
    const sources = await start([{ queue }]);
    await send(queue, "in flight");
    await waitUntil(() => lambda.of(queue.functionName).length === 1, 1000, "the invocation");

    const t0 = performance.now();
    await sources.stop();
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThan(200);
    expect(elapsed).toBeLessThan(1000);
    expect(await queueDepth(queue)).toEqual({ visible: 0, inFlight: 0 });
  });

  it("logs and retries when the Lambda endpoint is down, without crashing", async () => {
    const queue = await createQueue(1);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadEndpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const sources = await start([{ queue }], { lambdaEndpoint: deadEndpoint, pollersPerMapping: 1 });
    await send(queue, "nobody home");
    await waitUntil(() => logs.some((e) => e.event === "sqs-esm.invoke-unreachable"), 1000, "the log");
    const t0 = performance.now();
    await sources.stop();
    expect(performance.now() - t0).toBeLessThan(1000);
    // Not deleted: it comes back once the endpoint is up again.
    lambda.respond(queue.functionName, ok);
    await start([{ queue }]);
    await waitUntil(() => lambda.of(queue.functionName).length === 1, 2500, "the redelivery");
  });

  it.runIf(way === ways[0]?.way)("logs and backs off when SQS is unreachable, and still stops promptly", async () => {
    const queue = await createQueue();
    const sources = await start([{ queue }], { sqsEndpoint: "http://127.0.0.1:9" });
    await sleep(500);
    const receiveErrors = logs.filter((e) => e.event === "sqs-esm.receive-failed");
    expect(receiveErrors.length).toBeGreaterThan(0);
    // Capped exponential backoff: a handful of attempts per poller, not a hot loop.
    expect(receiveErrors.length).toBeLessThan(20);
    const t0 = performance.now();
    await sources.stop();
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("drains a backlog exactly once across several pollers and batch sizes", { timeout: 60_000 }, async () => {
    for (const [batchSize, pollers, count] of [
      [1, 4, 200],
      [10, 2, 500],
    ] as const) {
      const queue = await createQueue();
      lambda.respond(queue.functionName, () => ({}));
      await sendMany(queue, count);
      await start([{ queue, batchSize }], { pollersPerMapping: pollers });
      await waitUntil(() => records(lambda.of(queue.functionName)).length >= count, 50_000, `${count} records`);
      await Promise.all(running.splice(0).map((s) => s.stop()));
      const ids = records(lambda.of(queue.functionName)).map((r) => r.messageId);
      expect(new Set(ids).size).toBe(count);
      expect(lambda.of(queue.functionName).every((i) => i.event.Records.length <= batchSize)).toBe(true);
    }
  });
});
