// `npm start [-- --stage NAME]`: the whole replog system on this machine, no Docker needed — the
// same local system as `npx serverless offline start`, plus a supervisor that restarts
// serverless-offline if it dies, a readable log and the URLs.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../localstack/definition';
import { startStack, StackStartError } from '../localstack/stack';
import { isBackgroundInvocationLine, isMetricsLine, prettyLogLine } from './lib/pretty-log';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { stage: { type: 'string', default: 'local' } } });
  const stack = await startStack({
    stage: values.stage,
    awsPort: port('REPLOG_AWS_PORT', 4566),
    httpPort: port('REPLOG_HTTP_PORT', 3000),
    lambdaPort: port('REPLOG_LAMBDA_PORT', 3002),
    dataDir: process.env.REPLOG_DATA_DIR?.trim() || undefined,
    // One lock per API port: a second npm start on the same port fails clearly.
    lockFile: join(projectRoot, '.replog', `start-${port('REPLOG_HTTP_PORT', 3000)}.lock`),
    log: (line, source) => {
      if (source === 'stack') console.log(`[replog] ${line}`);
      else if (line.trim() !== '' && !isBackgroundInvocationLine(line) && !isMetricsLine(line)) console.log(prettyLogLine(line));
    },
  });
  const secondaries = (process.env.REPLOG_SECONDARIES ?? 's1,s2').split(',').map((s) => s.trim());
  const key = stack.apiKey ? ` -H 'x-api-key: ${stack.apiKey}'` : '';
  console.log(`
  replog API     ${stack.apiUrl}${values.stage === 'local' ? '' : `   (stage ${values.stage})`}${stack.apiKey ? `\n  API key        ${stack.apiKey}   (x-api-key; for the CLI: export REPLOG_API_KEY=${stack.apiKey})` : ''}
    web view     ${stack.apiUrl}/
    append       curl -XPOST${key} ${stack.apiUrl}/append -d '{"msg":"hello","w":2}'
    master log   curl${key} ${stack.apiUrl}/list
${secondaries.map((s) => `    ${s.padEnd(12)} curl${key} ${stack.apiUrl}/secondaries/${s}/list`).join('\n')}
  AWS endpoint   ${stack.awsEndpoint}${stack.externalAws ? ' (already running, used as is)' : ' (DynamoDB Local + SQS emulator)'}
    inspect      npx awslocal sqs list-queues · npx awslocal dynamodb list-tables
  data           ${process.env.REPLOG_DATA_DIR ? `kept in ${process.env.REPLOG_DATA_DIR}` : 'in memory (set REPLOG_DATA_DIR=<folder> to keep it)'}
  Ctrl-C stops everything started here.
`);
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('[replog] stopping…');
    await stack.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  // A part died in a way the stack cannot recover from: the reason is already printed.
  void stack.failure.then(() => shutdown(1));
}

main().catch((err: Error) => {
  console.error(`replog: ${err instanceof StackStartError || !err.stack ? err.message : err.stack}`);
  process.exit(1);
});
