import type { HeartbeatJob, ReplicateJob } from './log-entry';
import { loneSurrogateIndex } from './unicode';

// What goes on a replicate queue. SQS accepts only some characters in a message body (#x9 #xA
// #xD #x20–#xD7FF #xE000–#xFFFD #x10000–#x10FFFF: real SQS refuses U+FFFE, U+FFFF and raw
// controls, the local emulator everything above U+FFFF), while a message may hold any of them.
// So the text travels as base64 of its UTF-8 bytes: pure ASCII, and its size depends on the
// byte count only (4/3 of it), never on which characters it holds — no escaping can blow it up.

/** SQS's largest message body (256 KiB). */
export const SQS_MAX_MESSAGE_BYTES = 256 * 1024;

/** A job body that can never be applied (it is logged and dropped rather than retried forever). */
export class MalformedJobError extends Error {}

/** The queue body of a job: `{"id":5,"m64":"<base64 of msg's UTF-8>"}`, a no-op or a heartbeat. */
export function encodeJob(job: ReplicateJob | HeartbeatJob): string {
  if ('heartbeat' in job) return JSON.stringify({ heartbeat: job.heartbeat });
  if (job.noop) return JSON.stringify({ id: job.id, noop: true });
  const msg = job.msg ?? '';
  const bad = loneSurrogateIndex(msg);
  // UTF-8 cannot carry a lone surrogate: encoding it would silently turn it into U+FFFD.
  if (bad >= 0) throw new TypeError(`job ${job.id}: msg has a lone surrogate at index ${bad}`);
  return JSON.stringify({ id: job.id, m64: Buffer.from(msg, 'utf8').toString('base64') });
}

/** The largest job body for a message of `msgBytes` UTF-8 bytes (the id as large as it gets). */
export function worstCaseJobBytes(msgBytes: number): number {
  return Buffer.byteLength(encodeJob({ id: Number.MAX_SAFE_INTEGER, msg: '' })) + 4 * Math.ceil(msgBytes / 3);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// ignoreBOM: a message may start with U+FEFF, and it must come back with it.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeText(m64: string): string {
  if (!BASE64.test(m64)) throw new MalformedJobError('job m64 is not base64');
  try {
    return strictUtf8.decode(Buffer.from(m64, 'base64'));
  } catch {
    throw new MalformedJobError('job m64 is not UTF-8');
  }
}

/**
 * Reads a job body. Jobs queued before the base64 encoding carry `msg` as a JSON string: they are
 * still read, so a queue that held some when the code changed drains normally.
 */
export function decodeJob(body: string): ReplicateJob | HeartbeatJob {
  let job: unknown;
  try {
    job = JSON.parse(body);
  } catch {
    throw new MalformedJobError('job is not JSON');
  }
  const beat = (job as Partial<HeartbeatJob> | null)?.heartbeat;
  if (typeof beat === 'number' && Number.isFinite(beat)) return { heartbeat: beat };
  const j = job as { id?: unknown; noop?: unknown; msg?: unknown; m64?: unknown } | null;
  if (typeof j !== 'object' || j === null || !Number.isSafeInteger(j.id) || (j.id as number) < 0) {
    throw new MalformedJobError('job has no valid id');
  }
  const id = j.id as number;
  if (j.noop === true) return { id, noop: true };
  if (typeof j.m64 === 'string') return { id, msg: decodeText(j.m64) };
  if (typeof j.msg === 'string') return { id, msg: j.msg };
  throw new MalformedJobError('job has no msg');
}
