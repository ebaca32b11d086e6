import { httpHandler, json } from '../lib/http';
import { waitForMessage } from '../lib/message-waiter';
import { parseMessageId } from '../lib/validation';

export const handler = httpHandler(async (event) => {
  const id = parseMessageId(event.pathParameters?.id);
  const { w, acks, met } = await waitForMessage(id, event.queryStringParameters?.w);
  if (met) return json(200, { id, w, acks });
  return json(202, { id, w, acks, status: 'pending', wait: `/messages/${id}/wait?w=${w}` });
});
