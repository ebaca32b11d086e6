import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { descendants, freePorts, isAlive, launchNpmStart, listAll, post, until, type Launched, type Ports } from '../support/local-system';

// `npm start` supervises what it starts: these tests kill parts of it with SIGKILL (only the
// processes of the stack each test launched, in its own process group) and check what follows.

const launched: Launched[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const stack of launched.splice(0)) if (isAlive(stack.pid)) process.kill(-stack.pid, 'SIGKILL');
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The stack's processes by role, found from their command lines. */
function parts(root: number): { functions?: number; sqs?: number; dynamodb?: number } {
  const found: { functions?: number; sqs?: number; dynamodb?: number } = {};
  for (const pid of descendants(root)) {
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (cmd.includes('serverless.js offline')) found.functions = pid;
    else if (cmd.includes('sqs-process.ts')) found.sqs = pid;
    else if (cmd.startsWith('java ') && cmd.includes('DynamoDBLocal.jar')) found.dynamodb = pid;
  }
  return found;
}

function start(ports: Ports, env: Record<string, string> = {}): Launched {
  const stack = launchNpmStart(ports, env);
  launched.push(stack);
  return stack;
}

const seed = Number(process.env.REPLOG_TEST_SEED ?? Date.now() % 2 ** 31);
const random = fc.sample(fc.record({ msg: fc.string({ minLength: 1, maxLength: 40 }), w: fc.integer({ min: 1, max: 3 }) }), { seed, numRuns: 400 });
let drawn = 0;
/** A generated append (text and write concern), reproducible from the printed seed. */
const nextAppend = () => random[drawn++ % random.length] as { msg: string; w: number };

/**
 * Appends until answered 201, as a careful client does: with an Idempotency-Key, since a try that
 * got no 201 may still have stored the message (a 202, or an answer lost to a killed process).
 */
async function appendUntilCreated(apiUrl: string, body: { msg: string; w: number }, timeoutMs = 60_000) {
  const key = { 'Idempotency-Key': `supervision-${randomUUID()}` };
  return until(
    `a 201 for ${JSON.stringify(body)}`,
    async () => {
      const res = await post(apiUrl, '/append', body, key);
      return res.status === 201 ? (res.body as { id: number; msg: string }) : undefined;
    },
    timeoutMs,
  );
}

describe(`npm start supervises its parts (seed ${seed})`, () => {
  it('restarts a killed serverless-offline and a killed SQS process, reporting each, and appends resume', async () => {
    // Prepare
    const ports = await freePorts();
    const apiUrl = `http://localhost:${ports.httpPort}`;
    const stack = start(ports);
    const appended = [await appendUntilCreated(apiUrl, { msg: 'before the kills', w: 3 }, 90_000)];

    for (const [role, name] of [
      ['functions', 'serverless-offline (the functions)'],
      ['sqs', 'the SQS process (AWS endpoint, SQS emulator, event sources)'],
    ] as const) {
      // Act
      const victim = parts(stack.pid)[role] as number;
      expect(victim, `the ${role} process`).toBeGreaterThan(0);
      process.kill(victim, 'SIGKILL');

      // Assert: reported at once with its signal, restarted, and appends (at every w) work again.
      await until(`the report of the killed ${role} process`, async () => (stack.output().includes(`${name} (pid ${victim}) exited unexpectedly (signal SIGKILL)`) ? true : undefined), 10_000);
      // While the SQS process is down an append is still stored (DynamoDB is up), but its jobs
      // are lost with the process: its w=3 wait lasts until a repair pass copies the entry (at the
      // latest the scheduled one, a minute apart), as a lost job is healed on AWS.
      appended.push(await appendUntilCreated(apiUrl, { ...nextAppend(), w: 3 }, 100_000));
      expect(parts(stack.pid)[role]).not.toBe(victim);
      expect(stack.output()).toMatch(new RegExp(`${name.replace(/[()]/g, '\\$&')} is back \\(pid \\d+\\)`));
    }
    const expected = appended.map(({ id, msg }) => ({ id, msg }));
    for (const node of ['/list', '/secondaries/s1/list', '/secondaries/s2/list']) {
      expect(await listAll(apiUrl, node)).toEqual(expected);
    }

    // Act: Ctrl-C
    const all = [stack.pid, ...descendants(stack.pid)];
    process.kill(-stack.pid, 'SIGINT');

    // Assert
    expect((await stack.exit).code).toBe(0);
    await until('every process to end', async () => (all.every((p) => !isAlive(p)) ? true : undefined), 15_000);
  });

  it('stops everything with a non-zero exit when DynamoDB Local dies with its data in memory, and says so', async () => {
    // Prepare
    const ports = await freePorts();
    const stack = start(ports);
    await appendUntilCreated(`http://localhost:${ports.httpPort}`, nextAppend(), 90_000);
    const { dynamodb } = parts(stack.pid);
    const all = [stack.pid, ...descendants(stack.pid)];

    // Act
    process.kill(dynamodb as number, 'SIGKILL');
    const exit = await stack.exit;

    // Assert
    expect(exit.code).toBe(1);
    expect(stack.output()).toContain(`DynamoDB Local (pid ${dynamodb}) exited unexpectedly (signal SIGKILL)`);
    expect(stack.output()).toContain('DynamoDB Local kept the data in memory, so the log, the acks and the counter are lost');
    await until('every process to end', async () => (all.every((p) => !isAlive(p)) ? true : undefined), 15_000);
  });

  it('with REPLOG_DATA_DIR, loses no acknowledged append to a kill -9 of DynamoDB Local or of the whole stack', async () => {
    // Prepare
    const ports = await freePorts();
    const apiUrl = `http://localhost:${ports.httpPort}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'replog-data-'));
    dirs.push(dataDir);
    const first = start(ports, { REPLOG_DATA_DIR: dataDir });
    const acknowledged: Array<{ id: number; msg: string }> = [];
    let appending = true;
    await appendUntilCreated(apiUrl, { msg: 'first', w: 1 }, 90_000).then((a) => acknowledged.push(a));
    // Appends keep coming while DynamoDB Local is killed; only those answered 201 count.
    const writer = (async () => {
      while (appending) {
        const res = await post(apiUrl, '/append', nextAppend()).catch(() => undefined);
        if (res?.status === 201) acknowledged.push(res.body as { id: number; msg: string });
        else await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const killAfter = fc.sample(fc.integer({ min: 3, max: 15 }), { seed, numRuns: 1 })[0] as number;
    await until(`${killAfter} more acknowledged appends`, async () => (acknowledged.length > killAfter ? true : undefined), 60_000);

    // Act 1: kill -9 the JVM mid-stream.
    const jvm = parts(first.pid).dynamodb as number;
    process.kill(jvm, 'SIGKILL');
    await until('DynamoDB Local to be back', async () => (first.output().includes('DynamoDB Local is back') ? true : undefined), 60_000);
    const afterRestart = acknowledged.length;
    await until('appends to resume', async () => (acknowledged.length >= afterRestart + 5 ? true : undefined), 60_000);
    appending = false;
    await writer;

    // Assert 1: every append answered 201 is there, on the master at once and on every secondary soon.
    const expected = [...acknowledged].sort((a, b) => a.id - b.id).map(({ id, msg }) => ({ id, msg }));
    const holds = (path: string) => until(`${path} to hold every acknowledged append`, async () => {
      const list = await listAll(apiUrl, path);
      return expected.every((e) => list.some((m) => m.id === e.id && m.msg === e.msg)) ? list : undefined;
    }, 60_000);
    await holds('/list');
    await holds('/secondaries/s1/list');
    await holds('/secondaries/s2/list');

    // Act 2: kill -9 the whole process group, then start again on the same data.
    process.kill(-first.pid, 'SIGKILL');
    await first.exit;
    const second = start(ports, { REPLOG_DATA_DIR: dataDir });
    const next = await appendUntilCreated(apiUrl, { msg: 'after the restart', w: 3 }, 90_000);

    // Assert 2: ids continue, nothing acknowledged is lost anywhere.
    expect(next.id).toBeGreaterThan(Math.max(...expected.map((e) => e.id)));
    await holds('/list');
    await holds('/secondaries/s1/list');
    await holds('/secondaries/s2/list');
    process.kill(-second.pid, 'SIGINT');
    expect((await second.exit).code).toBe(0);
  });
});
