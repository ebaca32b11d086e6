import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../localstack/definition';
import { descendants, freePorts, isAlive, launchServerlessOffline, listAll, portEnv, post, until, type Launched } from '../support/local-system';

const awsCliPresent = spawnSync('aws', ['--version']).status === 0;

// The local cloud the way Serverless users run it: `npx serverless offline start` alone, with
// the local plugin registered in serverless.yml, and `npx awslocal` to look inside.
describe('npx serverless offline start (the local plugin)', () => {
  let offline: Launched | undefined;

  afterAll(async () => {
    // Only if a test failed midway: end the process group this file started.
    if (offline && isAlive(offline.pid)) process.kill(-offline.pid, 'SIGKILL');
  });

  it('runs the whole system, answers a w=N+1 append, is inspectable with awslocal, and Ctrl-C leaves nothing behind', async () => {
    // Prepare
    const ports = await freePorts();
    const apiUrl = `http://localhost:${ports.httpPort}`;
    offline = launchServerlessOffline(ports);

    // Act
    const appended = await until(
      'a 201 from POST /append',
      async () => {
        const res = await post(apiUrl, '/append', { msg: 'hi', w: 3 });
        return res.status === 201 ? res : undefined;
      },
      90_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- serverless offline said ---\n${offline?.output().slice(-3000)}`);
    });

    // Assert: replicated, and the emulator is inspectable the way LocalStack users do it.
    expect(appended.body).toEqual({ id: 0, msg: 'hi', w: 3, acks: 3 });
    for (const node of ['/list', '/secondaries/s1/list', '/secondaries/s2/list']) {
      expect(await listAll(apiUrl, node)).toEqual([{ id: 0, msg: 'hi' }]);
    }
    if (awsCliPresent) {
      const awslocal = (...args: string[]) => spawnSync('npx', ['awslocal', ...args], { cwd: projectRoot, env: { ...process.env, ...portEnv(ports) }, encoding: 'utf8' });
      const queues = awslocal('sqs', 'list-queues');
      expect(queues.status, queues.stderr).toBe(0);
      expect(queues.stdout).toContain(`http://localhost:${ports.awsPort}/000000000000/replog-local-replicate-s1`);
      expect(queues.stdout).toContain('replog-local-replicate-s2');
      const tables = awslocal('dynamodb', 'list-tables');
      expect(tables.status, tables.stderr).toBe(0);
      expect(tables.stdout).toContain('replog-local-master');
      expect(tables.stdout).toContain('replog-local-secondary-s2');
    }

    // Act: Ctrl-C (the terminal sends SIGINT to the whole foreground process group).
    const processes = [offline.pid, ...descendants(offline.pid)];
    expect(processes.length).toBeGreaterThanOrEqual(3); // offline, the SQS process, DynamoDB Local's JVM (and its watchdog)
    process.kill(-offline.pid, 'SIGINT');

    // Assert: every process gone, every port free.
    const exit = await offline.exit;
    expect(exit.code ?? exit.signal).toBe(0);
    await until('every process of the stack to end', async () => (processes.every((pid) => !isAlive(pid)) ? true : undefined), 15_000);
    for (const port of Object.values(ports)) {
      await expect(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    }
  });
});
