/**
 * What the one-port gateway costs: `tsx scripts/bench/hops.ts [--appends N]` starts the embedded
 * stack and runs the floor (an append's storage work, see floor.ts) four ways, in alternating
 * rounds — through the one-port gateway (as users' tools call it), DynamoDB straight to DynamoDB
 * Local, SQS straight to fauxqs, and both (as the functions call them) — printing p50/p99 and CPU
 * ms per operation of each process.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../../localstack/definition';
import { createFloor, type Floor } from './floor';
import { CpuAccount } from './memory';
import { startEmbedded } from './stack-handle';
import { benchPorts } from './ports';
import { merge, runClosedLoop, type Part } from './stats';

const { values: args } = parseArgs({ options: { appends: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' }, clients: { type: 'string', default: '1' } } });
const log = (line: string) => process.stderr.write(`[hops] ${line}\n`);

async function main(): Promise<number> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const stack = await startEmbedded({
    ports: benchPorts(),
    secondaries: 's1,s2',
    logFile: join(projectRoot, 'bench', 'results', `hops-${stamp}.stack.log`),
  });
  const floors: Array<{ name: string; floor: Floor }> = [];
  try {
    // The functions' own endpoints are the emulators' ports (straight); the one-port gateway is the other way.
    const dynamoDirect = stack.functionEndpoints.dynamodb;
    const sqsDirect = stack.functionEndpoints.sqs;
    log(`DynamoDB Local at ${dynamoDirect}, fauxqs at ${sqsDirect}, gateway at ${stack.awsEndpoint}`);
    const base = { awsEndpoint: stack.awsEndpoint, prefix: 'replog-local', secondaries: ['s1', 's2'], msgBytes: 100 };
    floors.push({ name: 'via the gateway', floor: await createFloor({ ...base, tag: 'g' }) });
    floors.push({ name: 'DynamoDB direct', floor: await createFloor({ ...base, tag: 'd', dynamoEndpoint: dynamoDirect }) });
    floors.push({ name: 'SQS direct', floor: await createFloor({ ...base, tag: 's', sqsEndpoint: sqsDirect }) });
    floors.push({ name: 'both direct (as the functions)', floor: await createFloor({ ...base, tag: 'b', dynamoEndpoint: dynamoDirect, sqsEndpoint: sqsDirect }) });
    const clients = Number(args.clients);
    for (const { floor } of floors) await runClosedLoop(clients, 300, 20_000, (i) => floor.appendOnce(i));
    const cpu = new CpuAccount(() => stack.roots);
    const parts: Record<string, Part[]> = {};
    const rounds = Number(args.rounds);
    const per = Math.ceil(Number(args.appends) / rounds);
    for (let r = 0; r < rounds; r++) {
      for (const { name, floor } of floors) {
        const part = await cpu.run(name, (p: Part) => p.completed, () => runClosedLoop(clients, per, 60_000, (i) => floor.appendOnce(i)));
        (parts[name] ??= []).push(part);
      }
    }
    const perOp = cpu.perOp();
    console.log(`| floor (UpdateItem + PutItem + 2 SendMessage), ${clients} client(s) | p50 ms | p99 ms | ops/s | CPU ms/op by process |`);
    console.log('|---|---:|---:|---:|---|');
    for (const { name } of floors) {
      const m = merge(parts[name] ?? []);
      const c = perOp[name] ?? {};
      const cpuText = Object.entries(c).filter(([k]) => k !== 'loadavg1m').map(([k, v]) => `${k} ${v}`).join(' · ');
      console.log(`| ${name} | ${m.latency.p50.toFixed(2)} | ${m.latency.p99.toFixed(1)} | ${m.perSecond} | ${cpuText}; load ${c.loadavg1m} |`);
    }
    return 0;
  } finally {
    for (const { floor } of floors) await floor.close();
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`hops: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
