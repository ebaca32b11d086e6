/**
 * The embedded stack's ports for the bench tools: AWS endpoint, API, Lambda Invoke API. Apart
 * from `npm start`'s (4566/3000/3002) and the tests' so they can all run at once;
 * REPLOG_BENCH_PORTS="AWS,HTTP,LAMBDA" (or bench's --ports) moves them, e.g. beside another bench.
 */
export interface BenchPorts {
  awsPort: number;
  httpPort: number;
  lambdaPort: number;
}

export const DEFAULT_BENCH_PORTS: BenchPorts = { awsPort: 4966, httpPort: 3500, lambdaPort: 3502 };

/** "4990,3590,3592" → ports; throws on anything else. Undefined or empty: the defaults. */
export function parseBenchPorts(raw: string | undefined): BenchPorts {
  if (raw === undefined || raw.trim() === '') return DEFAULT_BENCH_PORTS;
  const parts = raw.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p) || p < 1 || p > 65535) || new Set(parts).size !== 3) {
    throw new Error(`ports must be three different port numbers "AWS,HTTP,LAMBDA" (e.g. 4966,3500,3502), got "${raw}"`);
  }
  const [awsPort, httpPort, lambdaPort] = parts as [number, number, number];
  return { awsPort, httpPort, lambdaPort };
}

/** The ports from REPLOG_BENCH_PORTS, or the defaults. */
export function benchPorts(env: Record<string, string | undefined> = process.env): BenchPorts {
  return parseBenchPorts(env.REPLOG_BENCH_PORTS);
}
