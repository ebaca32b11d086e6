/**
 * Local SQS → Lambda event source mapping for serverless-offline.
 *
 * serverless-offline emulates API Gateway and exposes the Lambda Invoke API, but ignores `sqs`
 * events, and serverless-offline-sqs waits up to 5 s to fill a batch and ignores
 * `batchItemFailures`. This module does what AWS's event source mapping does for a standard queue:
 * long-poll the queue, invoke the function synchronously with a real-shaped SQS event, then delete
 * what succeeded and leave the rest to reappear after the queue's visibility timeout.
 *
 * Concurrency follows AWS: each poller handles one batch at a time, so a mapping runs at most
 * `pollersPerMapping` invocations at once and a slow invocation blocks only its own poller.
 */
import http from "node:http";
import { Buffer } from "node:buffer";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
  type MessageAttributeValue,
} from "@aws-sdk/client-sqs";
import type {
  SQSEvent,
  SQSMessageAttribute,
  SQSMessageAttributes,
  SQSRecord,
  SQSRecordAttributes,
} from "aws-lambda";

/** A received message: the SDK's shape, except that an in-process emulator gives binary attributes as base64 text. */
export type ReceivedMessage = Omit<Message, "MessageAttributes"> & {
  MessageAttributes?: Record<string, Omit<MessageAttributeValue, "BinaryValue"> & { BinaryValue?: Uint8Array | string }>;
};

/**
 * The SQS calls an event source makes — the ones AWS's event source mapping makes (and bills):
 * over HTTP with the SDK (any SQS endpoint), or straight into an emulator in this process.
 */
export interface QueueAccess {
  /**
   * Up to `max` messages with all their attributes, waiting up to `waitSeconds` for the first;
   * [] when none came. Ends early (with what it has) once `signal` aborts.
   */
  receive(queueUrl: string, max: number, waitSeconds: number, signal: AbortSignal): Promise<ReceivedMessage[]>;
  /** Deletes by receipt handle; returns the entries that failed. */
  deleteBatch(queueUrl: string, entries: Array<{ Id: string; ReceiptHandle: string }>): Promise<Array<{ Id: string; Code?: string; Message?: string }>>;
  close(): void;
}

export interface SqsEventSourceMapping {
  /**
   * The deployed Lambda name, NOT the key under `functions:` in serverless.yml.
   * serverless-offline registers each function under `functionDefinition.name`
   * (node_modules/serverless-offline/src/lambda/Lambda.js, `#createEvent`: the name → key map that
   * `InvocationsController.invoke` checks), and Serverless v3 fills that in as
   * `${service}-${stage}-${functionKey}` unless the function sets `name:` explicitly
   * (node_modules/serverless/lib/classes/service.js, `setFunctionNames`). So the function
   * `replicateS1` of service `replog` on stage `dev` is `replog-dev-replicateS1`; the short key
   * gets a 404 ResourceNotFoundException.
   */
  functionName: string;
  /** Used as given: the SQS client has an explicit endpoint, so the URL's host is never dialled. */
  queueUrl: string;
  /** Copied into each record's `eventSourceARN`. */
  queueArn: string;
  /** 1..10: one ReceiveMessage returns at most 10 messages and we never wait to fill a batch. */
  batchSize: number;
  /** The mapping's `functionResponseTypes: [ReportBatchItemFailures]`. */
  reportBatchItemFailures: boolean;
}

export interface EventSources {
  /**
   * Aborts pending long polls, waits for in-flight invocations (and their deletes) to finish.
   * Caveat: fauxqs does not notice a client abandoning a long poll. For up to 20 s after stop(),
   * the abandoned poll can still take the next message sent to that queue, which then stays
   * invisible for one visibility timeout. Keep the sources running across handler reloads
   * (serverless-offline reloads handlers itself) rather than stopping and restarting them.
   */
  stop(): Promise<void>;
}

export type EventSourceLog = (entry: Record<string, unknown>) => void;

export interface StartEventSourcesOptions {
  /** Where the queues are: an SQS endpoint (called with the SDK), or an emulator in this process. */
  queues: { sqsEndpoint: string } | { access: QueueAccess };
  region: string;
  /** Base URL of serverless-offline's Lambda port, e.g. http://localhost:3002 */
  lambdaEndpoint: string;
  mappings: SqsEventSourceMapping[];
  /** Concurrent receive loops per queue (default 2). */
  pollersPerMapping?: number;
  log?: EventSourceLog;
  /** Counts the SQS requests the mappings make, as AWS bills an event source mapping's (aws-usage.ts). */
  count?: (key: string, n?: number) => void;
}

const MAX_BATCH_SIZE = 10;
const LONG_POLL_SECONDS = 20;
// Longer than the long poll, so a hung emulator surfaces as an error instead of a silent stall.
const SQS_REQUEST_TIMEOUT_MS = (LONG_POLL_SECONDS + 5) * 1000;
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 2000;
const LOGGED_PAYLOAD_CHARS = 500;

export async function startEventSources(opts: StartEventSourcesOptions): Promise<EventSources> {
  const pollers = opts.pollersPerMapping ?? 2;
  if (!Number.isInteger(pollers) || pollers < 1) {
    throw new Error(`pollersPerMapping must be a positive integer, got ${pollers}`);
  }
  const log = neverThrows(opts.log ?? logToStderr);
  const mappings = opts.mappings.map((m) => normaliseMapping(m, log));

  const controller = new AbortController();
  const queues = "access" in opts.queues ? opts.queues.access : sdkQueueAccess(opts.queues.sqsEndpoint, opts.region);
  // Invocations reuse keep-alive connections to the Lambda port.
  const invoker = new http.Agent({ keepAlive: true });
  const ctx: PollerContext = {
    queues,
    invoker,
    region: opts.region,
    lambdaEndpoint: opts.lambdaEndpoint.replace(/\/+$/, ""),
    log,
    signal: controller.signal,
    count: opts.count ?? (() => undefined),
  };

  const loops = mappings.flatMap((mapping) =>
    Array.from({ length: pollers }, () => runPoller(ctx, mapping)),
  );

  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= stopAll(controller, loops, queues, invoker);
      return stopped;
    },
  };
}

async function stopAll(controller: AbortController, loops: Promise<void>[], queues: QueueAccess, invoker: http.Agent): Promise<void> {
  controller.abort();
  await Promise.allSettled(loops);
  queues.close();
  invoker.destroy();
}

interface PollerContext {
  queues: QueueAccess;
  invoker: http.Agent;
  region: string;
  lambdaEndpoint: string;
  log: EventSourceLog;
  signal: AbortSignal;
  count: (key: string, n?: number) => void;
}

function normaliseMapping(mapping: SqsEventSourceMapping, log: EventSourceLog): SqsEventSourceMapping {
  const { batchSize } = mapping;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize for ${mapping.functionName} must be an integer >= 1, got ${batchSize}`);
  }
  if (batchSize > MAX_BATCH_SIZE) {
    log({
      level: "warn",
      event: "sqs-esm.batch-size-capped",
      functionName: mapping.functionName,
      requested: batchSize,
      used: MAX_BATCH_SIZE,
    });
  }
  return { ...mapping, batchSize: Math.min(batchSize, MAX_BATCH_SIZE) };
}

/** The queues behind an SQS endpoint, with the SDK. */
export function sdkQueueAccess(endpoint: string, region: string): QueueAccess {
  // One keep-alive agent for every long poll and delete; no socket cap, since each poller holds a
  // socket for up to 20 s and a cap would queue deletes behind idle polls.
  const agent = new http.Agent({ keepAlive: true });
  const sqs = new SQSClient({
    endpoint,
    region,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "test",
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "test",
    },
    requestHandler: {
      httpAgent: agent,
      connectionTimeout: 2000,
      requestTimeout: SQS_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  });
  return {
    async receive(QueueUrl, max, waitSeconds, signal) {
      const command = new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        // Both spellings: some emulators only honour the deprecated AttributeNames.
        AttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      });
      const output = await sqs.send(command, { abortSignal: signal });
      return output.Messages ?? [];
    },
    async deleteBatch(QueueUrl, Entries) {
      const output = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries }));
      return (output.Failed ?? []).map((f) => ({ Id: f.Id ?? "", Code: f.Code, Message: f.Message }));
    },
    close() {
      sqs.destroy();
      agent.destroy();
    },
  };
}

/** One receive → invoke → delete loop. Never throws: every failure is logged and retried. */
async function runPoller(ctx: PollerContext, mapping: SqsEventSourceMapping): Promise<void> {
  let consecutiveErrors = 0;
  while (!ctx.signal.aborted) {
    let messages: ReceivedMessage[];
    try {
      messages = await receiveBatch(ctx, mapping);
    } catch (error) {
      if (ctx.signal.aborted) return;
      consecutiveErrors += 1;
      const retryInMs = backoffMs(consecutiveErrors);
      ctx.log({ level: "error", event: "sqs-esm.receive-failed", ...where(mapping), error: describe(error), retryInMs });
      await pause(retryInMs, ctx.signal);
      continue;
    }
    if (messages.length === 0) continue;

    // Not tied to ctx.signal: once messages are received, finish the batch even while stopping, so
    // processed messages get deleted instead of being redelivered on the next start.
    const reachedFunction = await deliverBatch(ctx, mapping, messages).catch((error: unknown) => {
      // A bug here must not end the loop (or crash the process with an unhandled rejection).
      ctx.log({ level: "error", event: "sqs-esm.delivery-crashed", ...where(mapping), error: describe(error) });
      return false;
    });
    if (reachedFunction) {
      consecutiveErrors = 0;
    } else {
      // The Lambda endpoint is down: don't keep pulling messages into invisibility.
      consecutiveErrors += 1;
      await pause(backoffMs(consecutiveErrors), ctx.signal);
    }
  }
}

async function receiveBatch(ctx: PollerContext, mapping: SqsEventSourceMapping): Promise<ReceivedMessage[]> {
  ctx.count("esm|sqs:ReceiveMessage");
  const messages = await ctx.queues.receive(mapping.queueUrl, mapping.batchSize, LONG_POLL_SECONDS, ctx.signal);
  if (messages.length === 0) ctx.count("esm|sqs:EmptyReceive");
  ctx.count("esm|records", messages.length);
  return messages;
}

/** Invokes the function with one batch and settles it. Returns false if the function was unreachable. */
async function deliverBatch(
  ctx: PollerContext,
  mapping: SqsEventSourceMapping,
  messages: ReceivedMessage[],
): Promise<boolean> {
  const event: SQSEvent = { Records: messages.map((m) => toRecord(m, mapping, ctx.region)) };
  const messageIds = event.Records.map((r) => r.messageId);

  let outcome: InvokeOutcome;
  try {
    outcome = await invokeFunction(ctx, mapping.functionName, event);
  } catch (error) {
    ctx.log({ level: "error", event: "sqs-esm.invoke-unreachable", ...where(mapping), messageIds, error: describe(error) });
    return false;
  }

  const settlement = settleBatch(outcome, mapping.reportBatchItemFailures, new Set(messageIds));
  logSettlement(ctx.log, mapping, messageIds, settlement);
  const failed = new Set(settlement.failedIds);
  const toDelete = messages.filter((m) => !failed.has(m.MessageId ?? ""));
  await deleteMessages(ctx, mapping, toDelete);
  return true;
}

type InvokeOutcome =
  | { ok: true; payload: string }
  | { ok: false; status: number; functionError: string | null; payload: string };

/** Synchronous (RequestResponse) Invoke over a keep-alive connection. Throws only when the endpoint can't be reached. */
function invokeFunction(ctx: PollerContext, functionName: string, event: SQSEvent): Promise<InvokeOutcome> {
  const url = new URL(`${ctx.lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`);
  const body = JSON.stringify(event);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: "POST",
        agent: ctx.invoker,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-amz-invocation-type": "RequestResponse" },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const payload = Buffer.concat(chunks).toString("utf8");
          const status = response.statusCode ?? 0;
          const header = response.headers["x-amz-function-error"];
          const functionError = typeof header === "string" ? header : null;
          if (status < 200 || status >= 300 || functionError !== null || isErrorPayload(payload)) {
            resolve({ ok: false, status, functionError, payload });
          } else resolve({ ok: true, payload });
        });
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** The shape Lambda gives a thrown error; serverless-offline also sends it without the header. */
function isErrorPayload(payload: string): boolean {
  const parsed = parseJson(payload);
  return isObject(parsed) && (typeof parsed.errorMessage === "string" || typeof parsed.errorType === "string");
}

interface Settlement {
  kind: "success" | "partial" | "failed";
  /** Messages to leave in the queue; they reappear after the visibility timeout. */
  failedIds: string[];
  reason?: string;
  outcome: InvokeOutcome;
}

function settleBatch(outcome: InvokeOutcome, reportBatchItemFailures: boolean, batchIds: Set<string>): Settlement {
  const all = [...batchIds];
  if (!outcome.ok) {
    return { kind: "failed", failedIds: all, reason: describeFailure(outcome), outcome };
  }
  if (!reportBatchItemFailures) {
    return { kind: "success", failedIds: [], outcome };
  }
  const parsed = parseBatchItemFailures(outcome.payload, batchIds);
  if ("malformed" in parsed) {
    return { kind: "failed", failedIds: all, reason: parsed.malformed, outcome };
  }
  return { kind: parsed.failedIds.length > 0 ? "partial" : "success", failedIds: parsed.failedIds, outcome };
}

function describeFailure(outcome: Extract<InvokeOutcome, { ok: false }>): string {
  // The likeliest local misconfiguration: using the serverless.yml key instead of the full name.
  if (outcome.status === 404) return "function not found (serverless-offline expects <service>-<stage>-<key>)";
  if (outcome.functionError !== null) return `function error (${outcome.functionError})`;
  return outcome.status >= 300 ? `invoke returned HTTP ${outcome.status}` : "function error";
}

/**
 * AWS's rules (Lambda guide, "Reporting batch item failures"): an empty or null response, or a
 * null/empty `batchItemFailures`, is full success; invalid JSON, or an itemIdentifier that is
 * missing, empty or not a message of this batch, fails the whole batch.
 */
function parseBatchItemFailures(
  payload: string,
  batchIds: Set<string>,
): { failedIds: string[] } | { malformed: string } {
  if (payload.trim() === "") return { failedIds: [] };
  const parsed = parseJson(payload);
  if (parsed === undefined) return { malformed: "response is not JSON" };
  if (parsed === null) return { failedIds: [] };
  if (!isObject(parsed)) return { malformed: "response is not an object" };
  const failures = parsed.batchItemFailures;
  if (failures === undefined || failures === null) return { failedIds: [] };
  if (!Array.isArray(failures)) return { malformed: "batchItemFailures is not a list" };

  const failedIds = new Set<string>();
  for (const failure of failures) {
    const id = isObject(failure) ? failure.itemIdentifier : undefined;
    if (typeof id !== "string" || id === "") return { malformed: "itemIdentifier missing or empty" };
    if (!batchIds.has(id)) return { malformed: `itemIdentifier ${id} is not in the batch` };
    failedIds.add(id);
  }
  return { failedIds: [...failedIds] };
}

function logSettlement(
  log: EventSourceLog,
  mapping: SqsEventSourceMapping,
  messageIds: string[],
  settlement: Settlement,
): void {
  if (settlement.kind === "success") return;
  const { outcome } = settlement;
  const response = outcome.ok
    ? { payload: truncate(outcome.payload) }
    : { status: outcome.status, functionError: outcome.functionError, payload: truncate(outcome.payload) };
  log({
    level: "warn",
    event: settlement.kind === "partial" ? "sqs-esm.partial-batch-failure" : "sqs-esm.invocation-failed",
    ...where(mapping),
    messageIds,
    failedMessageIds: settlement.failedIds,
    ...(settlement.reason === undefined ? {} : { reason: settlement.reason }),
    response,
  });
}

async function deleteMessages(ctx: PollerContext, mapping: SqsEventSourceMapping, messages: ReceivedMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const entries = messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" }));
  try {
    // Not tied to the stop signal: a delete skipped during stop() would mean a duplicate delivery later.
    ctx.count("esm|sqs:DeleteMessageBatch");
    const failed = await ctx.queues.deleteBatch(mapping.queueUrl, entries);
    if (failed.length > 0) {
      const failedIds = failed.map((f) => messages[Number(f.Id)]?.MessageId);
      ctx.log({ level: "error", event: "sqs-esm.delete-failed", ...where(mapping), messageIds: failedIds, failures: failed });
    }
  } catch (error) {
    // The messages were processed; they will be redelivered after the visibility timeout.
    const messageIds = messages.map((m) => m.MessageId);
    ctx.log({ level: "error", event: "sqs-esm.delete-failed", ...where(mapping), messageIds, error: describe(error) });
  }
}

/** The record shape Lambda builds from an SQS message (camelCase, string attributes). */
function toRecord(message: ReceivedMessage, mapping: SqsEventSourceMapping, region: string): SQSRecord {
  const record: SQSRecord = {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    // We ask for "All", so SQS returns the four attributes the type requires, plus FIFO ones.
    attributes: { ...message.Attributes } as SQSRecordAttributes,
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: mapping.queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes !== undefined) {
    record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  }
  return record;
}

function toLambdaMessageAttributes(attributes: ReceivedMessage["MessageAttributes"]): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    result[name] = toLambdaMessageAttribute(value);
  }
  return result;
}

function toLambdaMessageAttribute(value: NonNullable<ReceivedMessage["MessageAttributes"]>[string]): SQSMessageAttribute {
  const attribute: SQSMessageAttribute = {
    // AWS always sends the (unused) list fields as empty arrays.
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map(toBase64),
    dataType: value.DataType ?? "String",
  };
  if (value.StringValue !== undefined) attribute.stringValue = value.StringValue;
  if (value.BinaryValue !== undefined) attribute.binaryValue = toBase64(value.BinaryValue);
  return attribute;
}

/** Lambda gives binary values as base64; an in-process emulator may hand them over already so. */
function toBase64(bytes: Uint8Array | string): string {
  return typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("base64");
}

function where(mapping: SqsEventSourceMapping): Record<string, string> {
  return {
    functionName: mapping.functionName,
    queue: mapping.queueArn.split(":").pop() ?? mapping.queueArn,
    queueUrl: mapping.queueUrl,
  };
}

function backoffMs(consecutiveErrors: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** (consecutiveErrors - 1), BACKOFF_MAX_MS);
}

/** Sleeps, but wakes at once when stop() aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function truncate(text: string): string {
  return text.length > LOGGED_PAYLOAD_CHARS ? `${text.slice(0, LOGGED_PAYLOAD_CHARS)}…` : text;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.name}: ${error.message}${cause}`;
}

/** A throwing log callback must not stop a poller. */
function neverThrows(log: EventSourceLog): EventSourceLog {
  return (entry) => {
    try {
      log(entry);
    } catch {
      // Nowhere better to report it.
    }
  };
}

function logToStderr(entry: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
}
