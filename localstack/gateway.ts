/**
 * The one public port. Routes each request by protocol, like LocalStack's edge port:
 *   X-Amz-Target DynamoDB_20120810.* (and DynamoDBStreams_20120810.*) → DynamoDB Local, streamed;
 *   X-Amz-Target AmazonSQS.*         → fauxqs, queue URLs normalised both ways;
 *   form-encoded Action=...          → SQS query protocol, translated to JSON and back to XML;
 *   GET /_localstack/health          → which services run.
 */
import http from "node:http";
import { randomUUID } from "node:crypto";
import {
  regionFromAuthorization,
  rewriteRequestQueueUrl,
  rewriteResponseQueueUrls,
  serviceFromAuthorization,
} from "./queue-urls.js";
import {
  decodeQueryRequest,
  queryErrorFromJson,
  QueryProtocolError,
  renderQueryError,
  renderQueryResponse,
  SQS_QUERY_VERSION,
  type QueryError,
} from "./sqs-query-protocol.js";

export interface GatewayBackends {
  dynamodbPort: number;
  fauxqsPort: number;
}

export interface GatewayOptions {
  port: number;
  region: string;
}

export interface Gateway {
  readonly port: number;
  /** Requests get 503 until the backends are attached (the port is bound first, to fail fast). */
  attach(backends: GatewayBackends): void;
  close(): Promise<void>;
}

const HEALTH_PATH = "/_localstack/health";
const EDITION = "replog-embedded";
const MAX_BUFFERED_BODY = 8 * 1024 * 1024; // SQS caps messages at 1 MiB; this is a safety net
const JSON_CONTENT_TYPE = "application/x-amz-json-1.0";
const ROUTING_HELP =
  "This replog local cloud serves only DynamoDB (X-Amz-Target: DynamoDB_20120810.*) and SQS " +
  `(X-Amz-Target: AmazonSQS.*, or the query protocol: Action=...&Version=${SQS_QUERY_VERSION}); ` +
  `GET ${HEALTH_PATH} lists them.`;

/** Headers that describe one hop's connection, not the message; never forward them. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "upgrade",
]);

function endToEndHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  }
  return out;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, contentType = "application/json"): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendXml(res: http.ServerResponse, status: number, xml: string, requestId: string): void {
  res.writeHead(status, {
    "content-type": "text/xml",
    "content-length": Buffer.byteLength(xml),
    "x-amzn-requestid": requestId,
  });
  res.end(xml);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BUFFERED_BODY) {
        reject(new Error(`request body larger than ${MAX_BUFFERED_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

type Route = "health" | "dynamodb" | "sqs-json" | "form" | "unroutable";

function routeOf(req: http.IncomingMessage): Route {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") {
    if (target.startsWith("DynamoDB_20120810.") || target.startsWith("DynamoDBStreams_20120810.")) return "dynamodb";
    if (target.startsWith("AmazonSQS.")) return "sqs-json";
    return "unroutable";
  }
  const url = req.url ?? "/";
  if ((req.method === "GET" || req.method === "HEAD") && url.split("?")[0] === HEALTH_PATH) return "health";
  const contentType = req.headers["content-type"] ?? "";
  if (contentType.includes("application/x-www-form-urlencoded")) return "form";
  if (req.method === "GET" && /[?&]Action=/.test(url)) return "form";
  return "unroutable";
}

interface UpstreamReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export async function listenGateway(options: GatewayOptions): Promise<Gateway> {
  let backends: GatewayBackends | undefined;
  // Keep-alive: every call reuses a loopback connection instead of paying a TCP handshake.
  const dynamodbAgent = new http.Agent({ keepAlive: true });
  const fauxqsAgent = new http.Agent({ keepAlive: true });

  function sendUnroutable(res: http.ServerResponse, why: string): void {
    sendJson(res, 400, { __type: "UnsupportedService", message: `${why} ${ROUTING_HELP}` });
  }

  function sendHealth(res: http.ServerResponse): void {
    const state = backends ? "running" : "starting";
    sendJson(res, 200, { services: { dynamodb: state, sqs: state }, edition: EDITION });
  }

  /** Hot path: no buffering, no parsing; bytes flow both ways through a pooled connection. */
  function proxyToDynamoDb(req: http.IncomingMessage, res: http.ServerResponse, port: number): void {
    const upstream = http.request(
      { host: "127.0.0.1", port, method: req.method, path: req.url, headers: endToEndHeaders(req.headers), agent: dynamodbAgent },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, endToEndHeaders(reply.headers));
        reply.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      if (res.headersSent) res.destroy(err);
      else sendJson(res, 502, { __type: "ServiceUnavailable", message: `DynamoDB Local unreachable: ${err.message}` });
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  /** One JSON-protocol call to fauxqs, queue URLs normalised on the way in and out. */
  function callFauxqs(
    target: string,
    input: Record<string, unknown>,
    authorization: string | undefined,
    client: http.ServerResponse,
    ports: GatewayBackends,
  ): Promise<UpstreamReply> {
    const region = regionFromAuthorization(authorization) ?? options.region;
    rewriteRequestQueueUrl(input, region, ports.fauxqsPort);
    const payload = JSON.stringify(input);
    const headers: http.OutgoingHttpHeaders = {
      host: `127.0.0.1:${ports.fauxqsPort}`, // fauxqs builds new queue URLs from this port
      "content-type": JSON_CONTENT_TYPE,
      "content-length": Buffer.byteLength(payload),
      "x-amz-target": target,
    };
    if (authorization) headers.authorization = authorization; // fauxqs reads the region from it
    return new Promise((resolve, reject) => {
      const upstream = http.request(
        { host: "127.0.0.1", port: ports.fauxqsPort, method: "POST", path: "/", headers, agent: fauxqsAgent },
        (reply) => {
          readBody(reply).then(
            (body) => resolve({ status: reply.statusCode ?? 502, headers: reply.headers, body: publicBody(body) }),
            reject,
          );
        },
      );
      upstream.on("error", reject);
      // A client that gives up on a long poll should not leave our upstream request dangling.
      client.on("close", () => {
        if (!client.writableFinished) upstream.destroy();
      });
      upstream.end(payload);
    });
  }

  /** Responses carry fauxqs's internal URLs; show clients the public form instead. */
  function publicBody(body: Buffer): Buffer {
    if (!body.includes("QueueUrl")) return body; // most responses: forward the bytes untouched
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    if (!isRecord(parsed)) return body;
    rewriteResponseQueueUrls(parsed, gatewayPort);
    return Buffer.from(JSON.stringify(parsed));
  }

  async function handleSqsJson(req: http.IncomingMessage, res: http.ServerResponse, ports: GatewayBackends): Promise<void> {
    const raw = await readBody(req);
    let input: unknown;
    try {
      input = raw.length > 0 ? JSON.parse(raw.toString("utf8")) : {};
    } catch {
      sendJson(res, 400, { __type: "com.amazonaws.sqs#InvalidParameterValue", message: "Request body is not valid JSON." }, JSON_CONTENT_TYPE);
      return;
    }
    if (!isRecord(input)) {
      sendJson(res, 400, { __type: "com.amazonaws.sqs#InvalidParameterValue", message: "Request body must be a JSON object." }, JSON_CONTENT_TYPE);
      return;
    }
    const target = String(req.headers["x-amz-target"]);
    const reply = await callFauxqs(target, input, req.headers.authorization, res, ports);
    const headers: http.OutgoingHttpHeaders = {
      "content-type": JSON_CONTENT_TYPE,
      "content-length": reply.body.length,
    };
    for (const name of ["x-amzn-query-error", "x-amz-request-id", "x-amzn-requestid"]) {
      const value = reply.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    res.writeHead(reply.status, headers);
    res.end(reply.body);
  }

  /** Query parameters from the URL (GET) and the form body (POST), as SQS accepts both. */
  async function queryParams(req: http.IncomingMessage): Promise<URLSearchParams> {
    const search = new URL(req.url ?? "/", "http://gateway").searchParams;
    const body = req.method === "GET" || req.method === "HEAD" ? "" : (await readBody(req)).toString("utf8");
    const params = new URLSearchParams(body);
    for (const [key, value] of search) if (!params.has(key)) params.append(key, value);
    return params;
  }

  async function handleForm(req: http.IncomingMessage, res: http.ServerResponse, ports: GatewayBackends): Promise<void> {
    const params = await queryParams(req);
    const service = serviceFromAuthorization(req.headers.authorization);
    const version = params.get("Version");
    if ((service !== undefined && service !== "sqs") || (version !== null && version !== SQS_QUERY_VERSION)) {
      sendUnroutable(res, `No query-protocol service for ${service ?? "this request"} (Version=${version ?? "none"}).`);
      return;
    }
    const requestId = randomUUID();
    let error: QueryError;
    try {
      const { action, target, input } = decodeQueryRequest(params);
      defaultQueueUrlFromPath(input, req.url);
      const reply = await callFauxqs(target, input, req.headers.authorization, res, ports);
      const json: unknown = reply.body.length > 0 ? JSON.parse(reply.body.toString("utf8")) : {};
      if (reply.status < 400) {
        sendXml(res, reply.status, renderQueryResponse(action, json, requestId), requestId);
        return;
      }
      const queryErrorHeader = reply.headers["x-amzn-query-error"];
      error = queryErrorFromJson(reply.status, json, typeof queryErrorHeader === "string" ? queryErrorHeader : undefined);
    } catch (err) {
      if (!(err instanceof QueryProtocolError)) throw err;
      error = { status: err.status, type: err.type, code: err.code, message: err.message };
    }
    sendXml(res, error.status, renderQueryError(error, requestId), requestId);
  }

  /** Older SQS clients POST to the queue URL itself and omit the QueueUrl parameter. */
  function defaultQueueUrlFromPath(input: Record<string, unknown>, url: string | undefined): void {
    const path = (url ?? "/").split("?")[0] ?? "/";
    if (input.QueueUrl === undefined && path.split("/").filter(Boolean).length >= 2) input.QueueUrl = path;
  }

  function sendInternalError(res: http.ServerResponse, route: Route, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (res.headersSent) {
      res.destroy();
    } else if (route === "form") {
      const requestId = randomUUID();
      sendXml(res, 502, renderQueryError({ type: "Receiver", code: "ServiceUnavailable", message }, requestId), requestId);
    } else {
      sendJson(res, 502, { __type: "ServiceUnavailable", message });
    }
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const route = routeOf(req);
    if (route === "health") return sendHealth(res);
    if (route === "unroutable") {
      req.resume();
      return sendUnroutable(res, `Cannot route ${req.method} ${req.url}.`);
    }
    const ports = backends;
    if (!ports) {
      req.resume();
      return sendJson(res, 503, { __type: "ServiceUnavailable", message: "replog local cloud is still starting" });
    }
    if (route === "dynamodb") return proxyToDynamoDb(req, res, ports.dynamodbPort);
    const work = route === "sqs-json" ? handleSqsJson(req, res, ports) : handleForm(req, res, ports);
    work.catch((err: unknown) => sendInternalError(res, route, err));
  }

  const server = http.createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "EADDRINUSE"
          ? new Error(`port ${options.port} is in use — is LocalStack or another replog already running?`)
          : err,
      );
    });
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const gatewayPort = typeof address === "object" && address !== null ? address.port : options.port;

  let closing: Promise<void> | undefined;
  return {
    port: gatewayPort,
    attach(next) {
      backends = next;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Pending long polls and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
        dynamodbAgent.destroy();
        fauxqsAgent.destroy();
      });
      return closing;
    },
  };
}
