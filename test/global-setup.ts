import { mkdirSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startStack, type Stack } from '../localstack/stack';
import { projectRoot } from '../localstack/definition';
import { TEST_PORTS, TEST_ENV } from './support/test-stack';

let stack: Stack | undefined;

// Starts the embedded stack once for the integration tests, on ports of their own so a running
// `npm start` is not disturbed, and stops exactly the processes it started.
export async function setup(project: TestProject): Promise<void> {
  const outDir = join(projectRoot, 'test-output');
  mkdirSync(outDir, { recursive: true });
  const logFile = createWriteStream(join(outDir, 'stack.log'));
  stack = await startStack({
    ...TEST_PORTS,
    env: TEST_ENV,
    log: (line) => logFile.write(line + '\n'),
  });
  project.provide('apiUrl', stack.apiUrl);
  project.provide('awsEndpoint', stack.awsEndpoint);
}

export async function teardown(): Promise<void> {
  await stack?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    awsEndpoint: string;
  }
}
