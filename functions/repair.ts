import type { SQSBatchResponse, SQSEvent, ScheduledEvent } from 'aws-lambda';
import { runRepair } from '../lib/repair';

// Runs on a schedule and whenever a repair is requested through the repair queue; every request
// asks for the same thing (one pass over the log), so a batch is answered by one pass.
export const handler = async (event: SQSEvent | ScheduledEvent): Promise<SQSBatchResponse | void> => {
  await runRepair();
  if ('Records' in event) return { batchItemFailures: [] };
};
