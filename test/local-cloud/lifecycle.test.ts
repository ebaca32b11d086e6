import { describe, it, expect } from "vitest";
import { useLocalCloud } from "../support/local-cloud";
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startLocalCloud } from "../../localstack/local-cloud.js";

const cloud = useLocalCloud();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` with PATH pointing at a fresh directory holding only `files` (name → shell script). */
async function withPath<T>(files: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "replog-fake-path-"));
  const savedPath = process.env.PATH;
  for (const [name, script] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), script);
    chmodSync(path.join(dir, name), 0o755);
  }
  process.env.PATH = dir;
  try {
    return await fn();
  } finally {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  }
}

function post(body: string, headers: Record<string, string>, urlPath = "/"): Promise<Response> {
  return fetch(`${cloud().endpoint}${urlPath}`, { method: "POST", headers, body });
}

const FORM = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };

describe("gateway routing", () => {
  it("answers LocalStack's health path", async () => {
    const res = await fetch(`${cloud().endpoint}/_localstack/health`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ services: { dynamodb: "running", sqs: "running" }, edition: "replog-embedded" });
  });

  it("rejects what it cannot route with a 400 naming the services it serves", async () => {
    const res = await post("{}", { "x-amz-target": "Kinesis_20131202.ListStreams", "content-type": "application/x-amz-json-1.1" });
    const body = (await res.json()) as { message: string };

    expect(res.status).toBe(400);
    expect(body.message).toMatch(/DynamoDB/);
    expect(body.message).toMatch(/SQS/);
  });

  it("does not treat another query-protocol service as SQS", async () => {
    const res = await post("Action=GetCallerIdentity&Version=2011-06-15", FORM);

    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain("2011-06-15");
  });
});

describe("SQS query protocol over raw HTTP", () => {
  it("answers an unknown action with an XML InvalidAction error", async () => {
    const res = await post("Action=FlyToTheMoon&Version=2012-11-05", FORM);
    const xml = await res.text();

    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("text/xml");
    expect(xml).toMatch(/<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>The action FlyToTheMoon/);
    expect(xml).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>/);
  });

  it("answers a missing queue with SQS's legacy error code", async () => {
    const res = await post("Action=GetQueueUrl&Version=2012-11-05&QueueName=absent", FORM);

    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>");
  });

  it("accepts the queue URL as the request path, as older clients send it", async () => {
    await post("Action=CreateQueue&Version=2012-11-05&QueueName=by-path", FORM);
    await post("Action=SendMessage&Version=2012-11-05&MessageBody=via%20path", FORM, "/000000000000/by-path");

    const res = await post("Action=ReceiveMessage&Version=2012-11-05&WaitTimeSeconds=1", FORM, "/000000000000/by-path");

    expect(await res.text()).toContain("<Body>via path</Body>");
  });
});

describe("startup failures are plain messages", () => {
  it("reports a port in use without starting Java", async () => {
    const startedAt = Date.now();

    await expect(startLocalCloud({ port: cloud().port })).rejects.toThrow(
      `port ${cloud().port} is in use — is LocalStack or another replog already running?`,
    );
    expect(Date.now() - startedAt).toBeLessThan(1000);
  });

  it("says how to install Java when there is none", async () => {
    const attempt = withPath({}, () => startLocalCloud({ port: 0 }));

    await expect(attempt).rejects.toThrow("DynamoDB Local needs Java 17+: apt-get install -y openjdk-17-jre-headless");
  });

  it("includes DynamoDB Local's stderr when it exits early", async () => {
    const fakeJava = "#!/bin/sh\necho 'Exception in thread main: the sky fell' >&2\nexit 3\n";

    const attempt = withPath({ java: fakeJava }, () => startLocalCloud({ port: 0 }));

    await expect(attempt).rejects.toThrow(/exited during startup \(code 3\)[\s\S]*the sky fell/);
  });
});

describe("module loading", () => {
  it("starts fauxqs under tsx even when an ES module imports the CommonJS-compiled backend", async () => {
    // tsx evaluates such a file from a data: URL, where `import("fauxqs")` cannot resolve.
    const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
    const backend = pathToFileURL(path.join(repoRoot, "localstack/fauxqs-backend.ts")).href;
    const dir = mkdtempSync(path.join(os.tmpdir(), "replog-esm-entry-"));
    const entry = path.join(dir, "entry.mts");
    writeFileSync(
      entry,
      `import { startFauxqsBackend } from ${JSON.stringify(backend)};\n` +
        `const b = await startFauxqsBackend({ region: "us-east-1" });\nconsole.log("port", b.port);\nawait b.stop();\n`,
    );

    const output = await new Promise<string>((resolve, reject) => {
      const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
      execFile(tsx, [entry], { cwd: repoRoot, timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)));
    }).finally(() => rmSync(dir, { recursive: true, force: true }));

    expect(output).toMatch(/^port \d+/);
  });
});

describe("stop", () => {
  it("ends the JVM it started, by PID, and frees the port", async () => {
    const [pid] = cloud().pids;
    expect(pid !== undefined && isAlive(pid)).toBe(true);

    await cloud().stop();

    expect(isAlive(pid as number)).toBe(false);
    await expect(fetch(`${cloud().endpoint}/_localstack/health`)).rejects.toThrow();
  });
});
