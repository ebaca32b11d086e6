import { ApiClient, type ApiResponse, errorMessage } from './client';
import { EXIT, exitCodeForStatus } from './exit-codes';
import { startSpinner } from './spinner';

/** What every command needs: the API, the output mode, and where to write. */
export interface Context {
  client: ApiClient;
  /** --json: print the API's JSON body as is, nothing else on stdout. */
  json: boolean;
  /** Colour on stdout (a terminal, NO_COLOR unset). */
  colour: boolean;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export function out(ctx: Context, text: string): void {
  ctx.stdout.write(text + '\n');
}

export function warn(ctx: Context, text: string): void {
  ctx.stderr.write(`replog: ${text}\n`);
}

/** One JSON document on one line (the API's body, re-serialised compactly so --follow/--watch stay one per line). */
export function printBody(ctx: Context, res: ApiResponse): void {
  if (res.body !== undefined) out(ctx, JSON.stringify(res.body));
}

/** What to do about a 403: on a deployed stage, every call but the page needs the stage's API key. */
function keyHint(ctx: Context): string {
  return ctx.client.apiKey === undefined
    ? 'this API needs its key: pass --api-key KEY or set REPLOG_API_KEY (`npx serverless info --stage STAGE` shows it)'
    : 'the API key sent was refused: check --api-key / REPLOG_API_KEY against `npx serverless info --stage STAGE` (a rotated key replaces the old one)';
}

/** Any answer that is not the success a command expects: the API's error on stderr, its exit code. */
export function failure(ctx: Context, res: ApiResponse): number {
  if (ctx.json) printBody(ctx, res);
  const code = exitCodeForStatus(res.status);
  warn(ctx, `${errorMessage(res)} (HTTP ${res.status})`);
  if (res.status === 403) warn(ctx, keyHint(ctx));
  return code === EXIT.ok || code === EXIT.pending ? EXIT.unexpected : code;
}

/** A 2xx whose body is not what api.md promises. */
export function unexpected(ctx: Context, res: ApiResponse, what: string): number {
  warn(ctx, `unexpected answer from ${ctx.client.baseUrl} (HTTP ${res.status}): expected ${what}; is REPLOG_URL a replog API?`);
  return EXIT.unexpected;
}

/** Runs a request with a progress line on stderr (terminals only); Ctrl-C meanwhile exits 130 with a note. */
export async function withSpinner<T>(ctx: Context, label: string, interruptNote: string, fn: () => Promise<T>): Promise<T> {
  const spinner = startSpinner(label, ctx.stderr);
  const onInterrupt = () => {
    spinner.stop();
    warn(ctx, `interrupted; ${interruptNote}`);
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', onInterrupt);
  try {
    return await fn();
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    spinner.stop();
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** 202 of an append or a wait: the message is stored and keeps replicating; say how to wait for it again. */
export function pending(ctx: Context, res: ApiResponse): number {
  const body = res.body;
  if (!isObject(body) || typeof body.id !== 'number' || typeof body.wait !== 'string') {
    return unexpected(ctx, res, '{"id", "w", "acks", "status": "pending", "wait"}');
  }
  if (ctx.json) {
    printBody(ctx, res);
  } else {
    const held = `${String(body.acks)} of w=${String(body.w)} nodes hold it so far`;
    out(ctx, `pending: id ${body.id} is stored; ${held}, and it keeps replicating`);
    out(ctx, `wait:    replog wait ${body.id} -w ${String(body.w)}    (GET ${ctx.client.url(body.wait)})`);
  }
  return EXIT.pending;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
