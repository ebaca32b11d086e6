import { describe, it, expect } from "vitest";
import { useLocalCloud } from "../support/local-cloud";
import { execFile, spawnSync } from "node:child_process";

/**
 * The `aws` CLIs to test. Debian's awscli 2.9 (`apt-get install awscli`) speaks SQS's query
 * protocol; a newer CLI found first on PATH (e.g. a pip-installed v1) speaks JSON. Test each
 * distinct one we find; AWS_CLI names another.
 */
function findAwsClis(): Array<{ command: string; version: string }> {
  const candidates = [process.env.AWS_CLI, "aws", "/usr/bin/aws"].filter((c): c is string => Boolean(c));
  const found = new Map<string, string>();
  for (const command of candidates) {
    const probe = spawnSync(command, ["--version"], { encoding: "utf8", timeout: 30_000 });
    const version = `${probe.stdout ?? ""}${probe.stderr ?? ""}`.trim().split(/\s+/)[0] ?? "";
    if (probe.status === 0 && version.startsWith("aws-cli/") && !found.has(version)) found.set(version, command);
  }
  return [...found].map(([version, command]) => ({ command, version }));
}

const clis = findAwsClis();
const cloud = useLocalCloud();

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Async on purpose: the gateway runs in this process, so a blocking call would deadlock. */
function runAws(command: string, args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_PAGER: "",
    AWS_EC2_METADATA_DISABLED: "true",
    // Keep a developer's own profiles and settings out of the test.
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  return new Promise((resolve) => {
    execFile(command, ["--endpoint-url", `http://localhost:${cloud().port}`, "--output", "json", ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function awsJson<T>(command: string, args: string[]): Promise<T> {
  const result = await runAws(command, args);
  if (result.code !== 0) throw new Error(`aws ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  return (result.stdout.trim() ? JSON.parse(result.stdout) : {}) as T;
}

interface Message {
  Body: string;
  ReceiptHandle: string;
  Attributes?: Record<string, string>;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string }>;
}

it("finds at least one aws CLI (apt-get install -y awscli)", () => {
  expect(clis.length, "no working `aws` CLI on PATH or at /usr/bin/aws").toBeGreaterThan(0);
});

describe.each(clis)("$version", ({ command, version }) => {
  // Queue names must differ per CLI, since both talk to the same gateway.
  const suffix = version.replace(/[^0-9]/g, "").slice(0, 6);
  const queueName = `cli-${suffix}`;
  const aws = <T>(...args: string[]): Promise<T> => awsJson<T>(command, args);
  const queueUrl = (): string => `http://localhost:${cloud().port}/000000000000/${queueName}`;

  it("creates a queue with attributes and lists it", async () => {
    const created = await aws<{ QueueUrl: string }>("sqs", "create-queue", "--queue-name", queueName, "--attributes", "VisibilityTimeout=45,DelaySeconds=0");
    const listed = await aws<{ QueueUrls: string[] }>("sqs", "list-queues");

    expect(created.QueueUrl).toBe(queueUrl());
    expect(listed.QueueUrls).toContain(queueUrl());
  });

  it("gets all queue attributes", async () => {
    const { Attributes } = await aws<{ Attributes: Record<string, string> }>(
      "sqs", "get-queue-attributes", "--queue-url", queueUrl(), "--attribute-names", "All",
    );

    expect(Attributes.VisibilityTimeout).toBe("45");
    expect(Attributes.QueueArn).toBe(`arn:aws:sqs:us-east-1:000000000000:${queueName}`);
    expect(Attributes.ApproximateNumberOfMessages).toBe("0");
  });

  it("sends and receives a message with attributes, body byte for byte", async () => {
    const body = `{"op":"append","text":"<tag> & 'quotes' \\"ok\\""}`;
    await aws("sqs", "send-message", "--queue-url", queueUrl(), "--message-body", body,
      "--message-attributes", '{"kind":{"DataType":"String","StringValue":"append"}}');

    const { Messages } = await aws<{ Messages?: Message[] }>(
      "sqs", "receive-message", "--queue-url", queueUrl(), "--attribute-names", "All", "--message-attribute-names", "All",
      "--max-number-of-messages", "10", "--wait-time-seconds", "2", "--visibility-timeout", "30",
    );

    expect(Messages).toHaveLength(1);
    expect(Messages?.[0]?.Body).toBe(body);
    expect(Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe("1");
    expect(Messages?.[0]?.MessageAttributes?.kind).toEqual({ DataType: "String", StringValue: "append" });
  });

  it("changes visibility, deletes, purges and deletes the queue", async () => {
    await aws("sqs", "send-message", "--queue-url", queueUrl(), "--message-body", "second");
    const { Messages } = await aws<{ Messages?: Message[] }>("sqs", "receive-message", "--queue-url", queueUrl(), "--wait-time-seconds", "1");
    const handle = Messages?.[0]?.ReceiptHandle ?? "";

    await aws("sqs", "change-message-visibility", "--queue-url", queueUrl(), "--receipt-handle", handle, "--visibility-timeout", "60");
    await aws("sqs", "delete-message", "--queue-url", queueUrl(), "--receipt-handle", handle);
    await aws("sqs", "purge-queue", "--queue-url", queueUrl());
    await aws("sqs", "delete-queue", "--queue-url", queueUrl());
    const listed = await aws<{ QueueUrls?: string[] }>("sqs", "list-queues", "--queue-name-prefix", queueName);

    expect(listed.QueueUrls ?? []).toEqual([]);
  });

  it("reports a missing queue as the CLI's usual error", async () => {
    const result = await runAws(command, ["sqs", "get-queue-url", "--queue-name", "no-such-queue"]);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/NonExistentQueue|QueueDoesNotExist/);
  });

  it("lists DynamoDB tables", async () => {
    const table = `cli-table-${suffix}`;
    await aws("dynamodb", "create-table", "--table-name", table, "--billing-mode", "PAY_PER_REQUEST",
      "--attribute-definitions", "AttributeName=pk,AttributeType=S", "--key-schema", "AttributeName=pk,KeyType=HASH");

    const { TableNames } = await aws<{ TableNames: string[] }>("dynamodb", "list-tables");

    expect(TableNames).toContain(table);
  });
});
