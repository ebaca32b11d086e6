import { describe, it, expect } from "vitest";
import {
  decodeQueryRequest,
  escapeXml,
  queryErrorFromJson,
  QueryProtocolError,
  renderQueryError,
  renderQueryResponse,
  SQS_QUERY_ACTIONS,
} from "../../localstack/sqs-query-protocol.js";
import {
  fauxqsQueueUrl,
  parseQueueUrl,
  publicQueueUrl,
  regionFromAuthorization,
  rewriteRequestQueueUrl,
  rewriteResponseQueueUrls,
  serviceFromAuthorization,
} from "../../localstack/queue-urls.js";

function params(query: string): URLSearchParams {
  return new URLSearchParams(query);
}

function decodeError(query: string): QueryProtocolError {
  try {
    decodeQueryRequest(params(query));
  } catch (err) {
    if (err instanceof QueryProtocolError) return err;
    throw err;
  }
  throw new Error("expected a QueryProtocolError");
}

describe("decodeQueryRequest: query parameters → SQS JSON request", () => {
  it("maps a bare action to its JSON target with an empty input", () => {
    expect(decodeQueryRequest(params("Action=ListQueues&Version=2012-11-05"))).toEqual({
      action: "ListQueues",
      target: "AmazonSQS.ListQueues",
      input: {},
    });
  });

  it("decodes CreateQueue's flattened Attribute.N.Name/Value and Tag.N.Key/Value maps", () => {
    const { input } = decodeQueryRequest(
      params(
        "Action=CreateQueue&Version=2012-11-05&QueueName=q" +
          "&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=30" +
          "&Attribute.2.Name=DelaySeconds&Attribute.2.Value=0" +
          "&Tag.1.Key=team&Tag.1.Value=replog",
      ),
    );

    expect(input).toEqual({
      QueueName: "q",
      Attributes: { VisibilityTimeout: "30", DelaySeconds: "0" },
      tags: { team: "replog" }, // JSON's member is lower-case `tags`, query's is `Tag`
    });
  });

  it("decodes ReceiveMessage lists in numeric order and integers as numbers", () => {
    const query =
      "Action=ReceiveMessage&QueueUrl=http%3A%2F%2Flocalhost%3A4566%2F000000000000%2Fq" +
      "&AttributeName.2=SentTimestamp&AttributeName.10=SenderId&AttributeName.1=All" +
      "&MessageAttributeName.1=All&MaxNumberOfMessages=10&WaitTimeSeconds=20&VisibilityTimeout=0";

    const { input } = decodeQueryRequest(params(query));

    expect(input).toEqual({
      QueueUrl: "http://localhost:4566/000000000000/q",
      AttributeNames: ["All", "SentTimestamp", "SenderId"],
      MessageAttributeNames: ["All"],
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
      VisibilityTimeout: 0,
    });
  });

  it("decodes SendMessage's structured message attribute values", () => {
    const query =
      "Action=SendMessage&QueueUrl=u&MessageBody=hello%20world&DelaySeconds=2" +
      "&MessageAttribute.1.Name=kind&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=append" +
      "&MessageAttribute.2.Name=blob&MessageAttribute.2.Value.DataType=Binary&MessageAttribute.2.Value.BinaryValue=AAE%3D";

    const { input } = decodeQueryRequest(params(query));

    expect(input).toEqual({
      QueueUrl: "u",
      MessageBody: "hello world",
      DelaySeconds: 2,
      MessageAttributes: {
        kind: { DataType: "String", StringValue: "append" },
        blob: { DataType: "Binary", BinaryValue: "AAE=" },
      },
    });
  });

  it("decodes batch entries as a list of structures", () => {
    const query =
      "Action=DeleteMessageBatch&QueueUrl=u" +
      "&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=ra" +
      "&DeleteMessageBatchRequestEntry.2.Id=b&DeleteMessageBatchRequestEntry.2.ReceiptHandle=rb";

    expect(decodeQueryRequest(params(query)).input).toEqual({
      QueueUrl: "u",
      Entries: [
        { Id: "a", ReceiptHandle: "ra" },
        { Id: "b", ReceiptHandle: "rb" },
      ],
    });
  });

  it("rejects unknown actions, naming the supported ones", () => {
    const err = decodeError("Action=ListDeadLetterSourceQueues&Version=2012-11-05");

    expect(err.code).toBe("InvalidAction");
    expect(err.status).toBe(400);
    expect(err.message).toContain("ListDeadLetterSourceQueues");
    expect(err.message).toContain("ReceiveMessage");
  });

  it("rejects a missing action, another API version and non-integer numbers", () => {
    expect(decodeError("Version=2012-11-05").code).toBe("MissingAction");
    expect(decodeError("Action=ListQueues&Version=2011-06-15").message).toContain("2011-06-15");
    const err = decodeError("Action=ReceiveMessage&QueueUrl=u&MaxNumberOfMessages=ten");
    expect(err.code).toBe("InvalidParameterValue");
    expect(err.message).toContain("MaxNumberOfMessages");
  });

  it("has an input shape for every action the brief requires", () => {
    const required = [
      "ListQueues", "GetQueueUrl", "GetQueueAttributes", "CreateQueue", "DeleteQueue", "SendMessage",
      "ReceiveMessage", "DeleteMessage", "PurgeQueue", "ChangeMessageVisibility",
    ];
    expect(Object.keys(SQS_QUERY_ACTIONS)).toEqual(expect.arrayContaining(required));
  });
});

describe("renderQueryResponse: SQS JSON response → query-protocol XML", () => {
  const ns = 'xmlns="http://queue.amazonaws.com/doc/2012-11-05/"';

  it("repeats <QueueUrl> for ListQueues and wraps it in Response/Result/ResponseMetadata", () => {
    const xml = renderQueryResponse("ListQueues", { QueueUrls: ["http://a/000000000000/x", "http://a/000000000000/y"] }, "rid-1");

    expect(xml).toContain(
      `<ListQueuesResponse ${ns}><ListQueuesResult><QueueUrl>http://a/000000000000/x</QueueUrl>` +
        `<QueueUrl>http://a/000000000000/y</QueueUrl></ListQueuesResult>` +
        `<ResponseMetadata><RequestId>rid-1</RequestId></ResponseMetadata></ListQueuesResponse>`,
    );
  });

  it("renders an empty ListQueues as an empty result", () => {
    expect(renderQueryResponse("ListQueues", {}, "r")).toContain("<ListQueuesResult></ListQueuesResult>");
  });

  it("renders queue attributes as <Attribute><Name/><Value/></Attribute> entries", () => {
    const xml = renderQueryResponse("GetQueueAttributes", { Attributes: { VisibilityTimeout: "30", QueueArn: "arn:x" } }, "r");

    expect(xml).toContain(
      "<GetQueueAttributesResult>" +
        "<Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute>" +
        "<Attribute><Name>QueueArn</Name><Value>arn:x</Value></Attribute>" +
        "</GetQueueAttributesResult>",
    );
  });

  it("renders received messages with their attributes and message attributes, escaped", () => {
    const output = {
      Messages: [
        {
          MessageId: "m1",
          ReceiptHandle: "rh",
          MD5OfBody: "md5",
          Body: "a<b>&\"c'\r\n",
          Attributes: { SentTimestamp: "1" },
          MD5OfMessageAttributes: "md5a",
          MessageAttributes: { kind: { StringValue: "append", DataType: "String" } },
        },
      ],
    };

    const xml = renderQueryResponse("ReceiveMessage", output, "r");

    expect(xml).toContain(
      "<ReceiveMessageResult><Message><MessageId>m1</MessageId><ReceiptHandle>rh</ReceiptHandle>" +
        "<MD5OfBody>md5</MD5OfBody><Body>a&lt;b&gt;&amp;&quot;c&apos;&#xD;\n</Body>" +
        "<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>" +
        "<MD5OfMessageAttributes>md5a</MD5OfMessageAttributes>" +
        "<MessageAttribute><Name>kind</Name><Value><StringValue>append</StringValue><DataType>String</DataType></Value></MessageAttribute>" +
        "</Message></ReceiveMessageResult>",
    );
  });

  it("omits the Result element for actions without output", () => {
    const xml = renderQueryResponse("DeleteMessage", {}, "r");

    expect(xml).toContain(`<DeleteMessageResponse ${ns}><ResponseMetadata>`);
    expect(xml).not.toContain("DeleteMessageResult");
  });

  it("renders batch results with booleans", () => {
    const xml = renderQueryResponse(
      "DeleteMessageBatch",
      { Successful: [{ Id: "a" }], Failed: [{ Id: "b", SenderFault: true, Code: "ReceiptHandleIsInvalid", Message: "bad" }] },
      "r",
    );

    expect(xml).toContain("<DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry>");
    expect(xml).toContain(
      "<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>ReceiptHandleIsInvalid</Code><Message>bad</Message></BatchResultErrorEntry>",
    );
  });
});

describe("query-protocol errors", () => {
  it("prefers the legacy code and fault from x-amzn-query-error", () => {
    const body = { __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "The specified queue does not exist." };

    expect(queryErrorFromJson(400, body, "AWS.SimpleQueueService.NonExistentQueue;Sender")).toEqual({
      status: 400,
      type: "Sender",
      code: "AWS.SimpleQueueService.NonExistentQueue",
      message: "The specified queue does not exist.",
    });
  });

  it("falls back to __type and the status for the fault", () => {
    expect(queryErrorFromJson(500, { __type: "com.amazonaws.sqs#InternalError", message: "x" })).toMatchObject({
      type: "Receiver",
      code: "InternalError",
    });
  });

  it("renders <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>", () => {
    const xml = renderQueryError({ type: "Sender", code: "InvalidAction", message: "no <such> action" }, "rid");

    expect(xml).toContain(
      '<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type>' +
        "<Code>InvalidAction</Code><Message>no &lt;such&gt; action</Message><Detail/></Error>" +
        "<RequestId>rid</RequestId></ErrorResponse>",
    );
  });

  it("escapes all five XML specials", () => {
    expect(escapeXml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
  });
});

describe("queue URL forms", () => {
  const ref = { account: "000000000000", name: "q" };

  it("parses every form LocalStack accepts, plus fauxqs's and a bare path", () => {
    const forms = [
      "http://localhost:4566/000000000000/q",
      "http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/q",
      "http://localhost:4566/queue/us-east-1/000000000000/q",
      "http://sqs.eu-west-1.localhost:39999/000000000000/q",
      "/000000000000/q",
    ];
    for (const form of forms) expect(parseQueueUrl(form), form).toEqual(ref);
  });

  it("rejects strings that are not queue URLs", () => {
    for (const bad of ["q", "http://localhost:4566/", "http://localhost:4566/abc/q", "not a url"]) {
      expect(parseQueueUrl(bad), bad).toBeUndefined();
    }
  });

  it("builds fauxqs's exact URL and the public URL", () => {
    expect(fauxqsQueueUrl(ref, "eu-west-1", 41000)).toBe("http://sqs.eu-west-1.localhost:41000/000000000000/q");
    expect(publicQueueUrl(ref, 4566)).toBe("http://localhost:4566/000000000000/q");
  });

  it("reads region and service from a SigV4 Authorization header", () => {
    const authorization =
      "AWS4-HMAC-SHA256 Credential=test/20260101/eu-central-1/sqs/aws4_request, SignedHeaders=host, Signature=abc";

    expect(regionFromAuthorization(authorization)).toBe("eu-central-1");
    expect(serviceFromAuthorization(authorization)).toBe("sqs");
    expect(regionFromAuthorization(undefined)).toBeUndefined();
  });

  it("rewrites request and response bodies in place", () => {
    const request: Record<string, unknown> = { QueueUrl: "http://localhost:4566/000000000000/q", MessageBody: "x" };
    rewriteRequestQueueUrl(request, "us-east-1", 41000);
    expect(request).toEqual({ QueueUrl: "http://sqs.us-east-1.localhost:41000/000000000000/q", MessageBody: "x" });

    const response: Record<string, unknown> = { QueueUrls: ["http://sqs.us-east-1.localhost:41000/000000000000/q"] };
    rewriteResponseQueueUrls(response, 4566);
    expect(response).toEqual({ QueueUrls: ["http://localhost:4566/000000000000/q"] });
  });
});
