// `npm start`: the whole replog system on this machine, no Docker needed.
import { join } from 'node:path';
import { startStack, StackStartError } from './lib/stack';
import { projectRoot } from './lib/stack-definition';
import { isBackgroundInvocationLine, isMetricsLine, prettyLogLine } from './lib/pretty-log';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function main(): Promise<void> {
  const stack = await startStack({
    awsPort: port('REPLOG_AWS_PORT', 4566),
    httpPort: port('REPLOG_HTTP_PORT', 3000),
    lambdaPort: port('REPLOG_LAMBDA_PORT', 3002),
    lockFile: join(projectRoot, '.replog', 'start.lock'),
    log: (line, source) => {
      if (source === 'stack') console.log(`[replog] ${line}`);
      else if (line.trim() !== '' && !isBackgroundInvocationLine(line) && !isMetricsLine(line)) console.log(prettyLogLine(line));
    },
  });
  const secondaries = (process.env.REPLOG_SECONDARIES ?? 's1,s2').split(',').map((s) => s.trim());
  console.log(`
  replog API     ${stack.apiUrl}
    append       curl -XPOST ${stack.apiUrl}/append -d '{"msg":"hello","w":2}'
    master log   curl ${stack.apiUrl}/list
${secondaries.map((s) => `    ${s.padEnd(12)} curl ${stack.apiUrl}/secondaries/${s}/list`).join('\n')}
  AWS endpoint   ${stack.awsEndpoint}${stack.externalAws ? ' (already running, used as is)' : ' (DynamoDB Local + SQS emulator)'}
    inspect      aws --endpoint-url ${stack.awsEndpoint} sqs list-queues
  Ctrl-C stops everything started here.
`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('[replog] stopping…');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: Error) => {
  console.error(`replog: ${err instanceof StackStartError || !err.stack ? err.message : err.stack}`);
  process.exit(1);
});
