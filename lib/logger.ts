import { Logger } from '@aws-lambda-powertools/logger';

/** One JSON line per event; `id` and `secondary` go in as keys so logs can be filtered by them. */
export const logger = new Logger({ serviceName: 'replog', logLevel: (process.env.REPLOG_LOG_LEVEL as 'INFO') ?? 'INFO' });
