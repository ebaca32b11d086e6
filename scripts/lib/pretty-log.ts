// Renders the functions' JSON log lines (Powertools Logger) as one short readable line each;
// anything that is not such a line passes through unchanged.
const COLORS: Record<string, string> = { DEBUG: '\x1b[90m', INFO: '\x1b[36m', WARN: '\x1b[33m', ERROR: '\x1b[31m' };
const RESET = '\x1b[0m';
const SKIP = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate', 'xray_trace_id', 'function_request_id', 'cold_start', 'function_arn', 'function_memory_size', 'function_name']);

export function prettyLogLine(line: string, color = process.stdout.isTTY): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry.message !== 'string' || typeof entry.level !== 'string') return line;
  const time = typeof entry.timestamp === 'string' ? entry.timestamp.slice(11, 23) : '';
  const fields = Object.entries(entry)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  const level = entry.level.padEnd(5);
  const shown = color ? `${COLORS[entry.level] ?? ''}${level}${RESET}` : level;
  return `${time} ${shown} ${entry.message}${fields ? ' ' + fields : ''}`;
}

// serverless-offline reports every invocation; the queue consumers and scheduled functions run
// several times a second (heartbeats), and their own log lines already say what they did.
// The web view polls /view several times a second: its request lines are noise too.
const INTERNAL_INVOCATION = /^(\(λ: (replicate\w*|heartbeat|repair|view)\) RequestId: |GET \/view\b.*\(λ: view\))/;

/** True for offline's per-invocation lines of the background functions, which `npm start` hides. */
export function isBackgroundInvocationLine(line: string): boolean {
  return INTERNAL_INVOCATION.test(line);
}

/**
 * True for a CloudWatch embedded-metric-format line (lib/metrics.ts): on AWS CloudWatch turns it
 * into metrics; in `npm start`'s readable log it is noise, several a second from the heartbeats.
 */
export function isMetricsLine(line: string): boolean {
  if (!line.startsWith('{"') || !line.includes('"_aws"')) return false;
  try {
    const aws = (JSON.parse(line) as { _aws?: { CloudWatchMetrics?: unknown } })._aws;
    return Array.isArray(aws?.CloudWatchMetrics);
  } catch {
    return false;
  }
}
