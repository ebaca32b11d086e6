import { BadRequestError, PayloadTooLargeError } from './errors';
import { codeUnitEscape, loneSurrogateIndex } from './unicode';

export interface AppendRequest {
  msg: string;
  w: number;
  idempotencyKey?: string;
}

export interface AppendLimits {
  /** N, the number of secondaries: w may be 1..N+1. */
  secondaries: number;
  maxMsgBytes: number;
}

const APPEND_FIELDS = new Set(['msg', 'w']);
const MAX_IDEMPOTENCY_KEY_CHARS = 255;
// JSON may spell one byte of msg as six ("\u0001"): allow for that before refusing a body unread.
const JSON_EXPANSION = 6;
const ENVELOPE_BYTES = 1024;

function parseJsonObject(body: string | null | undefined, limits: AppendLimits): Record<string, unknown> {
  if (body === null || body === undefined || body.trim() === '') {
    throw new BadRequestError('request body is required: {"msg": "<text>", "w": <1..' + (limits.secondaries + 1) + '>}');
  }
  if (Buffer.byteLength(body, 'utf8') > limits.maxMsgBytes * JSON_EXPANSION + ENVELOPE_BYTES) {
    throw new PayloadTooLargeError(`request body is too large: msg may be at most ${limits.maxMsgBytes} bytes (UTF-8)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequestError('request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestError('request body must be a JSON object like {"msg": "hello", "w": 1}');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Refuses text holding a lone surrogate: JSON can spell one ("\ud800"), but it is not Unicode,
 * and the tables store UTF-8, which cannot hold it. Storing it altered is never an option.
 */
function assertValidUnicode(what: string, text: string): void {
  const at = loneSurrogateIndex(text);
  if (at < 0) return;
  throw new BadRequestError(
    `${what} is not valid Unicode: lone surrogate ${codeUnitEscape(text.charCodeAt(at))} at index ${at} (UTF-16 code units); a surrogate may only appear as half of a pair`,
  );
}

/** Parses the `w` write concern: an integer from 1 (master only) to N+1 (every node). */
export function parseWriteConcern(value: unknown, secondaries: number): number {
  const max = secondaries + 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new BadRequestError(`w must be an integer from 1 to ${max} (the master plus ${secondaries} secondaries), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validates a POST /append request; throws a 400/413 error describing the first problem. */
export function parseAppendRequest(
  body: string | null | undefined,
  idempotencyKey: string | undefined,
  limits: AppendLimits,
): AppendRequest {
  const fields = parseJsonObject(body, limits);
  const unknown = Object.keys(fields).filter((k) => !APPEND_FIELDS.has(k));
  if (unknown.length > 0) {
    throw new BadRequestError(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}: only "msg" and "w" are accepted`);
  }
  const { msg } = fields;
  if (typeof msg !== 'string' || msg.length === 0) {
    throw new BadRequestError('msg must be a non-empty string');
  }
  assertValidUnicode('msg', msg);
  const bytes = Buffer.byteLength(msg, 'utf8');
  if (bytes > limits.maxMsgBytes) {
    throw new PayloadTooLargeError(`msg is ${bytes} bytes (UTF-8); the limit is ${limits.maxMsgBytes}`);
  }
  const w = fields.w === undefined ? 1 : parseWriteConcern(fields.w, limits.secondaries);
  if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_CHARS)) {
    throw new BadRequestError(`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_CHARS} characters`);
  }
  if (idempotencyKey !== undefined) assertValidUnicode('Idempotency-Key', idempotencyKey);
  return { msg, w, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) };
}

export interface Paging {
  after: number;
  limit: number;
}

export const MAX_PAGE = 1000;

function parseIntParam(name: string, raw: string, min: number, max: number): number {
  const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new BadRequestError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** `?after=ID&limit=L` of the list endpoints: after defaults to -1 (from the start). */
export function parsePaging(query: Record<string, string | undefined> | null | undefined): Paging {
  const after = query?.after === undefined ? -1 : parseIntParam('after', query.after, -1, Number.MAX_SAFE_INTEGER);
  const limit = query?.limit === undefined ? MAX_PAGE : parseIntParam('limit', query.limit, 1, MAX_PAGE);
  return { after, limit };
}

/** A message id in a path: a non-negative integer. */
export function parseMessageId(raw: string | undefined): number {
  if (raw === undefined) throw new BadRequestError('message id is required');
  return parseIntParam('message id', raw, 0, Number.MAX_SAFE_INTEGER);
}
