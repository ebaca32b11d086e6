import { Command, Option } from 'commander';
import { apiKey, idempotencyKey, integer, nonEmpty, rate } from './arguments';
import { append, type AppendOptions } from './commands/append';
import { fault, type FaultOptions } from './commands/fault';
import { health } from './commands/health';
import { list, type ListOptions } from './commands/list';
import { wait } from './commands/wait';
import { ApiClient, DEFAULT_URL, parseBaseUrl } from './client';
import type { Context } from './context';
import { EXIT_CODES_HELP } from './exit-codes';
import { useColour } from './format';

/** The synopsis of each command, as in api.md; shown in its help and after a usage error. */
const USAGE = {
  append: '<msg> [-w N] [--idempotency-key K] [--json] [--url URL] [--api-key KEY]',
  list: '[--secondary NAME] [--follow] [--json] [--url URL] [--api-key KEY]',
  health: '[--watch] [--json] [--url URL] [--api-key KEY]',
  fault: 'NAME [--down|--up] [--delay MS] [--error-rate R] [--json] [--url URL] [--api-key KEY]',
  wait: 'ID -w N [--json] [--url URL] [--api-key KEY]',
} as const;

const SYNOPSIS = Object.entries(USAGE)
  .map(([name, usage]) => `  replog ${name} ${usage}`)
  .join('\n');

/** A subcommand whose usage errors print its synopsis (not the whole help) after the problem. */
function subcommand(program: Command, name: keyof typeof USAGE): Command {
  return program
    .command(name)
    .usage(USAGE[name])
    .showHelpAfterError(`Usage: replog ${name} ${USAGE[name]}\n(run "replog ${name} --help" for details)`);
}

interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

/** The replog command line; `done` receives the command's exit code. */
export function buildProgram(done: (code: number) => void): Command {
  const run = async (command: Promise<number>) => done(await command);
  const program = new Command('replog')
    .description('Command-line client for the replog HTTP API: append, list, health, fault injection, wait.')
    .option('--url <URL>', `API endpoint (default: $REPLOG_URL, else ${DEFAULT_URL})`)
    .option('--api-key <KEY>', 'API key of a deployed stage, sent as x-api-key (default: $REPLOG_API_KEY; `local` needs none)', apiKey)
    .option('--json', "print the API's JSON body as is (--follow/--watch: one JSON document per line)")
    .usage('[--url URL] [--api-key KEY] [--json] <command> [options]')
    .exitOverride()
    .showHelpAfterError(`Usage:\n${SYNOPSIS}\n(run "replog --help" for details and exit codes)`)
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', EXIT_CODES_HELP);

  const context = (cmd: Command): Context => {
    const opts = cmd.optsWithGlobals<GlobalOptions>();
    const raw = opts.url ?? process.env.REPLOG_URL ?? DEFAULT_URL;
    let baseUrl: string;
    try {
      baseUrl = parseBaseUrl(raw);
    } catch (err) {
      cmd.error(`error: ${(err as Error).message}`, { exitCode: 2, code: 'replog.badUrl' });
    }
    let key = opts.apiKey;
    const fromEnv = process.env.REPLOG_API_KEY?.trim();
    if (key === undefined && fromEnv) {
      try {
        key = apiKey(fromEnv);
      } catch (err) {
        cmd.error(`error: REPLOG_API_KEY: ${(err as Error).message}`, { exitCode: 2, code: 'replog.badApiKey' });
      }
    }
    return {
      client: new ApiClient(baseUrl, key),
      json: opts.json === true,
      colour: useColour(process.stdout),
      stdout: process.stdout,
      stderr: process.stderr,
    };
  };

  subcommand(program, 'append')
    .description('append a message to the master log; waits until w nodes hold it')
    .argument('<msg>', 'the message (a non-empty string)', nonEmpty('msg'))
    .option(
      '-w, --write-concern <N>',
      'nodes that must hold it before the answer: 1 = master only … N+1 = every node (default: 1)',
      integer('w', 1),
    )
    .option('--idempotency-key <K>', 'retries with the same key append nothing new and answer with the first id', idempotencyKey)
    .action((msg: string, opts: AppendOptions, cmd: Command) => run(append(context(cmd), msg, opts)));

  subcommand(program, 'list')
    .description("print the master log (or one secondary's gap-free prefix), every page")
    .option('--secondary <NAME>', "a secondary's log instead of the master's", nonEmpty('the secondary name'))
    .option('--follow', 'keep polling (every 500 ms) and print new entries as they appear, until Ctrl-C')
    .action((opts: ListOptions, cmd: Command) => run(list(context(cmd), opts)));

  subcommand(program, 'health')
    .description("each secondary's status, last heartbeat, applied prefix and lag, and the quorum")
    .option('--watch', 'redraw every second until Ctrl-C')
    .action((opts: { watch?: boolean }, cmd: Command) => run(health(context(cmd), opts)));

  subcommand(program, 'fault')
    .description('inject faults into a secondary (local and dev stages); without flags, show its stored faults')
    .argument('<name>', 'the secondary, e.g. s1', nonEmpty('the secondary name'))
    .addOption(new Option('--down', 'stop it: it refuses jobs and heartbeats, its list answers 503').conflicts('up'))
    .addOption(new Option('--up', 'start it again').conflicts('down'))
    .option('--delay <MS>', 'sleep this long before storing each job (0 = none)', integer('the delay', 0))
    .option('--error-rate <R>', 'share of jobs that fail after storing, 0..1', rate)
    .action((name: string, opts: FaultOptions, cmd: Command) => run(fault(context(cmd), name, opts)));

  subcommand(program, 'wait')
    .description('wait again for write concern w on a stored message (after an append answered "pending")')
    .argument('<id>', 'the message id', integer('the id', 0))
    .requiredOption('-w, --write-concern <N>', 'nodes that must hold it: 1 = master only … N+1 = every node', integer('w', 1))
    .action((id: number, opts: { writeConcern: number }, cmd: Command) =>
      run(wait(context(cmd), id, opts.writeConcern)),
    );

  return program;
}
