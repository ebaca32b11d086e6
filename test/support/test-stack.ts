/** Ports of the test stack: apart from `npm start`'s 4566/3000/3002 so both can run at once. */
export const TEST_PORTS = { awsPort: 4766, httpPort: 3300, lambdaPort: 3302 } as const;

/** Settings the integration tests rely on (short waits so timeouts are testable). */
export const TEST_ENV: Record<string, string> = {
  REPLOG_SECONDARIES: 's1,s2',
  REPLOG_WAIT_TIMEOUT_MS: '3000',
  REPLOG_HOLE_GRACE_MS: '1500',
};
