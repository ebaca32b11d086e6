// How big a response gets on AWS. A Lambda response may be at most 6 MB, and API Gateway's proxy
// integration returns the body as a JSON string inside the Lambda's JSON result: the body's JSON
// is encoded once more, so every escape grows again ("\"" → "\\\"", a control's "\u0001" → "\\u0001").
// A page of 1,000 messages of 64 KB would be 64 MB: pages are cut by these bytes as well as by count.

/** Lambda's limit on a synchronous response (6 MB). */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

/** What the entries of one response may take; the rest is ample for the JSON around them. */
export const RESPONSE_BUDGET_BYTES = MAX_RESPONSE_BYTES - 64 * 1024;

/** The bytes `value` adds to a Lambda proxy response: its JSON, encoded again as part of the body string, and a comma. */
export function responseBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(JSON.stringify(value)), 'utf8') - 1;
}

/** The size of a whole Lambda proxy result carrying `body` as JSON (what the 6 MB limit applies to). */
export function proxyResultBytes(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): number {
  return Buffer.byteLength(JSON.stringify({ statusCode: 200, headers, body: JSON.stringify(body) }), 'utf8');
}
