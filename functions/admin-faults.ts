import { getFaults, updateFaults } from '../lib/fault-injection';
import { parseFaultsPatch } from '../lib/faults';
import { bodyText, httpHandler, json } from '../lib/http';

// Deployed only on the stages listed in REPLOG_ADMIN_STAGES (see serverless.yml).
export const handler = httpHandler(async (event) => {
  const name = event.pathParameters?.name ?? '';
  if (event.httpMethod === 'PUT') return json(200, await updateFaults(name, parseFaultsPatch(bodyText(event))));
  return json(200, await getFaults(name));
});
