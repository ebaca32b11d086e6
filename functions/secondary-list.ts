import { secondaryTable } from '../lib/adapters/secondary-table';
import { httpHandler, json } from '../lib/http';
import { readLogPage } from '../lib/log-reader';
import { parsePaging } from '../lib/validation';

export const handler = httpHandler(async (event) => {
  const name = event.pathParameters?.name ?? '';
  const table = secondaryTable(name);
  const page = await readLogPage(name, table, parsePaging(event.queryStringParameters));
  return json(200, page);
});
