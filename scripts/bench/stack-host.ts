/**
 * Runs the embedded stack (startStack) in a process of its own for `npm run bench`, so the load
 * generator does not share an event loop with the SQS emulator, the gateway and the event
 * sources that startStack runs in its caller. Talks to the bench over IPC:
 *   host → bench  {type: 'ready', apiUrl, awsEndpoint, functionEndpoints, externalAws, pids} | {type: 'failed', message}
 *   bench → host  {type: 'stop'}  → stack.stop(), {type: 'stopped'}, exit
 *   bench → host  {type: 'stats'} → {type: 'stats', repairCopies, logLines, durations}
 *   bench → host  {type: 'usage'} → {type: 'usage', counts} (AWS calls counted so far, see
 *                 localstack/aws-usage.ts; with countAwsUsage only)
 * It also stops the stack if the bench goes away (IPC disconnect) or on SIGINT/SIGTERM.
 */
import { writeFileSync } from 'node:fs';
import { startStack, type Stack, type StackOptions } from '../../localstack/stack';
import { AWS_USAGE_ENV, parseUsageLine, sumCounts, type UsageCounts } from '../../localstack/aws-usage';

interface HostOptions extends Omit<StackOptions, 'log'> {
  logFile: string;
  /** Count the AWS calls of the stack's processes (they inherit the setting from this one). */
  countAwsUsage?: boolean;
}

const options = JSON.parse(process.env.REPLOG_BENCH_STACK ?? '{}') as HostOptions;
if (options.countAwsUsage) process.env[AWS_USAGE_ENV] = '1';
/** The latest cumulative counts each process printed, by source and PID (a restarted process starts again from 0). */
const usage = new Map<string, UsageCounts>();
// The end of the stack's log is kept in memory and written when the stack stops (a full run logs
// over 100,000 lines; the last few thousand explain a failure), so that it costs the run neither
// disk writes nor much memory: this process's memory counts in the stack's peak.
const MAX_LINES = 5_000;
let lines: string[] = [];
let dropped = 0;
/** Entries the repair pass copied to secondaries (anti-entropy), counted from the functions' log. */
let repairCopies = 0;
/** serverless-offline's "(λ: fn) RequestId: … Duration: X ms" per invocation, with when we saw it. */
const durations: Array<[fn: string, ms: number, at: number]> = [];
const DURATION = /\(λ: ([^)]+)\) RequestId: \S+\s+Duration: ([\d.]+) ms/;
const logFile = {
  write(line: string) {
    const counted = parseUsageLine(line);
    if (counted) {
      usage.set(`${counted.source}:${counted.pid}`, counted.counts);
      return;
    }
    const d = DURATION.exec(line);
    if (d && durations.length < 500_000) durations.push([d[1] as string, Number(d[2]), Date.now()]);
    // The repair pass's anti-entropy and the catch-up of a secondary that came back both log "copied".
    if (line.includes('copied missed entries') || line.includes('caught up a secondary')) repairCopies += Number(line.match(/"copied":(\d+)/)?.[1] ?? 0);
    lines.push(line);
    if (lines.length > 2 * MAX_LINES) {
      dropped += lines.length - MAX_LINES;
      lines = lines.slice(-MAX_LINES);
    }
  },
  flush() {
    writeFileSync(options.logFile, (dropped > 0 ? `(${dropped} earlier lines dropped)\n` : '') + lines.join(''));
  },
};
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
    logFile.flush();
    // A normal exit (not a signal) lets --cpu-prof write this process's profile.
    process.exit(0);
  })();
  return stopping;
}

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'stop') void stopAndExit();
  if (m?.type === 'stats') send({ type: 'stats', repairCopies, logLines: lines.length + dropped, durations });
  if (m?.type === 'usage') send({ type: 'usage', counts: sumCounts([...usage.values()]) });
});
process.on('disconnect', () => void stopAndExit());
process.on('SIGINT', () => void stopAndExit());
process.on('SIGTERM', () => void stopAndExit());

const { logFile: _file, countAwsUsage: _count, ...stackOptions } = options;
starting = startStack({ ...stackOptions, log: (line, source) => logFile.write(`[${source}] ${line}\n`) })
  .then((started) => {
    stack = started;
    if (stopping) return;
    send({
      type: 'ready',
      apiUrl: started.apiUrl,
      awsEndpoint: started.awsEndpoint,
      functionEndpoints: started.functionEndpoints,
      externalAws: started.externalAws,
      pids: Object.values(started.parts()),
    });
  })
  .catch(async (err: Error) => {
    logFile.flush();
    send({ type: 'failed', message: err.message });
    process.exit(1);
  });
