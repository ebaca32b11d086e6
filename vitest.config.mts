import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        // The emulator endpoint and the SQS event source, each started by its own tests.
        test: {
          name: 'components',
          include: ['test/local-cloud/**/*.test.ts', 'test/event-source/**/*.test.ts', 'test/infra/**/*.test.ts', 'test/cli/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The local system as users start it (npm start, serverless offline), killed and restarted:
        // each file starts its own stacks, one file at a time.
        test: {
          name: 'local-system',
          include: ['test/local-system/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The whole system over HTTP, started once by the global setup on ports of its own.
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
