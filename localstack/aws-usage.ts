/**
 * What the local stack's AWS calls would be billed on AWS, counted where they are made — so a
 * benchmark can put "requests per append" next to CPU per append, whichever way the local calls
 * travel (through the :4566 gateway or straight to an emulator). Off unless REPLOG_AWS_USAGE=1
 * (the bench sets it); then:
 *   - in serverless-offline's process, each handler module is wrapped (handler-loader.ts): its
 *     invocations are counted, and an SDK middleware on lib/'s clients counts every DynamoDB and
 *     SQS call by the function that made it, with the read and write units AWS would charge;
 *   - in the SQS process, the event sources count their receives and deletes (event-source.ts).
 * Each process prints its cumulative counts as one `aws-usage {json}` line at most every 200 ms
 * while they change; the bench's stack host keeps the latest line of each process.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export const AWS_USAGE_ENV = 'REPLOG_AWS_USAGE';
export const USAGE_LINE_PREFIX = 'aws-usage ';

const own = (counts: UsageCounts, key: string) => (Object.hasOwn(counts, key) ? (counts[key] as number) : 0);

/** Counts by key, `<who>|<what>`: e.g. `append|dynamodb:PutItem`, `append|dynamodb:WCU`, `esm|sqs:ReceiveMessage`. */
export type UsageCounts = Record<string, number>;

export interface UsageLine {
  source: string;
  pid: number;
  counts: UsageCounts;
}

export function usageEnabled(env: Record<string, string | undefined> = process.env): boolean {
  return env[AWS_USAGE_ENV] === '1';
}

/** Cumulative counters of one process, printed as a usage line while they change. */
export class UsageCounter {
  readonly #counts: UsageCounts = {};
  #dirty = false;

  add(key: string, n = 1): void {
    if (n === 0) return;
    this.#counts[key] = own(this.#counts, key) + n;
    this.#dirty = true;
  }

  snapshot(): UsageCounts {
    return { ...this.#counts };
  }

  /** Prints `aws-usage {…}` through `write` every `intervalMs` while something changed (never keeps the process alive). */
  report(source: string, write: (line: string) => void, intervalMs = 200): () => void {
    const flush = () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      write(`${USAGE_LINE_PREFIX}${JSON.stringify({ source, pid: process.pid, counts: this.#counts } satisfies UsageLine)}`);
    };
    const timer = setInterval(flush, intervalMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      flush();
    };
  }
}

/** The usage line in a log line, if it holds one. */
export function parseUsageLine(line: string): UsageLine | undefined {
  const at = line.indexOf(USAGE_LINE_PREFIX);
  if (at < 0) return undefined;
  try {
    const parsed = JSON.parse(line.slice(at + USAGE_LINE_PREFIX.length)) as UsageLine;
    return typeof parsed?.source === 'string' && typeof parsed.counts === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Adds up counts (e.g. the latest line of every process). */
export function sumCounts(all: readonly UsageCounts[]): UsageCounts {
  const out: UsageCounts = {};
  for (const counts of all) for (const [k, v] of Object.entries(counts)) out[k] = own(out, k) + v;
  return out;
}

/** `after - before`, key by key (keys only in `after` count from 0). */
export function diffCounts(before: UsageCounts, after: UsageCounts): UsageCounts {
  const out: UsageCounts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - own(before, k);
    if (d !== 0) out[k] = d;
  }
  return out;
}

// ---- what DynamoDB would charge (Developer Guide, "DynamoDB read and write operations") ----------

/** Approximate stored size of a value: strings as UTF-8, numbers ~ digits/2 + 1, containers 3 + their parts. */
function valueBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return Math.ceil(String(value).replace(/[-.]/g, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((a: number, v) => a + valueBytes(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((a: number, v) => a + 1 + valueBytes(v), 0);
  if (typeof value === 'object') return 3 + itemBytes(value as Record<string, unknown>);
  return 1;
}

/** An item's size as DynamoDB counts it: attribute names plus values. */
export function itemBytes(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name, 'utf8') + valueBytes(value);
  return size;
}

/** Write units of one item write: 1 per KB, at least 1 (a failed conditional write is charged too). */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

/** Read units of reading `bytes`: 1 per 4 KB strongly consistent, half that eventually; at least one unit. */
export function readUnits(bytes: number, consistent: boolean): number {
  return Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
}

type Input = Record<string, unknown> & { ConsistentRead?: boolean };
type Output = Record<string, unknown> | undefined;

/** `INSERT INTO "t" VALUE {'a': ?, 'b': ?}` with its parameters → the item's size. */
function statementItemBytes(statement: { Statement?: string; Parameters?: unknown[] }): number {
  const names = [...(statement.Statement ?? '').matchAll(/'([^']+)'\s*:/g)].map((m) => m[1] as string);
  const params = statement.Parameters ?? [];
  return names.reduce((a, name, i) => a + Buffer.byteLength(name) + valueBytes(params[i]), 0);
}

/**
 * Read and write units AWS would charge for one DynamoDB call, from its (document-form) input and
 * output; `output` undefined when it failed (a failed conditional write still costs its units).
 */
export function dynamoUnits(operation: string, input: Input, output: Output): { rcu: number; wcu: number } {
  const consistent = input.ConsistentRead === true;
  switch (operation) {
    case 'PutItem':
      return { rcu: 0, wcu: writeUnits(itemBytes((input.Item as Record<string, unknown>) ?? {})) };
    case 'UpdateItem':
    case 'DeleteItem':
      // Charged on the larger of the item before and after; replog's updated items are small.
      return { rcu: 0, wcu: 1 };
    case 'BatchWriteItem': {
      let wcu = 0;
      for (const requests of Object.values((input.RequestItems as Record<string, Array<Record<string, { Item?: Record<string, unknown> }>>>) ?? {})) {
        for (const r of requests) wcu += writeUnits(r.PutRequest?.Item ? itemBytes(r.PutRequest.Item) : 0);
      }
      // Items left unprocessed are not written (and are sent again, counted then).
      const left = Object.values((output?.UnprocessedItems as Record<string, unknown[]>) ?? {}).reduce((a, r) => a + r.length, 0);
      return { rcu: 0, wcu: Math.max(0, wcu - left) };
    }
    case 'BatchExecuteStatement': {
      const statements = (input.Statements as Array<{ Statement?: string; Parameters?: unknown[] }>) ?? [];
      const writes = statements.filter((s) => !/^\s*select/i.test(s.Statement ?? ''));
      return { rcu: statements.length - writes.length, wcu: writes.reduce((a, s) => a + writeUnits(statementItemBytes(s)), 0) };
    }
    case 'TransactWriteItems':
      return { rcu: 0, wcu: 2 * ((input.TransactItems as unknown[]) ?? []).length };
    case 'GetItem':
      return { rcu: readUnits(output?.Item ? itemBytes(output.Item as Record<string, unknown>) : 0, consistent), wcu: 0 };
    case 'BatchGetItem': {
      // Each key is read as a GetItem: rounded up to 4 KB, found or not.
      let rcu = 0;
      for (const [table, request] of Object.entries((input.RequestItems as Record<string, { Keys?: unknown[]; ConsistentRead?: boolean }>) ?? {})) {
        const found = ((output?.Responses as Record<string, Array<Record<string, unknown>>>)?.[table] ?? []).map(itemBytes);
        const keys = request.Keys?.length ?? 0;
        const unprocessed = ((output?.UnprocessedKeys as Record<string, { Keys?: unknown[] }>)?.[table]?.Keys ?? []).length;
        const each = (bytes: number) => readUnits(bytes, request.ConsistentRead === true);
        rcu += found.reduce((a, b) => a + each(b), 0) + Math.max(0, keys - unprocessed - found.length) * each(0);
      }
      return { rcu, wcu: 0 };
    }
    case 'Query':
    case 'Scan': {
      // Charged on the items read (before a filter), summed and rounded up once.
      const items = ((output?.Items as Array<Record<string, unknown>>) ?? []).reduce((a, item) => a + itemBytes(item), 0);
      return { rcu: readUnits(items, consistent), wcu: 0 };
    }
    default:
      return { rcu: 0, wcu: 0 };
  }
}

// ---- serverless-offline's process: counting by function --------------------------------------

interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (next: (args: { input: Input }) => Promise<{ output: Output }>, context: { commandName?: string }) => (args: { input: Input }) => Promise<{ output: Output }>,
      options: { step: 'initialize'; name: string; override: boolean },
    ): void;
  };
}

const invocation = new AsyncLocalStorage<string>();
const counted = new WeakSet<object>();
let functionUsage: UsageCounter | undefined;

function functionCounter(): UsageCounter {
  if (!functionUsage) {
    functionUsage = new UsageCounter();
    functionUsage.report('functions', (line) => process.stdout.write(`${line}\n`));
  }
  return functionUsage;
}

/** Counts every call `client` makes, by the function running it (`service`: dynamodb or sqs). */
function countCalls(client: MiddlewareClient, service: 'dynamodb' | 'sqs', usage: UsageCounter): void {
  if (counted.has(client)) return;
  counted.add(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const who = invocation.getStore() ?? 'other';
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      usage.add(`${who}|${service}:${operation}`);
      const charge = (output: Output) => {
        if (service !== 'dynamodb') return;
        const { rcu, wcu } = dynamoUnits(operation, args.input, output);
        usage.add(`${who}|dynamodb:RCU`, rcu);
        usage.add(`${who}|dynamodb:WCU`, wcu);
      };
      try {
        const result = await next(args);
        charge(result.output);
        return result;
      } catch (err) {
        charge(undefined);
        throw err;
      }
    },
    { step: 'initialize', name: 'replogAwsUsage', override: true },
  );
}

/**
 * Wraps a handler module (what a shim exports) so each invocation is counted under `name`, and
 * the calls it makes through lib/'s clients are attributed to it.
 */
export function instrumentHandlers<T extends Record<string, unknown>>(name: string, handlers: T, clients: { dynamo: unknown; sqs: unknown }): T {
  const usage = functionCounter();
  countCalls(clients.dynamo as MiddlewareClient, 'dynamodb', usage);
  countCalls(clients.sqs as MiddlewareClient, 'sqs', usage);
  const wrapped: Record<string, unknown> = { ...handlers };
  for (const [key, fn] of Object.entries(handlers)) {
    if (typeof fn !== 'function') continue;
    wrapped[key] = (...args: unknown[]) => {
      usage.add(`${name}|lambda:Invoke`);
      return invocation.run(name, () => (fn as (...a: unknown[]) => unknown)(...args));
    };
  }
  return wrapped as T;
}
