/**
 * CLI: `tsx localstack/main.ts [--port N] [--region R]`
 * Starts DynamoDB + SQS behind one endpoint (default http://localhost:4566) until SIGINT/SIGTERM.
 */
import { DEFAULT_PORT, DEFAULT_REGION, startLocalCloud } from "./local-cloud.js";

const USAGE = `usage: tsx localstack/main.ts [--port N] [--region R]
  --port N     public port (default ${DEFAULT_PORT}; 0 picks a free one)
  --region R   region for unsigned requests (default ${DEFAULT_REGION})`;

interface CliOptions {
  port: number;
  region: string;
}

/** Accepts `--flag value` and `--flag=value`. */
function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = { port: DEFAULT_PORT, region: DEFAULT_REGION };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (flag === "--port") {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535\n${USAGE}`);
      options.port = port;
    } else if (flag === "--region") {
      options.region = value();
    } else {
      throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const cloud = await startLocalCloud({ ...options, log: (line) => console.log(line) });
  console.log(`endpoint: ${cloud.endpoint}   (health: ${cloud.endpoint}/_localstack/health)`);
  console.log(`try: aws --endpoint-url ${cloud.endpoint} sqs list-queues`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return; // a second Ctrl-C while stopping changes nothing; stop() ends the JVM anyway
    stopping = true;
    console.log(`${signal}: stopping`);
    cloud.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  // Our errors carry human messages; a stack trace would only bury them.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
