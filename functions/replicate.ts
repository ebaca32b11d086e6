import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { withMetrics } from '../lib/metrics';
import { replicateBatch } from '../lib/replicate-batch';

// One consumer per secondary (serverless.yml sets REPLOG_SECONDARY); failures are reported per
// record so one bad job never fails the batch.
export const handler = withMetrics(async (event: SQSEvent): Promise<SQSBatchResponse> => replicateBatch(event.Records));
