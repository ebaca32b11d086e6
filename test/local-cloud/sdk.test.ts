import { describe, it, expect, beforeAll, afterAll } from "vitest";
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { startLocalCloud, type LocalCloud } from "../../localstack/local-cloud.js";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
let cloud: LocalCloud;
let dynamo: DynamoDBClient;
let sqs: SQSClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  dynamo = new DynamoDBClient({ endpoint: cloud.endpoint, region: "us-east-1", credentials });
  sqs = new SQSClient({ endpoint: cloud.endpoint, region: "us-east-1", credentials });
}, 60_000);

afterAll(async () => {
  dynamo?.destroy();
  sqs?.destroy();
  await cloud?.stop();
}, 20_000);

describe("DynamoDB through the gateway (SDK v3)", () => {
  it("creates a table, puts, gets and queries items", async () => {
    await dynamo.send(
      new CreateTableCommand({
        TableName: "sdk-log",
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "seq", AttributeType: "N" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "seq", KeyType: "RANGE" },
        ],
      }),
    );
    for (const seq of [1, 2, 3]) {
      await dynamo.send(new PutItemCommand({ TableName: "sdk-log", Item: { pk: { S: "log" }, seq: { N: String(seq) }, msg: { S: `m${seq}` } } }));
    }

    const got = await dynamo.send(new GetItemCommand({ TableName: "sdk-log", Key: { pk: { S: "log" }, seq: { N: "2" } } }));
    const queried = await dynamo.send(
      new QueryCommand({
        TableName: "sdk-log",
        KeyConditionExpression: "pk = :pk AND seq >= :from",
        ExpressionAttributeValues: { ":pk": { S: "log" }, ":from": { N: "2" } },
      }),
    );

    expect(got.Item?.msg?.S).toBe("m2");
    expect(queried.Items?.map((item) => item.msg?.S)).toEqual(["m2", "m3"]);
  });

  it("passes DynamoDB errors through untouched", async () => {
    const put = dynamo.send(
      new PutItemCommand({
        TableName: "sdk-log",
        Item: { pk: { S: "log" }, seq: { N: "1" } },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );

    await expect(put).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });
});

describe("SQS JSON protocol through the gateway (SDK v3)", () => {
  it("returns queue URLs in the public form", async () => {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: "sdk-forms" }));
    const looked = await sqs.send(new GetQueueUrlCommand({ QueueName: "sdk-forms" }));
    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "sdk-forms" }));

    const expected = `http://localhost:${cloud.port}/000000000000/sdk-forms`;
    expect(created.QueueUrl).toBe(expected);
    expect(looked.QueueUrl).toBe(expected);
    expect(listed.QueueUrls).toEqual([expected]);
  });

  it("sends, receives, changes visibility and deletes, whatever URL form the client uses", async () => {
    const { QueueUrl: publicUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "sdk-cycle" }));
    const localstackUrl = `http://sqs.us-east-1.localhost.localstack.cloud:${cloud.port}/000000000000/sdk-cycle`;
    const fauxqsStyleUrl = "http://sqs.us-east-1.localhost:9/000000000000/sdk-cycle";

    await sqs.send(new SendMessageCommand({ QueueUrl: publicUrl, MessageBody: "hello", MessageAttributes: { kind: { DataType: "String", StringValue: "append" } } }));
    const first = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: localstackUrl, MessageAttributeNames: ["All"], VisibilityTimeout: 30, WaitTimeSeconds: 1 }),
    );
    const handle = first.Messages?.[0]?.ReceiptHandle;
    // Visibility 0 makes it receivable again at once; a second receive proves the change applied.
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: fauxqsStyleUrl, ReceiptHandle: handle, VisibilityTimeout: 0 }));
    const second = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: publicUrl, MessageSystemAttributeNames: ["ApproximateReceiveCount"], WaitTimeSeconds: 1 }),
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl: localstackUrl, ReceiptHandle: second.Messages?.[0]?.ReceiptHandle }));
    const after = await sqs.send(new ReceiveMessageCommand({ QueueUrl: publicUrl, WaitTimeSeconds: 0 }));

    expect(first.Messages?.[0]?.Body).toBe("hello");
    expect(first.Messages?.[0]?.MessageAttributes?.kind?.StringValue).toBe("append");
    expect(second.Messages?.[0]?.Body).toBe("hello");
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe("2");
    expect(after.Messages ?? []).toEqual([]);
  });

  it("keeps queues per region, taken from the request signature", async () => {
    const euSqs = new SQSClient({ endpoint: cloud.endpoint, region: "eu-west-1", credentials });
    await euSqs.send(new CreateQueueCommand({ QueueName: "sdk-regional" }));

    const fromEuWest = await euSqs.send(new GetQueueUrlCommand({ QueueName: "sdk-regional" }));
    euSqs.destroy();

    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: "sdk-regional" }))).rejects.toBeInstanceOf(QueueDoesNotExist);
    expect(fromEuWest.QueueUrl).toBe(`http://localhost:${cloud.port}/000000000000/sdk-regional`);
  });

  it("answers a pending long poll promptly when a message arrives", async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "sdk-long-poll" }));
    const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the poll reach fauxqs and wait

    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "wake up" }));
    const sentAt = performance.now();
    const received = await receiving;
    const latencyMs = performance.now() - sentAt;

    expect(received.Messages?.[0]?.Body).toBe("wake up");
    expect(latencyMs).toBeLessThan(500); // typically well under 50 ms; generous for loaded CI
  });
});
