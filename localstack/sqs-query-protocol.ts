/**
 * SQS's older query protocol (form-encoded `Action=...&Version=2012-11-05` in, XML out), translated
 * to and from the AWS JSON protocol that fauxqs speaks. Debian's awscli 2.9 still uses it.
 *
 * Pure functions only: no I/O. The translation is driven by a table of shapes that mirrors the
 * botocore SQS model (names on the wire, value types, flattened lists and maps), so adding an
 * action means adding a table row, not a code path.
 */

export const SQS_QUERY_VERSION = "2012-11-05";
export const SQS_XML_NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/";

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

export type ScalarShape = { readonly type: "string" | "integer" | "boolean" };
export type StructureShape = { readonly type: "structure"; readonly members: Readonly<Record<string, Member>> };
/** SQS only uses flattened lists: each item is `Wire.N` in a query and a repeated `<Wire>` in XML. */
export type ListShape = { readonly type: "list"; readonly member: ScalarShape | StructureShape };
/** SQS only uses flattened maps: `Wire.N.Key`/`Wire.N.Value`, and `<Wire><Key/><Value/></Wire>` in XML. */
export type MapShape = {
  readonly type: "map";
  readonly keyName: string;
  readonly valueName: string;
  readonly value: ScalarShape | StructureShape;
};
export type Shape = ScalarShape | StructureShape | ListShape | MapShape;

/** A structure member: its JSON name is the record key, `wire` is its name in queries and XML. */
export interface Member {
  readonly wire: string;
  readonly shape: Shape;
}

export interface ActionSpec {
  readonly input: StructureShape;
  /** Absent for actions whose response carries no `<XResult>` element. */
  readonly output?: StructureShape;
}

const STRING: ScalarShape = { type: "string" };
const INTEGER: ScalarShape = { type: "integer" };
const BOOLEAN: ScalarShape = { type: "boolean" };

function as(wire: string, shape: Shape): Member {
  return { wire, shape };
}

function list(member: ScalarShape | StructureShape): ListShape {
  return { type: "list", member };
}

function map(keyName: string, valueName: string, value: ScalarShape | StructureShape = STRING): MapShape {
  return { type: "map", keyName, valueName, value };
}

/** Members given as a bare shape are named the same on the wire as in JSON. */
function struct(members: Record<string, Shape | Member>): StructureShape {
  const normalised: Record<string, Member> = {};
  for (const [name, value] of Object.entries(members)) {
    normalised[name] = "wire" in value ? value : { wire: name, shape: value };
  }
  return { type: "structure", members: normalised };
}

const queueAttributes = as("Attribute", map("Name", "Value"));
const tags = as("Tag", map("Key", "Value"));
const messageAttributeValue = struct({
  StringValue: STRING,
  BinaryValue: STRING, // base64 in both protocols, so it passes through as text
  StringListValues: as("StringListValue", list(STRING)),
  BinaryListValues: as("BinaryListValue", list(STRING)),
  DataType: STRING,
});
const messageAttributes = as("MessageAttribute", map("Name", "Value", messageAttributeValue));
const messageSystemAttributes = as("MessageSystemAttribute", map("Name", "Value", messageAttributeValue));
const batchErrors = as(
  "BatchResultErrorEntry",
  list(struct({ Id: STRING, SenderFault: BOOLEAN, Code: STRING, Message: STRING })),
);
const message = struct({
  MessageId: STRING,
  ReceiptHandle: STRING,
  MD5OfBody: STRING,
  Body: STRING,
  Attributes: queueAttributes,
  MD5OfMessageAttributes: STRING,
  MessageAttributes: messageAttributes,
});
const sendMessageFields = {
  MessageBody: STRING,
  DelaySeconds: INTEGER,
  MessageAttributes: messageAttributes,
  MessageSystemAttributes: messageSystemAttributes,
  MessageDeduplicationId: STRING,
  MessageGroupId: STRING,
};
const sendMessageResultFields = {
  MD5OfMessageBody: STRING,
  MD5OfMessageAttributes: STRING,
  MD5OfMessageSystemAttributes: STRING,
  MessageId: STRING,
  SequenceNumber: STRING,
};
const QueueUrl = STRING;

/** Every action fauxqs implements, with its query/XML shapes (from the botocore SQS model). */
export const SQS_QUERY_ACTIONS: Readonly<Record<string, ActionSpec>> = {
  ListQueues: {
    input: struct({ QueueNamePrefix: STRING, NextToken: STRING, MaxResults: INTEGER }),
    output: struct({ QueueUrls: as("QueueUrl", list(STRING)), NextToken: STRING }),
  },
  GetQueueUrl: {
    input: struct({ QueueName: STRING, QueueOwnerAWSAccountId: STRING }),
    output: struct({ QueueUrl }),
  },
  CreateQueue: {
    input: struct({ QueueName: STRING, Attributes: queueAttributes, tags }),
    output: struct({ QueueUrl }),
  },
  DeleteQueue: { input: struct({ QueueUrl }) },
  GetQueueAttributes: {
    input: struct({ QueueUrl, AttributeNames: as("AttributeName", list(STRING)) }),
    output: struct({ Attributes: queueAttributes }),
  },
  SetQueueAttributes: { input: struct({ QueueUrl, Attributes: queueAttributes }) },
  PurgeQueue: { input: struct({ QueueUrl }) },
  SendMessage: {
    input: struct({ QueueUrl, ...sendMessageFields }),
    output: struct(sendMessageResultFields),
  },
  SendMessageBatch: {
    input: struct({
      QueueUrl,
      Entries: as("SendMessageBatchRequestEntry", list(struct({ Id: STRING, ...sendMessageFields }))),
    }),
    output: struct({
      Successful: as("SendMessageBatchResultEntry", list(struct({ Id: STRING, ...sendMessageResultFields }))),
      Failed: batchErrors,
    }),
  },
  ReceiveMessage: {
    input: struct({
      QueueUrl,
      AttributeNames: as("AttributeName", list(STRING)),
      MessageSystemAttributeNames: as("MessageSystemAttributeName", list(STRING)),
      MessageAttributeNames: as("MessageAttributeName", list(STRING)),
      MaxNumberOfMessages: INTEGER,
      VisibilityTimeout: INTEGER,
      WaitTimeSeconds: INTEGER,
      ReceiveRequestAttemptId: STRING,
    }),
    output: struct({ Messages: as("Message", list(message)) }),
  },
  DeleteMessage: { input: struct({ QueueUrl, ReceiptHandle: STRING }) },
  DeleteMessageBatch: {
    input: struct({
      QueueUrl,
      Entries: as("DeleteMessageBatchRequestEntry", list(struct({ Id: STRING, ReceiptHandle: STRING }))),
    }),
    output: struct({
      Successful: as("DeleteMessageBatchResultEntry", list(struct({ Id: STRING }))),
      Failed: batchErrors,
    }),
  },
  ChangeMessageVisibility: {
    input: struct({ QueueUrl, ReceiptHandle: STRING, VisibilityTimeout: INTEGER }),
  },
  ChangeMessageVisibilityBatch: {
    input: struct({
      QueueUrl,
      Entries: as(
        "ChangeMessageVisibilityBatchRequestEntry",
        list(struct({ Id: STRING, ReceiptHandle: STRING, VisibilityTimeout: INTEGER })),
      ),
    }),
    output: struct({
      Successful: as("ChangeMessageVisibilityBatchResultEntry", list(struct({ Id: STRING }))),
      Failed: batchErrors,
    }),
  },
  TagQueue: { input: struct({ QueueUrl, Tags: tags }) },
  UntagQueue: { input: struct({ QueueUrl, TagKeys: as("TagKey", list(STRING)) }) },
  ListQueueTags: { input: struct({ QueueUrl }), output: struct({ Tags: tags }) },
};

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export type FaultType = "Sender" | "Receiver";

/** A request the translation itself rejects; rendered as an SQS `<ErrorResponse>`. */
export class QueryProtocolError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: FaultType = "Sender",
  ) {
    super(message);
    this.name = "QueryProtocolError";
  }
}

export interface QueryError {
  status: number;
  type: FaultType;
  code: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Query → JSON
// ---------------------------------------------------------------------------------------------

export interface DecodedQueryRequest {
  action: string;
  /** Value for the `X-Amz-Target` header of the equivalent JSON request. */
  target: string;
  input: Record<string, unknown>;
}

/** Dotted query keys (`Attribute.1.Name`) as a tree, so shapes can walk it member by member. */
interface QueryNode {
  value?: string;
  readonly children: Map<string, QueryNode>;
}

function newNode(): QueryNode {
  return { children: new Map() };
}

function buildQueryTree(params: Iterable<[string, string]>): QueryNode {
  const root = newNode();
  for (const [key, value] of params) {
    let node = root;
    for (const part of key.split(".")) {
      let child = node.children.get(part);
      if (!child) {
        child = newNode();
        node.children.set(part, child);
      }
      node = child;
    }
    node.value = value;
  }
  return root;
}

/** Children numbered 1..N, in numeric order (`.10` sorts after `.9`). */
function numberedChildren(node: QueryNode): QueryNode[] {
  return [...node.children.entries()]
    .filter(([index]) => /^\d+$/.test(index))
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, child]) => child);
}

function invalidParameter(path: string, reason: string): QueryProtocolError {
  return new QueryProtocolError(
    "InvalidParameterValue",
    `Value for parameter ${path} is invalid. Reason: ${reason}.`,
  );
}

function decodeScalar(node: QueryNode, shape: ScalarShape, path: string): string | number | boolean {
  const raw = node.value;
  if (raw === undefined) throw invalidParameter(path, "expected a single value");
  switch (shape.type) {
    case "string":
      return raw;
    case "integer":
      if (!/^-?\d+$/.test(raw.trim())) throw invalidParameter(path, `"${raw}" is not an integer`);
      return Number(raw);
    case "boolean":
      if (raw !== "true" && raw !== "false") throw invalidParameter(path, `"${raw}" is not true or false`);
      return raw === "true";
  }
}

function decodeNode(node: QueryNode, shape: Shape, path: string): unknown {
  switch (shape.type) {
    case "structure":
      return decodeStructure(node, shape, path);
    case "list":
      return numberedChildren(node).map((item, i) => decodeNode(item, shape.member, `${path}.${i + 1}`));
    case "map":
      return decodeMap(node, shape, path);
    default:
      return decodeScalar(node, shape, path);
  }
}

function decodeMap(node: QueryNode, shape: MapShape, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  numberedChildren(node).forEach((entry, i) => {
    const entryPath = `${path}.${i + 1}`;
    const key = entry.children.get(shape.keyName)?.value;
    const value = entry.children.get(shape.valueName);
    if (key === undefined) throw invalidParameter(`${entryPath}.${shape.keyName}`, "missing");
    if (value === undefined) throw invalidParameter(`${entryPath}.${shape.valueName}`, "missing");
    out[key] = decodeNode(value, shape.value, `${entryPath}.${shape.valueName}`);
  });
  return out;
}

function decodeStructure(node: QueryNode, shape: StructureShape, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [jsonName, member] of Object.entries(shape.members)) {
    const child = node.children.get(member.wire);
    if (child === undefined) continue;
    out[jsonName] = decodeNode(child, member.shape, path ? `${path}.${member.wire}` : member.wire);
  }
  return out;
}

/** Turns query parameters into the JSON request fauxqs understands. Throws QueryProtocolError. */
export function decodeQueryRequest(params: Iterable<[string, string]>): DecodedQueryRequest {
  const tree = buildQueryTree(params);
  const action = tree.children.get("Action")?.value;
  if (!action) throw new QueryProtocolError("MissingAction", "The request must contain the parameter Action.");
  const version = tree.children.get("Version")?.value;
  if (version !== undefined && version !== SQS_QUERY_VERSION) {
    throw new QueryProtocolError(
      "InvalidParameterValue",
      `Version ${version} is not supported; SQS's query protocol is Version=${SQS_QUERY_VERSION}.`,
    );
  }
  const spec = SQS_QUERY_ACTIONS[action];
  if (!spec) {
    throw new QueryProtocolError(
      "InvalidAction",
      `The action ${action} is not valid for this endpoint. Supported SQS query actions: ${Object.keys(
        SQS_QUERY_ACTIONS,
      ).join(", ")}.`,
    );
  }
  return { action, target: `AmazonSQS.${action}`, input: decodeStructure(tree, spec.input, "") };
}

// ---------------------------------------------------------------------------------------------
// JSON → XML
// ---------------------------------------------------------------------------------------------

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  // XML parsers turn a literal CR into LF; escape it so message bodies survive byte for byte.
  "\r": "&#xD;",
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) => XML_ESCAPES[c] ?? c);
}

function element(name: string, content: string): string {
  return `<${name}>${content}</${name}>`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function renderScalar(value: unknown): string {
  return escapeXml(typeof value === "string" ? value : String(value));
}

/** Content of one element holding `value`: text for scalars, child elements for structures. */
function renderContent(value: unknown, shape: ScalarShape | StructureShape): string {
  if (shape.type === "structure") return isRecord(value) ? renderStructure(value, shape) : "";
  return renderScalar(value);
}

/** One member as XML: flattened lists and maps repeat `<wire>`, everything else is one element. */
function renderMember(wire: string, value: unknown, shape: Shape): string {
  switch (shape.type) {
    case "list":
      return Array.isArray(value) ? value.map((item) => element(wire, renderContent(item, shape.member))).join("") : "";
    case "map":
      return isRecord(value)
        ? Object.entries(value)
            .map(([key, item]) =>
              element(
                wire,
                element(shape.keyName, escapeXml(key)) + element(shape.valueName, renderContent(item, shape.value)),
              ),
            )
            .join("")
        : "";
    default:
      return element(wire, renderContent(value, shape));
  }
}

function renderStructure(value: Record<string, unknown>, shape: StructureShape): string {
  let xml = "";
  for (const [jsonName, member] of Object.entries(shape.members)) {
    const memberValue = value[jsonName];
    if (memberValue === undefined || memberValue === null) continue;
    xml += renderMember(member.wire, memberValue, member.shape);
  }
  return xml;
}

function responseMetadata(requestId: string): string {
  return element("ResponseMetadata", element("RequestId", escapeXml(requestId)));
}

/** The XML body SQS's query protocol returns for a successful `action`, given fauxqs's JSON. */
export function renderQueryResponse(action: string, output: unknown, requestId: string): string {
  const spec = SQS_QUERY_ACTIONS[action];
  const result =
    spec?.output !== undefined
      ? element(`${action}Result`, isRecord(output) ? renderStructure(output, spec.output) : "")
      : "";
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<${action}Response xmlns="${SQS_XML_NAMESPACE}">${result}${responseMetadata(requestId)}</${action}Response>`
  );
}

export function renderQueryError(error: Omit<QueryError, "status">, requestId: string): string {
  const body = element("Type", error.type) + element("Code", escapeXml(error.code)) + element("Message", escapeXml(error.message));
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<ErrorResponse xmlns="${SQS_XML_NAMESPACE}">${element("Error", body + "<Detail/>")}` +
    `${element("RequestId", escapeXml(requestId))}</ErrorResponse>`
  );
}

/**
 * A JSON-protocol error as the query protocol reports it. The `x-amzn-query-error` header
 * (`Code;Sender`) carries the legacy code (e.g. `AWS.SimpleQueueService.NonExistentQueue` for
 * JSON's `QueueDoesNotExist`), which is what query clients match on; fall back to `__type`.
 */
export function queryErrorFromJson(status: number, body: unknown, queryErrorHeader?: string): QueryError {
  const message =
    isRecord(body) && typeof (body.message ?? body.Message) === "string"
      ? String(body.message ?? body.Message)
      : `SQS returned HTTP ${status}`;
  const [headerCode, headerFault] = (queryErrorHeader ?? "").split(";");
  const jsonType = isRecord(body) && typeof body.__type === "string" ? body.__type : undefined;
  const code = headerCode || jsonType?.slice(jsonType.lastIndexOf("#") + 1) || "InternalFailure";
  const type: FaultType =
    headerFault === "Sender" || headerFault === "Receiver" ? headerFault : status < 500 ? "Sender" : "Receiver";
  return { status, type, code, message };
}
