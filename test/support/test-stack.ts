// The integration stack's ports: apart from `npm start`'s 4566/3000/3002 so both can run at
// once; REPLOG_TEST_PORT_OFFSET moves them (e.g. to run two suites side by side).
const offset = Number(process.env.REPLOG_TEST_PORT_OFFSET ?? 0);

export const TEST_PORTS = { awsPort: 4766 + offset, httpPort: 3300 + offset, lambdaPort: 3302 + offset } as const;

/** Settings the integration tests rely on (short timeouts so waiting is testable). */
export const TEST_ENV: Record<string, string> = {
  REPLOG_SECONDARIES: 's1,s2',
  REPLOG_WAIT_TIMEOUT_MS: '8000',
  REPLOG_HOLE_GRACE_MS: '1500',
  // Faults take effect on the next job, so a test need not wait out a cache.
  REPLOG_FAULTS_CACHE_MS: '0',
  // The largest setting allowed: the tests of large messages and exact limits cover the worst case.
  REPLOG_MAX_MSG_BYTES: '131072',
};
