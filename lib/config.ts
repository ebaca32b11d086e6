import { ConfigError, NotFoundError } from './errors';
import type { HeartbeatPolicy } from './health';

export interface Config {
  stage: string;
  region: string;
  /**
   * Where each service's client sends its calls; undefined on AWS. The SDK's own settings:
   * AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS, else AWS_ENDPOINT_URL for both.
   */
  endpoints: { dynamodb: string | undefined; sqs: string | undefined };
  secondaries: readonly string[];
  tables: {
    counter: string;
    master: string;
    acks: string;
    control: string;
    secondaries: Readonly<Record<string, string>>;
  };
  queueUrls: Readonly<Record<string, string>>;
  repairQueueUrl: string;
  waitTimeoutMs: number;
  maxMsgBytes: number;
  holeGraceMs: number;
  faultsCacheMs: number;
  heartbeat: HeartbeatPolicy;
  /** How long acks and other per-id bookkeeping are kept (REPLOG_ACK_RETENTION_HOURS); see lib/retention.ts. */
  ackRetentionMs: number;
  /** Receives of a replicate job before SQS parks it in the DLQ (the queue's maxReceiveCount). */
  maxReceiveCount: number;
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`setting ${name} is missing`);
  return value;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(`setting ${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** Hours as milliseconds; fractions allowed (0.01 = 36 s, for tests), at most ten years. */
function retentionHours(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback * 3_600_000;
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  const ms = Math.round(value * 3_600_000);
  if (!(ms >= 1000) || value > 87_600) throw new ConfigError(`setting ${name} must be a number of hours from 0.0003 (1 s) to 87600, got "${raw}"`);
  return ms;
}

function nonNegativeInt(env: Env, name: string, fallback: number): number {
  return /^0+$/.test(env[name]?.trim() ?? '') ? 0 : positiveInt(env, name, fallback);
}

function heartbeatPolicy(env: Env): HeartbeatPolicy {
  const policy = {
    intervalMs: positiveInt(env, 'REPLOG_HEARTBEAT_MS', 1000),
    suspectedAfter: positiveInt(env, 'REPLOG_SUSPECTED_AFTER_BEATS', 2),
    unhealthyAfter: positiveInt(env, 'REPLOG_UNHEALTHY_AFTER_BEATS', 5),
  };
  if (policy.unhealthyAfter <= policy.suspectedAfter) {
    throw new ConfigError('REPLOG_UNHEALTHY_AFTER_BEATS must be greater than REPLOG_SUSPECTED_AFTER_BEATS');
  }
  if (policy.intervalMs > 30_000) throw new ConfigError('REPLOG_HEARTBEAT_MS may be at most 30000 (several beats per scheduled minute)');
  return policy;
}

// A replicate job carries msg as base64 of its UTF-8 bytes (lib/job-codec.ts): 4/3 of the byte
// count whatever the text, so at this ceiling a job is at most 174,796 bytes, under SQS's 256 KiB.
export const MAX_MSG_BYTES_CEILING = 128 * 1024;

/** Reads and validates every setting once; throws ConfigError naming the first bad one. */
export function loadConfig(env: Env = process.env): Config {
  const secondaries = required(env, 'REPLOG_SECONDARIES')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (secondaries.length === 0) throw new ConfigError('REPLOG_SECONDARIES names no secondary');
  if (new Set(secondaries).size !== secondaries.length) throw new ConfigError('REPLOG_SECONDARIES names a secondary twice');

  let queueUrls: Record<string, string>;
  try {
    queueUrls = JSON.parse(required(env, 'REPLOG_QUEUE_URLS')) as Record<string, string>;
    if (typeof queueUrls !== 'object' || queueUrls === null || Array.isArray(queueUrls)) throw new TypeError('not an object');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError('REPLOG_QUEUE_URLS must be a JSON object {"<secondary>": "<queue URL>"}');
  }
  for (const name of secondaries) {
    if (typeof queueUrls[name] !== 'string') throw new ConfigError(`REPLOG_QUEUE_URLS has no queue for secondary "${name}"`);
  }

  const tablePrefix = required(env, 'REPLOG_SECONDARY_TABLE_PREFIX');
  const maxMsgBytes = positiveInt(env, 'REPLOG_MAX_MSG_BYTES', 65536);
  if (maxMsgBytes > MAX_MSG_BYTES_CEILING) {
    throw new ConfigError(`REPLOG_MAX_MSG_BYTES may be at most ${MAX_MSG_BYTES_CEILING} so a job fits in one SQS message`);
  }
  return {
    stage: required(env, 'REPLOG_STAGE'),
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1',
    endpoints: {
      dynamodb: env.AWS_ENDPOINT_URL_DYNAMODB?.trim() || env.AWS_ENDPOINT_URL?.trim() || undefined,
      sqs: env.AWS_ENDPOINT_URL_SQS?.trim() || env.AWS_ENDPOINT_URL?.trim() || undefined,
    },
    secondaries,
    tables: {
      counter: required(env, 'REPLOG_COUNTER_TABLE'),
      master: required(env, 'REPLOG_MASTER_TABLE'),
      acks: required(env, 'REPLOG_ACK_TABLE'),
      control: required(env, 'REPLOG_CONTROL_TABLE'),
      secondaries: Object.fromEntries(secondaries.map((s) => [s, `${tablePrefix}${s}`])),
    },
    queueUrls,
    repairQueueUrl: required(env, 'REPLOG_REPAIR_QUEUE_URL'),
    waitTimeoutMs: positiveInt(env, 'REPLOG_WAIT_TIMEOUT_MS', 25000),
    maxMsgBytes,
    holeGraceMs: positiveInt(env, 'REPLOG_HOLE_GRACE_MS', 3000),
    faultsCacheMs: nonNegativeInt(env, 'REPLOG_FAULTS_CACHE_MS', 500),
    heartbeat: heartbeatPolicy(env),
    ackRetentionMs: retentionHours(env, 'REPLOG_ACK_RETENTION_HOURS', 168),
    maxReceiveCount: positiveInt(env, 'REPLOG_MAX_RECEIVE_COUNT', 1000),
  };
}

let cached: Config | undefined;

/** The process's configuration, read on first use (cold start) and kept. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}

/** Throws the 404 for a secondary name that is not configured. */
export function assertKnownSecondary(name: string): void {
  const { secondaries } = getConfig();
  if (!secondaries.includes(name)) throw new NotFoundError(`no secondary named "${name}"; configured: ${secondaries.join(', ')}`);
}

/** The secondary whose replicate queue has this ARN (the queue name is the URL's last segment). */
export function secondaryForQueueArn(queueArn: string): string {
  const queueName = queueArn.slice(queueArn.lastIndexOf(':') + 1);
  const { queueUrls } = getConfig();
  for (const [secondary, url] of Object.entries(queueUrls)) if (url.endsWith(`/${queueName}`)) return secondary;
  throw new ConfigError(`queue ${queueName} is not the replicate queue of any configured secondary`);
}
