import type { SQSBatchResponse, SQSEvent, ScheduledEvent } from 'aws-lambda';
import { withMetrics } from '../lib/metrics';
import { handleRepairRequests } from '../lib/repair';

// Runs on a schedule and whenever a repair or a catch-up is requested through the repair queue.
export const handler = withMetrics(async (event: SQSEvent | ScheduledEvent): Promise<SQSBatchResponse | void> => {
  if (!('Records' in event)) return void (await handleRepairRequests([]));
  return handleRepairRequests(event.Records);
});
