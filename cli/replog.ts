// replog CLI entry point (run by bin/replog.mjs): parses the command line, runs one command, exits with its code.
import { CommanderError } from 'commander';
import { UnreachableError } from './client';
import { EXIT } from './exit-codes';
import { buildProgram } from './program';

function exit(code: number): void {
  // Not process.exit() at once: stdout drains (asynchronous on some platforms' pipes) and tsx finishes writing
  // its transform cache (an exit right away leaves it empty, and every run would compile the CLI again).
  process.exitCode = code;
  // Should anything still hold the event loop (an idle keep-alive socket), exit anyway a moment later.
  setTimeout(() => process.exit(code), 1000).unref();
}

export async function main(argv: string[]): Promise<void> {
  // `replog list | head` closes our stdout early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  });

  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the problem and the usage on stderr; its exit code for usage errors is 1: use 2.
      code = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else if (err instanceof UnreachableError) {
      process.stderr.write(`replog: ${err.message}\n`);
      code = EXIT.unreachable;
    } else {
      process.stderr.write(`replog: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      code = EXIT.unexpected;
    }
  }
  exit(code);
}
