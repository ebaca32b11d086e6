/**
 * The local system's SQS process: the one-port AWS endpoint (gateway + fauxqs, DynamoDB calls
 * forwarded to DynamoDB Local) and the SQS → Lambda event sources. It holds no data worth keeping
 * (a job lost with it is healed by catch-up, as on AWS), so the supervisor restarts it alone.
 * Started by local-system.ts with an IPC channel:
 *   env REPLOG_SQS_PROCESS = {"region", "gatewayPort", "fauxqsPort", "dynamodbPort"} (embedded)
 *                          | {"region"} (an emulator such as LocalStack already serves SQS)
 *   parent → {type: 'event-sources', sqsEndpoint, lambdaEndpoint, mappings}  (replaces any running)
 *   parent → {type: 'stop-event-sources'} → {type: 'event-sources-stopped'}
 *   parent → {type: 'stop'}; this → {type: 'ready'} | {type: 'event-sources-started'}
 * It stops when told, on SIGTERM, or when its parent goes away (the IPC channel closes).
 */
import { startEventSources, type EventSources, type SqsEventSourceMapping } from './event-source.js';
import { startSqsEndpoint, type SqsEndpoint } from './local-cloud.js';
import { UsageCounter, usageEnabled } from './aws-usage.js';

interface Settings {
  region: string;
  gatewayPort?: number;
  fauxqsPort?: number;
  dynamodbPort?: number;
}

interface EventSourcesMessage {
  type: 'event-sources';
  sqsEndpoint: string;
  lambdaEndpoint: string;
  mappings: SqsEventSourceMapping[];
}

const settings = JSON.parse(process.env.REPLOG_SQS_PROCESS ?? '{}') as Settings;
let endpoint: SqsEndpoint | undefined;
let sources: EventSources | undefined;
let stopping: Promise<void> | undefined;
// What the event sources would be billed for on AWS, when the bench asks (REPLOG_AWS_USAGE=1).
const usage = usageEnabled() ? new UsageCounter() : undefined;
usage?.report('sqs-process', (line) => console.log(line));

const send = (message: Record<string, unknown>) => {
  if (process.connected) process.send?.(message);
};

function stopAndExit(): Promise<void> {
  stopping ??= (async () => {
    await sources?.stop().catch(() => undefined);
    await endpoint?.stop().catch(() => undefined);
    process.exit(0);
  })();
  return stopping;
}

async function replaceEventSources(message: EventSourcesMessage): Promise<void> {
  const previous = sources;
  sources = undefined;
  await previous?.stop();
  sources = await startEventSources({
    // The embedded SQS emulator is in this process: receive and delete without HTTP.
    queues: endpoint ? { access: endpoint.queues } : { sqsEndpoint: message.sqsEndpoint },
    region: settings.region,
    lambdaEndpoint: message.lambdaEndpoint,
    mappings: message.mappings,
    log: (entry) => console.log(JSON.stringify({ source: 'event-source', ...entry })),
    ...(usage ? { count: (key: string, n?: number) => usage.add(key, n) } : {}),
  });
  send({ type: 'event-sources-started' });
}

process.on('message', (message: { type?: string }) => {
  if (message?.type === 'stop') void stopAndExit();
  if (message?.type === 'stop-event-sources') {
    const running = sources;
    sources = undefined;
    void Promise.resolve(running?.stop()).finally(() => send({ type: 'event-sources-stopped' }));
  }
  if (message?.type === 'event-sources') {
    replaceEventSources(message as EventSourcesMessage).catch((err: Error) => {
      console.error(`event sources could not start: ${err.message}`);
      process.exit(1);
    });
  }
});
process.on('disconnect', () => void stopAndExit());
// Ctrl-C reaches the whole process group; the supervisor decides the order things stop in.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => void stopAndExit());

async function main(): Promise<void> {
  if (settings.gatewayPort !== undefined && settings.dynamodbPort !== undefined) {
    endpoint = await startSqsEndpoint({
      port: settings.gatewayPort,
      region: settings.region,
      dynamodbPort: settings.dynamodbPort,
      fauxqsPort: settings.fauxqsPort,
    });
  }
  send({ type: 'ready', gatewayPort: endpoint?.port, fauxqsPort: endpoint?.fauxqsPort });
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
