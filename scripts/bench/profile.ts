/**
 * Where an append's time goes: `tsx scripts/bench/profile.ts [--w 1,3] [--appends N] [--clients C]`
 * starts the embedded stack with `node --cpu-prof` on the stack host (gateway, SQS emulator, event
 * sources) and on serverless-offline (where the functions run, in process), drives a window of
 * appends per write concern, and prints the self time of each process inside each window by part
 * (AWS SDK, hapi, serverless-offline, logger, replog's code, GC …) and by function, plus CPU per
 * append of every process (DynamoDB Local's JVM included). Profiles stay in bench/results/.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../localstack/definition';
import { apiClient } from './client';
import { append, settle, warmUp, type Ctx } from './measure';
import { cpuDelta, cpuSnapshot } from './memory';
import { renderSummary, summarizeProfile, type ProfileSummary } from './profile-summary';
import { startEmbedded } from './stack-handle';
import { benchPorts } from './ports';
import { runClosedLoop } from './stats';

const { values: args } = parseArgs({
  options: {
    w: { type: 'string' },
    appends: { type: 'string', default: '1000' },
    clients: { type: 'string', default: '1' },
    secondaries: { type: 'string', default: 's1,s2' },
    size: { type: 'string', default: '100' },
    top: { type: 'string', default: '12' },
  },
});

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = join(projectRoot, 'bench', 'results', `profile-${stamp}`);
mkdirSync(outDir, { recursive: true });
const log = (line: string) => process.stderr.write(`[profile] ${line}\n`);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

async function main(): Promise<number> {
  const appends = Number(args.appends);
  const clients = Number(args.clients);
  const secondaries = args.secondaries.split(',').map((s) => s.trim());
  const ws = (args.w ?? `1,${secondaries.length + 1}`).split(',').map(Number);
  const stack = await startEmbedded({
    ports: benchPorts(),
    secondaries: args.secondaries,
    logFile: join(outDir, 'stack.log'),
    cpuProfDir: outDir,
  });
  const api = apiClient(stack.apiUrl);
  const windows: Array<{ w: number; fromUs: number; toUs: number; appended: number; seconds: number; perSecond: number; cpu: Record<string, number> }> = [];
  try {
    const ctx: Ctx = { api, secondaries, msgBytes: Number(args.size), log, lastId: -1 };
    log('warm-up');
    await warmUp(ctx, 100, secondaries.length + 1, 30_000);
    for (const w of ws) {
      log(`window: ${appends} appends at w=${w}, ${clients} client(s), then until replicated`);
      const before = cpuSnapshot(stack.roots);
      const fromUs = nowUs();
      const run = await runClosedLoop(clients, appends, 300_000, () => append(ctx, w));
      // Replication of the window's appends belongs to their cost, even at w=1.
      await settle(ctx);
      const toUs = nowUs();
      const delta = cpuDelta(before, cpuSnapshot(stack.roots));
      const cpu = Object.fromEntries(Object.entries(delta).map(([k, v]) => [k, Math.round((v / Math.max(1, run.completed)) * 100) / 100]));
      cpu.total = Math.round((Object.values(delta).reduce((a, b) => a + b, 0) / Math.max(1, run.completed)) * 100) / 100;
      windows.push({ w, fromUs, toUs, appended: run.completed, seconds: Math.round(run.ms) / 1000, perSecond: Math.round((run.completed / (run.ms / 1000)) * 10) / 10, cpu });
    }
  } finally {
    api.close();
    log('stopping (profiles are written on exit)');
    await stack.stop();
  }
  // The preload (NODE_OPTIONS) reaches serverless-offline alone; --cpu-prof profiles the host.
  const nameOf = (file: string) => {
    if (file.startsWith('CPU.preload.')) return 'serverless-offline (functions in process)';
    return Number(file.split('.').at(-4)) === stack.hostPid ? 'stack host (supervisor)' : undefined;
  };
  const profiles = readdirSync(outDir).filter((f) => f.endsWith('.cpuprofile'));
  const out: string[] = [];
  const json: Record<string, unknown> = { windows, summaries: {} as Record<string, ProfileSummary> };
  for (const win of windows) {
    out.push(`### w=${win.w}: ${win.appended} appends, ${clients} client(s), ${win.perSecond}/s`, '');
    out.push(`CPU ms per append (window incl. replication): ${Object.entries(win.cpu).map(([k, v]) => `${k} ${v}`).join(' · ')}`, '');
    for (const file of profiles) {
      const name = nameOf(file);
      if (!name) continue;
      const summary = summarizeProfile(join(outDir, file), projectRoot, win, Number(args.top));
      // tsx's module-loader thread shares the host's PID and has nothing to say.
      if (summary.busyMs < 1) continue;
      (json.summaries as Record<string, ProfileSummary>)[`w=${win.w} ${name}`] = summary;
      out.push(renderSummary(summary, `${name}, w=${win.w}`), '');
    }
  }
  writeFileSync(join(outDir, 'summary.json'), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(join(outDir, 'summary.md'), out.join('\n') + '\n');
  console.log(out.join('\n'));
  console.log(`profiles and summary: ${relative(projectRoot, outDir)}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`profile: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
