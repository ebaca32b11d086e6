// A small HTTP client for the replog API (api.md), on Node's fetch.

export const DEFAULT_URL = 'http://localhost:3000';

export interface ApiResponse {
  status: number;
  /** The body exactly as received. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
}

/** No HTTP answer at all: connection refused, unknown host, reset… */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach the replog API at ${url} (${reason}); is \`npm start\` running?`);
  }
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'no answer in time',
};

function reasonOf(err: unknown): string {
  // fetch throws "fetch failed" with the socket error in `cause` (sometimes an AggregateError of both address
  // families): name the first error code found, else the innermost message ("bad port" …).
  let e: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return REASONS[code] ?? code;
    message = e.message || message;
    e = (e as { cause?: unknown }).cause ?? (e as { errors?: unknown[] }).errors?.[0];
  }
  return message;
}

/** Parses and normalises the endpoint: http(s) only, no trailing slash; a path prefix (an API Gateway stage) is kept. */
export function parseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`--url/REPLOG_URL must be an http(s) URL like ${DEFAULT_URL}, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`--url/REPLOG_URL must be an http(s) URL like ${DEFAULT_URL}, got ${JSON.stringify(raw)}`);
  }
  if (url.search || url.hash) throw new Error(`--url/REPLOG_URL must not have a query or fragment, got ${JSON.stringify(raw)}`);
  return url.href.replace(/\/+$/, '');
}

export class ApiClient {
  /** `apiKey`: sent as x-api-key on every call (deployed stages need it; `local` ignores it). */
  constructor(
    readonly baseUrl: string,
    readonly apiKey?: string,
  ) {}

  url(path: string): string {
    return this.baseUrl + path;
  }

  async request(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> {
    const url = this.url(path);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.apiKey !== undefined) headers['x-api-key'] = this.apiKey;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let text: string;
    let status: number;
    try {
      const res = await fetch(url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw new UnreachableError(this.baseUrl, reasonOf(err));
    }
    let body: unknown;
    try {
      body = text.trim() === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status, text, body };
  }
}

/** The `error` of an error response, or a description of what came back instead. */
export function errorMessage(res: ApiResponse): string {
  const err = (res.body as { error?: unknown } | undefined)?.error;
  if (typeof err === 'string') return err;
  const snippet = res.text.trim().replace(/\s+/g, ' ').slice(0, 200);
  return `HTTP ${res.status}${snippet ? `: ${snippet}` : ' with an empty body'}`;
}
