import { getConfig } from '../lib/config';
import { bodyText, header, httpHandler, json } from '../lib/http';
import { appendMessage } from '../lib/sequencer';
import { parseAppendRequest } from '../lib/validation';

const config = getConfig();

export const handler = httpHandler(async (event) => {
  const request = parseAppendRequest(bodyText(event), header(event, 'Idempotency-Key'), {
    secondaries: config.secondaries.length,
    maxMsgBytes: config.maxMsgBytes,
  });
  const { id, msg, w, acks, met } = await appendMessage(request);
  if (met) return json(201, { id, msg, w, acks });
  return json(202, { id, w, acks, status: 'pending', wait: `/messages/${id}/wait?w=${w}` });
});
