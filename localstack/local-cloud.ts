/**
 * An embedded "local cloud" on one port, like LocalStack's edge endpoint: DynamoDB (AWS's own
 * DynamoDB Local, a child JVM) and SQS (fauxqs) behind one HTTP gateway. Point any AWS client at
 * `endpoint` with fake credentials.
 *
 * `startSqsEndpoint` is the part without the JVM (gateway + fauxqs, given DynamoDB Local's port):
 * the local system runs it in a process of its own so that it can be restarted alone.
 */
import { startDynamoDbLocal, type DynamoDbLocal } from "./dynamodb-local.js";
import { startFauxqsBackend, type FauxqsBackend } from "./fauxqs-backend.js";
import { listenGateway, type Gateway } from "./gateway.js";
import type { QueueAccess } from "./event-source.js";

export const DEFAULT_PORT = 4566;
export const DEFAULT_REGION = "us-east-1";

export interface SqsEndpoint {
  /** The gateway's port (DynamoDB and SQS). */
  port: number;
  /** fauxqs's own loopback port. */
  fauxqsPort: number;
  /** fauxqs's queues in this process (for the event sources). */
  queues: QueueAccess;
  stop(): Promise<void>;
}

export interface SqsEndpointOptions {
  /** Public port of the gateway; 0 picks a free one. */
  port: number;
  region: string;
  /** Where DynamoDB calls go (DynamoDB Local's port). */
  dynamodbPort: number;
  /** fauxqs's port; default a free one. */
  fauxqsPort?: number;
}

/** Stops whatever did start, ignoring secondary failures so the first error is the one reported. */
async function stopAll(parts: Array<{ stop(): Promise<void> } | { close(): Promise<void> } | undefined>): Promise<void> {
  await Promise.allSettled(parts.map((part) => (part === undefined ? undefined : "stop" in part ? part.stop() : part.close())));
}

/** The gateway and fauxqs in this process; DynamoDB calls are forwarded to `dynamodbPort`. */
export async function startSqsEndpoint(options: SqsEndpointOptions): Promise<SqsEndpoint> {
  // Bind the public port first: if it is taken we fail in milliseconds.
  const gateway: Gateway = await listenGateway({ port: options.port, region: options.region });
  let fauxqs: FauxqsBackend;
  try {
    fauxqs = await startFauxqsBackend({ region: options.region, port: options.fauxqsPort });
  } catch (err) {
    await gateway.close();
    throw err;
  }
  gateway.attach({ dynamodbPort: options.dynamodbPort, fauxqsPort: fauxqs.port });
  let stopping: Promise<void> | undefined;
  return {
    port: gateway.port,
    fauxqsPort: fauxqs.port,
    queues: fauxqs.access,
    stop() {
      // Gateway first, so no request reaches a backend that is going away.
      stopping ??= gateway.close().then(() => fauxqs.stop());
      return stopping;
    },
  };
}

export interface LocalCloud {
  endpoint: string;
  port: number;
  pids: number[];
  dynamodb: DynamoDbLocal;
  stop(): Promise<void>;
}

export interface LocalCloudOptions {
  /** Public port of the gateway; 0 picks a free one. Default 4566, LocalStack's. */
  port?: number;
  /** Region assumed when a request is not SigV4-signed. Default us-east-1. */
  region?: string;
  /** Keep DynamoDB's data in this folder instead of in memory. */
  dataDir?: string;
  log?: (line: string) => void;
}

/** DynamoDB Local and the SQS endpoint in one call (this process + one JVM). */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const region = options.region ?? DEFAULT_REGION;
  const log = options.log;
  const startedAt = Date.now();
  // The gateway's port is checked before the JVM starts: a taken port fails in milliseconds.
  const probe = await listenGateway({ port: options.port ?? DEFAULT_PORT, region });
  const port = probe.port;
  await probe.close();
  let dynamodb: DynamoDbLocal | undefined;
  let sqs: SqsEndpoint | undefined;
  try {
    dynamodb = await startDynamoDbLocal({ log, dataDir: options.dataDir });
    sqs = await startSqsEndpoint({ port, region, dynamodbPort: dynamodb.port });
  } catch (err) {
    await stopAll([sqs, dynamodb]);
    throw err;
  }
  const endpoint = `http://localhost:${sqs.port}`;
  log?.(`local cloud: ${endpoint} (dynamodb + sqs) ready in ${Date.now() - startedAt} ms`);
  const parts = { sqs, dynamodb };
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port: sqs.port,
    pids: [dynamodb.pid],
    dynamodb,
    stop() {
      stopping ??= parts.sqs
        .stop()
        .then(() => parts.dynamodb.stop())
        .then(() => log?.("local cloud: stopped"));
      return stopping;
    },
  };
}
