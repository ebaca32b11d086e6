import { httpHandler, json } from '../lib/http';
import { readView } from '../lib/view';
import { parseTail } from '../lib/view-model';

// GET /view?tail=T: what the live web view polls (every node's prefix and last held entries, and health).
export const handler = httpHandler(async (event) => {
  const view = await readView(parseTail(event.queryStringParameters?.tail));
  const res = json(200, view);
  return { ...res, headers: { ...res.headers, 'cache-control': 'no-store' } };
});
