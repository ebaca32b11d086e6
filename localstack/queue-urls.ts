/**
 * Queue URL forms. fauxqs looks queues up by their exact URL (`http://sqs.<region>.localhost:<its
 * port>/<account>/<name>`), while clients may use any form LocalStack accepts. Normalising in this
 * one place lets every form reach the same queue and every response show one public form.
 */

export interface QueueRef {
  account: string;
  name: string;
}

/**
 * Account and name from any queue URL form: `http://localhost:4566/000000000000/q`,
 * `http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/q`, LocalStack's path style
 * `.../queue/us-east-1/000000000000/q`, fauxqs's own, or a bare path. Undefined if it is not one.
 */
export function parseQueueUrl(url: string): QueueRef | undefined {
  let pathname: string;
  if (url.startsWith("/")) {
    pathname = url.split("?")[0] ?? url;
  } else {
    try {
      pathname = new URL(url).pathname;
    } catch {
      return undefined;
    }
  }
  const segments = pathname.split("/").filter((s) => s.length > 0);
  const name = segments.at(-1);
  const account = segments.at(-2);
  if (name === undefined || account === undefined || !/^\d{12}$/.test(account)) return undefined;
  return { account, name };
}

/** Region from a SigV4 `Authorization` header's credential scope (`Credential=AK/date/region/svc/...`). */
export function regionFromAuthorization(authorization: string | undefined): string | undefined {
  return authorization?.match(/Credential=[^/\s,]+\/\d{8}\/([^/\s,]+)\//)?.[1];
}

/** Service from the same credential scope (`sqs`, `dynamodb`, ...). */
export function serviceFromAuthorization(authorization: string | undefined): string | undefined {
  return authorization?.match(/Credential=[^/\s,]+\/\d{8}\/[^/\s,]+\/([^/\s,]+)\//)?.[1];
}

export function fauxqsQueueUrl(ref: QueueRef, region: string, fauxqsPort: number): string {
  return `http://sqs.${region}.localhost:${fauxqsPort}/${ref.account}/${ref.name}`;
}

export function publicQueueUrl(ref: QueueRef, publicPort: number): string {
  return `http://localhost:${publicPort}/${ref.account}/${ref.name}`;
}

/** A queue URL in any form as fauxqs knows it (it matches URLs exactly); an unparseable one as it is. */
export function asFauxqsQueueUrl(url: string, region: string, fauxqsPort: number): string {
  const ref = parseQueueUrl(url);
  return ref ? fauxqsQueueUrl(ref, region, fauxqsPort) : url;
}

/** Replaces a request's `QueueUrl` (any form) by fauxqs's exact URL; leaves unparseable ones alone. */
export function rewriteRequestQueueUrl(body: Record<string, unknown>, region: string, fauxqsPort: number): void {
  if (typeof body.QueueUrl === "string") body.QueueUrl = asFauxqsQueueUrl(body.QueueUrl, region, fauxqsPort);
}

function toPublic(url: unknown, publicPort: number): unknown {
  if (typeof url !== "string") return url;
  const ref = parseQueueUrl(url);
  return ref ? publicQueueUrl(ref, publicPort) : url;
}

/** Rewrites `QueueUrl` and `QueueUrls` in a response to the public form. */
export function rewriteResponseQueueUrls(body: Record<string, unknown>, publicPort: number): void {
  if ("QueueUrl" in body) body.QueueUrl = toPublic(body.QueueUrl, publicPort);
  if (Array.isArray(body.QueueUrls)) body.QueueUrls = body.QueueUrls.map((url) => toPublic(url, publicPort));
}
