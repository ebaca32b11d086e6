import { masterTable } from '../lib/adapters/master-table';
import { httpHandler, json } from '../lib/http';
import { readLogPage } from '../lib/log-reader';
import { parsePaging } from '../lib/validation';

export const handler = httpHandler(async (event) => {
  const page = await readLogPage('master', masterTable, parsePaging(event.queryStringParameters));
  return json(200, page);
});
