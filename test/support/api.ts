import { inject } from 'vitest';

export const apiUrl = (): string => inject('apiUrl');

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the replog API over real HTTP and parses its JSON answer. */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const res = await fetch(apiUrl() + path, {
    method,
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

export interface Listed {
  messages: Array<{ id: number; msg: string }>;
  next?: number;
}

export const listMaster = () => api<Listed>('GET', '/list');

/** Every message of a list endpoint (`/list`, `/secondaries/s1/list`), following `next` page by page. */
export async function listEvery(path: string): Promise<Listed['messages']> {
  const messages: Listed['messages'] = [];
  for (let after = -1; ; ) {
    const res = await api<Listed>('GET', `${path}?after=${after}`);
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    messages.push(...res.body.messages);
    if (res.body.next === undefined) return messages;
    after = res.body.next;
  }
}
export const listSecondary = (name: string) => api<Listed>('GET', `/secondaries/${name}/list`);

/** Polls until `check` passes or `timeoutMs` runs out; returns the last value seen. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let interval = 10;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, interval));
    interval = Math.min(200, interval * 1.5);
  }
}
