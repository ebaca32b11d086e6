import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnChild } from '../../localstack/processes';
import { Supervisor, type PartSpec } from '../../localstack/supervisor';

const FAST = { maxRestarts: 5, windowMs: 60_000, firstDelayMs: 5, maxDelayMs: 40 };

/** A real process that prints `line`, then exits with `code` after `lifeMs` (or lives on). */
function part(name: string, line: string, code: number | undefined, lifeMs = 30, whenDead: PartSpec['whenDead'] = 'restart'): PartSpec & { starts: number[] } {
  const starts: number[] = [];
  const script = code === undefined ? `console.log(${JSON.stringify(line)}); setInterval(() => {}, 1000)` : `console.log(${JSON.stringify(line)}); setTimeout(() => process.exit(${code}), ${lifeMs})`;
  return {
    name,
    whenDead,
    starts,
    async start() {
      const child = spawnChild(process.execPath, ['-e', script], { cwd: process.cwd(), env: process.env, onLine: () => undefined });
      starts.push(child.pid);
      return { pid: child.pid, exited: child.exited, tail: child.tail, stop: () => child.stop() };
    },
  };
}

describe('Supervisor (real child processes)', () => {
  it('reports each unexpected exit with its code and last lines, restarts, and gives up after 5 restarts within a minute', async () => {
    // Prepare
    const lines: string[] = [];
    const supervisor = new Supervisor((l) => lines.push(l), FAST);
    const flaky = part('the flaky part', 'about to fail', 3);

    // Act
    await supervisor.add(flaky);
    const reason = await supervisor.failure;

    // Assert
    expect(flaky.starts).toHaveLength(6);
    expect(reason.message).toBe('the flaky part keeps dying: it was restarted 5 times within 60 s. Stopping everything.');
    const reports = lines.filter((l) => l.includes('exited unexpectedly'));
    expect(reports).toHaveLength(6);
    for (const report of reports) {
      expect(report).toMatch(/^the flaky part \(pid \d+\) exited unexpectedly \(code 3\)\. Its last lines:\n {2}\| about to fail$/);
    }
    expect(lines.filter((l) => l.startsWith('restarting the flaky part'))).toHaveLength(5);
    await supervisor.stop();
  });

  it('does not restart a part that holds data: it gives up at once with the part\'s own reason', async () => {
    // Prepare
    const lines: string[] = [];
    const supervisor = new Supervisor((l) => lines.push(l), FAST);
    const keeper = part('the data keeper', 'holding data', undefined, 0, (status) => `lost it all (${status.signal})`);
    const handle = await supervisor.add(keeper);

    // Act
    process.kill(handle.pid, 'SIGKILL');
    const reason = await supervisor.failure;

    // Assert
    expect(reason.message).toBe('lost it all (SIGKILL)');
    expect(lines[0]).toMatch(/^the data keeper \(pid \d+\) exited unexpectedly \(signal SIGKILL\)/);
    expect(keeper.starts).toHaveLength(1);
    await supervisor.stop();
  });

  it('restarts a killed stateless part, whatever the signal, and reports nothing for parts it stops itself', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<NodeJS.Signals>('SIGKILL', 'SIGTERM', 'SIGHUP', 'SIGUSR1'), async (signal) => {
        // Prepare
        const lines: string[] = [];
        const supervisor = new Supervisor((l) => lines.push(l), FAST);
        const worker = part('the worker', 'working', undefined);
        const first = await supervisor.add(worker);

        // Act
        process.kill(first.pid, signal);
        const deadline = Date.now() + 10_000;
        while (worker.starts.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        await new Promise((r) => setTimeout(r, 50));
        await supervisor.stop();

        // Assert
        expect(worker.starts).toHaveLength(2);
        expect(lines.filter((l) => l.includes('exited unexpectedly'))).toEqual([expect.stringContaining(`(signal ${signal})`)]);
        expect(lines.at(-1)).toMatch(/^the worker is back \(pid \d+\)$/);
      }),
      { numRuns: 4 },
    );
  });
});
