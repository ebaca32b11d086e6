'use strict';
// Serverless plugin: serverless-offline's own refusals in replog's error shape.
//
// On AWS, API Gateway answers what never reaches a function (no such route, a body over its
// 10 MB, a bad request) with the GatewayResponses in scripts/serverless/stack.js, all
// `{"error": "..."}`. serverless-offline answers the same requests from its hapi server in
// hapi's shapes (`{"statusCode", "error", "message"}`, its route list on a 404, an empty 400 for a
// request it cannot parse). This plugin gives every error answer of offline's HTTP server the
// shape api.md promises, keeping its status: an `onPreResponse` extension rewrites any 4xx/5xx
// body that is not exactly `{"error": "<string>"}`, and requests too malformed to reach hapi's
// routing (a header over Node's 16 KB) get a JSON answer instead of a bare status line.
//
// serverless-offline keeps its hapi server private, so the extension is added as the server
// starts: `Server.prototype.start` of the same @hapi/hapi module offline imports is wrapped,
// only while `serverless offline` runs. Bodies over 10 MB keep offline's own limit (hapi's
// payload maxBytes), which matches API Gateway's.

function isErrorShape(source) {
  let body = source;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      body = JSON.parse(String(body));
    } catch {
      return false;
    }
  }
  return typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 1 && typeof body.error === 'string';
}

const { API_KEY_ERROR } = require('../scripts/serverless/stack.js');

/** A sentence for the client, from whatever offline or hapi put in its body. */
function describe(request, status, source) {
  if (status === 404) return `no such route: ${request.method.toUpperCase()} ${request.path}`;
  // offline's one 403: a `private` route without the stage's API key, as API Gateway says it.
  if (status === 403) return API_KEY_ERROR;
  const body = typeof source === 'object' && source !== null && !Buffer.isBuffer(source) ? source : {};
  const text = [body.message, body.errorMessage, body.error].find((t) => typeof t === 'string' && t.length > 0);
  if (status === 413) return 'request body is too large: at most 10 MB';
  return text ?? `request refused with status ${status}`;
}

/** The same status and headers (CORS, Retry-After …), with `{"error": "..."}` as the body. */
function errorReply(h, status, headers, error) {
  const reply = h.response(JSON.stringify({ error })).code(status).type('application/json');
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!['content-type', 'content-length'].includes(name.toLowerCase())) reply.header(name, value);
  }
  return reply;
}

function reshape(request, h) {
  const response = request.response;
  if (response.isBoom) {
    const { statusCode, payload, headers } = response.output;
    return errorReply(h, statusCode, headers, describe(request, statusCode, payload));
  }
  const status = response.statusCode;
  if (status < 400 || isErrorShape(response.source)) return h.continue;
  return errorReply(h, status, response.headers, describe(request, status, response.source));
}

function rawErrorResponse(status, reason, error) {
  const body = JSON.stringify({ error });
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/** A request Node's parser refused before hapi had one: answer in JSON, not with a bare status line. */
function shapeParserErrors(server) {
  const listener = server.listener;
  const hapiHandlers = listener.listeners('clientError');
  listener.removeAllListeners('clientError');
  listener.on('clientError', (err, socket) => {
    const inFlight = server._core?.actives?.get?.(socket);
    if (!socket.writable || inFlight) {
      for (const handler of hapiHandlers) handler.call(listener, err, socket);
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    socket.end(
      tooLarge
        ? rawErrorResponse(431, 'Request Header Fields Too Large', 'request headers are too large: at most 16 KB in all')
        : rawErrorResponse(400, 'Bad Request', `malformed HTTP request (${err.code ?? 'unreadable'})`),
    );
  });
}

const PATCHED = Symbol('replog error shape: start patched');
const SHAPED = Symbol('replog error shape: server shaped');

/** Shapes the errors of the hapi server listening on `httpPort` (not offline's Lambda invoke port). */
function install(httpPort) {
  // The @hapi/hapi serverless-offline imports: resolved from serverless-offline's own location.
  const offlineDir = require.resolve('serverless-offline', { paths: [process.cwd()] });
  const Hapi = require(require.resolve('@hapi/hapi', { paths: [offlineDir] }));
  const prototype = Object.getPrototypeOf(Hapi.server({ autoListen: false }));
  if (prototype[PATCHED]) return;
  prototype[PATCHED] = true;
  const start = prototype.start;
  prototype.start = async function startWithErrorShape(...args) {
    if (!Object.hasOwn(this, SHAPED) && String(this.settings.port) === String(httpPort)) {
      this[SHAPED] = true;
      this.ext('onPreResponse', reshape);
      shapeParserErrors(this);
    }
    return start.apply(this, args);
  };
}

class OfflineErrorShape {
  constructor(serverless, options) {
    const httpPort = () => options.httpPort ?? serverless.service.custom?.['serverless-offline']?.httpPort ?? 3000;
    const hook = () => install(httpPort());
    this.hooks = { 'before:offline:start': hook, 'before:offline:start:init': hook };
  }
}

module.exports = OfflineErrorShape;
