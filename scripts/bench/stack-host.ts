/**
 * Runs the embedded stack (startStack) in a process of its own for `npm run bench`, so the load
 * generator does not share an event loop with the SQS emulator, the gateway and the event
 * sources that startStack runs in its caller. Talks to the bench over IPC:
 *   host → bench  {type: 'ready', apiUrl, awsEndpoint, externalAws, pids} | {type: 'failed', message}
 *   bench → host  {type: 'stop'}  → stack.stop(), {type: 'stopped'}, exit
 * It also stops the stack if the bench goes away (IPC disconnect) or on SIGINT/SIGTERM.
 */
import { createWriteStream } from 'node:fs';
import { startStack, type Stack, type StackOptions } from '../lib/stack';

interface HostOptions extends Omit<StackOptions, 'log'> {
  logFile: string;
}

const options = JSON.parse(process.env.REPLOG_BENCH_STACK ?? '{}') as HostOptions;
const logFile = createWriteStream(options.logFile);
let stack: Stack | undefined;
let starting: Promise<unknown> = Promise.resolve();
let stopping: Promise<void> | undefined;

function send(message: Record<string, unknown>): void {
  if (process.connected) process.send?.(message);
}

function stopAndExit(): Promise<void> {
  stopping ??= (async () => {
    // Stopping mid-start: let startStack finish (or fail and clean up) so nothing is orphaned.
    await starting.catch(() => undefined);
    await stack?.stop().catch((err: Error) => logFile.write(`stop failed: ${err.message}\n`));
    send({ type: 'stopped' });
    await new Promise<void>((resolve) => logFile.end(resolve));
    // A normal exit (not a signal) lets --cpu-prof write this process's profile.
    process.exit(0);
  })();
  return stopping;
}

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'stop') void stopAndExit();
});
process.on('disconnect', () => void stopAndExit());
process.on('SIGINT', () => void stopAndExit());
process.on('SIGTERM', () => void stopAndExit());

const { logFile: _file, ...stackOptions } = options;
starting = startStack({ ...stackOptions, log: (line, source) => logFile.write(`[${source}] ${line}\n`) })
  .then((started) => {
    stack = started;
    if (stopping) return;
    send({ type: 'ready', apiUrl: started.apiUrl, awsEndpoint: started.awsEndpoint, externalAws: started.externalAws, pids: started.pids });
  })
  .catch(async (err: Error) => {
    send({ type: 'failed', message: err.message });
    await new Promise<void>((resolve) => logFile.end(resolve));
    process.exit(1);
  });
