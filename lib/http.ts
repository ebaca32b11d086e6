import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ReplogError, UnavailableError } from './errors';
import { logger } from './logger';
import { METRIC, publishMetrics, recordMetric, routeOf } from './metrics';

export type HttpEvent = APIGatewayProxyEvent;
export type HttpResult = APIGatewayProxyResult;

export function json(statusCode: number, body: unknown): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Maps thrown errors to `{"error": ...}` responses in one place: typed errors keep their status. */
const jsonErrors = (): middy.MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: async (request) => {
    const err = request.error;
    if (err instanceof ReplogError) {
      const response = json(err.statusCode, { error: err.message });
      // RFC 9110: a 503 may say when to come back; clients (and api.md) rely on it.
      if (err instanceof UnavailableError) response.headers = { ...response.headers, 'retry-after': String(err.retryAfterSeconds) };
      request.response = response;
      return;
    }
    logger.error('request failed', { error: err as Error, path: request.event?.path });
    request.response = json(500, { error: 'internal error; the request may be retried' });
  },
});

/** Counts 5xx answers by route (the append-5xx alarm watches POST /append), then publishes the metrics. */
const metrics = (): middy.MiddlewareObj<HttpEvent, HttpResult> => {
  const done = async (request: middy.Request<HttpEvent, HttpResult>) => {
    if ((request.response?.statusCode ?? 500) >= 500) recordMetric(METRIC.serverErrors, 'Count', 1, { route: routeOf(request.event) });
    publishMetrics();
  };
  return { after: done, onError: done };
};

/** Decodes a base64 body (API Gateway sends binary-ish bodies that way). */
export function bodyText(event: HttpEvent): string | null {
  if (event.body === null || event.body === undefined) return null;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** Case-insensitive header lookup (API Gateway keeps the client's casing). */
export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted) return v ?? undefined;
  return undefined;
}

/** Wraps an HTTP handler: every error becomes a JSON error response, never a crash. */
export function httpHandler(fn: (event: HttpEvent) => Promise<HttpResult>) {
  // onError runs last-registered first: the error becomes its JSON response before it is counted.
  return middy<HttpEvent, HttpResult>(fn).use(metrics()).use(jsonErrors());
}
