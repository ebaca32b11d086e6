import { readHealthReport } from '../lib/health-report';
import { httpHandler, json } from '../lib/http';

export const handler = httpHandler(async () => json(200, await readHealthReport()));
