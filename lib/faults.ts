import { BadRequestError } from './errors';

/** Injected faults of one secondary (see api.md, "Fault injection"). */
export interface Faults {
  /** Refuses every job and heartbeat, and its list answers 503: a stopped node. */
  down: boolean;
  /** Sleeps this long before storing a job. */
  delayMs: number;
  /** This share of jobs fails *after* storing, so redelivery must deduplicate. */
  errorRate: number;
}

export const NO_FAULTS: Faults = Object.freeze({ down: false, delayMs: 0, errorRate: 0 });

const MAX_DELAY_MS = 60_000;

/** Validates a PUT body: an object with any of down/delayMs/errorRate and nothing else. */
export function parseFaultsPatch(body: string | null): Partial<Faults> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    throw new BadRequestError('request body must be JSON like {"down": true, "delayMs": 0, "errorRate": 0}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestError('request body must be a JSON object like {"down": true}');
  }
  const fields = parsed as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !['down', 'delayMs', 'errorRate'].includes(k));
  if (unknown.length > 0) throw new BadRequestError(`unknown field ${JSON.stringify(unknown[0])}: only "down", "delayMs" and "errorRate" are accepted`);
  const patch: Partial<Faults> = {};
  if ('down' in fields) {
    if (typeof fields.down !== 'boolean') throw new BadRequestError('down must be true or false');
    patch.down = fields.down;
  }
  if ('delayMs' in fields) {
    const d = fields.delayMs;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_DELAY_MS) throw new BadRequestError(`delayMs must be an integer from 0 to ${MAX_DELAY_MS}`);
    patch.delayMs = d;
  }
  if ('errorRate' in fields) {
    const r = fields.errorRate;
    if (typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r > 1) throw new BadRequestError('errorRate must be a number from 0 to 1');
    patch.errorRate = r;
  }
  return patch;
}

/** Fields left out of a patch keep their value. */
export function applyFaultsPatch(current: Faults, patch: Partial<Faults>): Faults {
  return { ...current, ...patch };
}
