import type { Context } from 'aws-lambda';
import { beatUntil } from '../lib/heartbeat';
import { withMetrics } from '../lib/metrics';

// Scheduled once a minute (the most EventBridge allows); beats every REPLOG_HEARTBEAT_MS for
// that minute, stopping a little before the next run or the function's timeout.
export const handler = withMetrics(async (_event: unknown, context: Context): Promise<{ beats: number }> => {
  const untilMs = Math.min(Date.now() + 60_000, Date.now() + context.getRemainingTimeInMillis() - 2_000);
  return { beats: await beatUntil(untilMs) };
});
