/** A small keep-alive HTTP client for the replog API: the load generator's side of every call. */
import http from 'node:http';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export interface ApiClient {
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<Reply<T>>;
  close(): void;
}

export function apiClient(baseUrl: string): ApiClient {
  const url = new URL(baseUrl);
  // One socket per concurrent client, reused: a fresh TCP connection per call would be measured
  // too. Idle sockets close after 4 s, before the server's 5 s keep-alive timeout (Node's default,
  // which hapi keeps) can close one under a request being sent.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4000 });
  const once = <T>(method: string, path: string, payload: string | undefined, timeoutMs: number): Promise<Reply<T>> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname === 'localhost' ? '127.0.0.1' : url.hostname,
          port: url.port || 80,
          method,
          path,
          agent,
          headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = { raw: text };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
      // A reused keep-alive socket the server closed just as we wrote on it: the request never
      // reached the server, so sending it again is safe (Node's documented pattern).
      req.on('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { retryable: req.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up') })));
      req.end(payload);
    });
  return {
    async call<T>(method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<Reply<T>> {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      try {
        return await once<T>(method, path, payload, timeoutMs);
      } catch (err) {
        if ((err as { retryable?: boolean }).retryable) return once<T>(method, path, payload, timeoutMs);
        throw err;
      }
    },
    close: () => agent.destroy(),
  };
}

export interface Listed {
  messages: Array<{ id: number; msg: string }>;
  next?: number;
}

export interface Appended {
  id: number;
  msg: string;
  w: number;
  acks: number;
}
