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

export class ReadOnlyError extends ReplogError {
  constructor(message: string) {
    super(`read-only: ${message}`, 503);
  }
}

export class UnavailableError extends ReplogError {
  constructor(message: string) {
    super(message, 503);
  }
}

/** A setting is missing or malformed: thrown at cold start, never caught per request. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
