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
  // One socket per concurrent client, reused: a fresh TCP connection per call would be measured too.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  return {
    call<T>(method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<Reply<T>> {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      return new Promise((resolve, reject) => {
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
        req.on('error', reject);
        req.end(payload);
      });
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
