import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { getConfig } from '../config';

// One client per process (created at cold start), reusing connections: a fresh TCP connection
// per call would cost more than the call itself against a local emulator.
const requestHandler = {
  httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
  httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
};

const { region, endpoints } = getConfig();

export const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region, endpoint: endpoints.dynamodb, requestHandler }), {
  marshallOptions: { removeUndefinedValues: true },
});

// SQS clients otherwise send each call to the host inside its QueueUrl; the explicit endpoint
// keeps every call on the configured emulator (or on AWS's regional endpoint when unset). No MD5
// of each message body: HTTPS already guards it in transit, and it costs CPU on every send.
export const sqs = new SQSClient({ region, endpoint: endpoints.sqs, requestHandler, md5: false });
