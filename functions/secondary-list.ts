import { secondaryTable } from '../lib/adapters/secondary-table';
import { assertUp } from '../lib/fault-injection';
import { httpHandler, json } from '../lib/http';
import { readLogPage } from '../lib/log-reader';
import { parsePaging } from '../lib/validation';

export const handler = httpHandler(async (event) => {
  const name = event.pathParameters?.name ?? '';
  const table = secondaryTable(name);
  await assertUp(name);
  const page = await readLogPage(name, table, parsePaging(event.queryStringParameters));
  return json(200, page);
});
