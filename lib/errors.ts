/** Errors a client can act on; each carries the HTTP status it maps to (see lib/http.ts). */
export class ReplogError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends ReplogError {
  constructor(message: string) {
    super(message, 400);
  }
}

export class NotFoundError extends ReplogError {
  constructor(message: string) {
    super(message, 404);
  }
}

export class PayloadTooLargeError extends ReplogError {
  constructor(message: string) {
    super(message, 413);
  }
}

export class IdempotencyConflictError extends ReplogError {
  constructor(message: string) {
    super(message, 422);
  }
}

/** 503: worth retrying later; lib/http.ts sends `Retry-After` with it. */
export class UnavailableError extends ReplogError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message, 503);
  }
}

export class ReadOnlyError extends UnavailableError {
  constructor(message: string, retryAfterSeconds?: number) {
    super(`read-only: ${message}`, retryAfterSeconds);
  }
}

/**
 * An append failed before the master held its message (taking an id, checking the quorum,
 * recording the Idempotency-Key, the master write itself): nothing is visible, so a retry is safe.
 */
export class AppendNotStoredError extends UnavailableError {
  constructor(step: string) {
    super(`could not ${step}, so the message was not stored; retry in a moment`);
  }
}

/**
 * The master write failed and whether it was applied could not be settled: the message may be
 * in the log. A retry with the same Idempotency-Key is safe; one without a key may append it twice.
 */
export class AppendOutcomeUnknownError extends UnavailableError {
  constructor() {
    super('could not tell whether the master stored the message; retry with the same Idempotency-Key to be safe');
  }
}

/** A setting is missing or malformed: thrown at cold start, never caught per request. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
