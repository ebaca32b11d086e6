/**
 * An embedded "local cloud" on one port, like LocalStack's edge endpoint: DynamoDB (AWS's own
 * DynamoDB Local, a child JVM) and SQS (fauxqs, in this process) behind one HTTP gateway.
 * Point any AWS client at `endpoint` with fake credentials.
 */
import { startDynamoDbLocal, type DynamoDbLocal } from "./dynamodb-local.js";
import { startFauxqsBackend, type FauxqsBackend } from "./fauxqs-backend.js";
import { listenGateway, type Gateway } from "./gateway.js";

export interface LocalCloud {
  endpoint: string;
  port: number;
  pids: number[];
  stop(): Promise<void>;
}

export interface LocalCloudOptions {
  /** Public port of the gateway; 0 picks a free one. Default 4566, LocalStack's. */
  port?: number;
  /** Region assumed when a request is not SigV4-signed. Default us-east-1. */
  region?: string;
  log?: (line: string) => void;
}

export const DEFAULT_PORT = 4566;
export const DEFAULT_REGION = "us-east-1";

/** Stops whatever did start, ignoring secondary failures so the first error is the one reported. */
async function stopAll(parts: Array<{ stop(): Promise<void> } | { close(): Promise<void> } | undefined>): Promise<void> {
  await Promise.allSettled(parts.map((part) => (part === undefined ? undefined : "stop" in part ? part.stop() : part.close())));
}

export async function startLocalCloud(opts?: { port?: number; region?: string; log?: (line: string) => void }): Promise<LocalCloud> {
  const options: LocalCloudOptions = opts ?? {};
  const region = options.region ?? DEFAULT_REGION;
  const log = options.log;
  const startedAt = Date.now();

  // Bind the public port first: if it is taken we fail in milliseconds, before starting a JVM.
  const gateway: Gateway = await listenGateway({ port: options.port ?? DEFAULT_PORT, region });
  let dynamodb: DynamoDbLocal | undefined;
  let fauxqs: FauxqsBackend | undefined;
  try {
    // Started in parallel; settle both so neither is orphaned if the other fails.
    const [dynamoResult, fauxqsResult] = await Promise.allSettled([
      startDynamoDbLocal({ log }),
      startFauxqsBackend({ region }),
    ]);
    if (dynamoResult.status === "fulfilled") dynamodb = dynamoResult.value;
    if (fauxqsResult.status === "fulfilled") fauxqs = fauxqsResult.value;
    if (dynamoResult.status === "rejected") throw dynamoResult.reason;
    if (fauxqsResult.status === "rejected") throw fauxqsResult.reason;
  } catch (err) {
    await stopAll([gateway, fauxqs, dynamodb]);
    throw err;
  }
  const backends = { dynamodb: dynamodb as DynamoDbLocal, fauxqs: fauxqs as FauxqsBackend };
  gateway.attach({ dynamodbPort: backends.dynamodb.port, fauxqsPort: backends.fauxqs.port });
  log?.(`fauxqs: ready on 127.0.0.1:${backends.fauxqs.port}`);

  const endpoint = `http://localhost:${gateway.port}`;
  log?.(`local cloud: ${endpoint} (dynamodb + sqs) ready in ${Date.now() - startedAt} ms`);
  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port: gateway.port,
    pids: [backends.dynamodb.pid],
    stop() {
      // Gateway first, so no request reaches a backend that is going away.
      stopping ??= gateway
        .close()
        .then(() => stopAll([backends.fauxqs, backends.dynamodb]))
        .then(() => log?.("local cloud: stopped"));
      return stopping;
    },
  };
}
