'use strict';
// Generates what serverless.yml repeats per secondary (its table, replicate queue + DLQ and
// consumer function), every function's least-privilege IAM role (they name the per-secondary
// resources), API Gateway's JSON error responses, the API key settings and the alarms, so that N
// secondaries need no copy-paste. Everything else is written out in serverless.yml.

const SECONDARY_NAME = /^[a-z][a-z0-9-]{0,30}$/;
// The 403 a request without the stage's API key gets, from API Gateway (and locally from
// serverless-offline, through localstack/offline-error-shape.js).
const API_KEY_ERROR = 'this API needs its key in the x-api-key header; the key sent is missing or not valid';
module.exports.API_KEY_ERROR = API_KEY_ERROR;

// Failed receives of a replicate job before SQS parks it in the DLQ (the consumers see it as
// REPLOG_MAX_RECEIVE_COUNT, to count the jobs they are about to give up on).
const MAX_RECEIVE_COUNT = 1000;

async function readSettings(resolveVariable) {
  const raw = String(await resolveVariable('self:custom.secondaries'));
  const secondaries = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (secondaries.length === 0) throw new Error('REPLOG_SECONDARIES must name at least one secondary');
  for (const name of secondaries) {
    if (!SECONDARY_NAME.test(name)) {
      throw new Error(`secondary name "${name}" must be lowercase letters, digits or dashes, starting with a letter`);
    }
  }
  if (new Set(secondaries).size !== secondaries.length) throw new Error('REPLOG_SECONDARIES has a duplicate name');
  const stage = String(await resolveVariable('sls:stage'));
  const service = String(await resolveVariable('self:service'));
  const list = (value) => String(value).split(',').map((s) => s.trim()).filter(Boolean);
  const adminStages = list(await resolveVariable('self:custom.adminStages'));
  const keylessStages = list(await resolveVariable('self:custom.keylessStages'));
  const setting = async (name) => String(await resolveVariable(`self:custom.${name}`)).trim();
  return {
    secondaries,
    stage,
    service,
    prefix: `${service}-${stage}`,
    adminEnabled: adminStages.includes(stage),
    keyRequired: !keylessStages.includes(stage),
    api: {
      keyVersion: positiveInteger('REPLOG_API_KEY_VERSION', await setting('apiKeyVersion')),
      keyValue: apiKeyValue(await setting('apiKeyValue')),
      rateLimit: positiveNumber('REPLOG_API_RATE_LIMIT', await setting('apiRateLimit')),
      burstLimit: positiveInteger('REPLOG_API_BURST_LIMIT', await setting('apiBurstLimit')),
      monthlyQuota: positiveInteger('REPLOG_API_MONTHLY_QUOTA', await setting('apiMonthlyQuota')),
    },
    alarmEmail: alarmEmail(await setting('alarmEmail')),
  };
}

function positiveNumber(name, raw) {
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function positiveInteger(name, raw) {
  const value = positiveNumber(name, raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** API Gateway takes key values of 20 to 128 characters; empty lets it generate one. */
function apiKeyValue(raw) {
  if (raw === '') return undefined;
  if (!/^[\x21-\x7e]{20,128}$/.test(raw)) throw new Error('REPLOG_API_KEY_VALUE must be 20 to 128 printable ASCII characters without spaces');
  return raw;
}

function alarmEmail(raw) {
  if (raw === '') return undefined;
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(raw)) throw new Error(`REPLOG_ALARM_EMAIL must be an e-mail address, got "${raw}"`);
  return raw;
}

/** "s1" -> "S1", "eu-west" -> "EuWest": CloudFormation logical ids are alphanumeric. */
function logicalSuffix(name) {
  return name.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}

const ids = {
  counterTable: 'CounterTable',
  masterTable: 'MasterTable',
  ackTable: 'AckTable',
  controlTable: 'ControlTable',
  secondaryTable: (s) => `SecondaryTable${logicalSuffix(s)}`,
  queue: (s) => `ReplicateQueue${logicalSuffix(s)}`,
  dlq: (s) => `ReplicateDlq${logicalSuffix(s)}`,
  repairQueue: 'RepairQueue',
  role: (fn) => `${fn.charAt(0).toUpperCase()}${fn.slice(1)}Role`,
  alarmTopic: 'AlarmTopic',
  dlqAlarm: (s) => `DlqNotEmptyAlarm${logicalSuffix(s)}`,
  unhealthyAlarm: (s) => `UnhealthyAlarm${logicalSuffix(s)}`,
};

function logTable(tableName, partitionKey, sortKey) {
  const attrs = [{ AttributeName: partitionKey.name, AttributeType: partitionKey.type }];
  const keys = [{ AttributeName: partitionKey.name, KeyType: 'HASH' }];
  if (sortKey) {
    attrs.push({ AttributeName: sortKey.name, AttributeType: sortKey.type });
    keys.push({ AttributeName: sortKey.name, KeyType: 'RANGE' });
  }
  return {
    Type: 'AWS::DynamoDB::Table',
    Properties: {
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attrs,
      KeySchema: keys,
    },
  };
}

// Every log table (master and secondaries) keeps one partition ("log") sorted by id, so a page
// of the log is a single Query in id order.
const LOG_KEY = [{ name: 'log', type: 'S' }, { name: 'id', type: 'N' }];

function tables(settings) {
  const { prefix, secondaries } = settings;
  return Object.fromEntries(secondaries.map((s) => [ids.secondaryTable(s), logTable(`${prefix}-secondary-${s}`, ...LOG_KEY)]));
}

function queues(settings) {
  const out = {};
  for (const s of settings.secondaries) {
    out[ids.dlq(s)] = {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: `${settings.prefix}-replicate-${s}-dlq`, MessageRetentionPeriod: 1209600 },
    };
    out[ids.queue(s)] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${settings.prefix}-replicate-${s}`,
        // Six times the function timeout, as AWS advises for SQS event sources.
        VisibilityTimeout: 180,
        MessageRetentionPeriod: 1209600,
        // Retries back off by receive count; only a job that failed this often is parked, and
        // catch-up copies whatever a secondary misses from the master anyway.
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.dlq(s), 'Arn'] }, maxReceiveCount: MAX_RECEIVE_COUNT },
      },
    };
  }
  return out;
}

const arn = (logicalId) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:Query'];
const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];

/** What each function may touch: [resource logical ids, actions]. */
function grants(settings) {
  const all = settings.secondaries;
  const allSecondaryTables = all.map(ids.secondaryTable);
  const allQueues = all.map(ids.queue);
  const table = {
    append: [
      [[ids.counterTable], ['dynamodb:UpdateItem']],
      [[ids.masterTable], [...TABLE_READ, 'dynamodb:PutItem']],
      [[ids.ackTable], ['dynamodb:BatchGetItem']],
      // The quorum check reads the heartbeat items in one BatchGetItem.
      [[ids.controlTable], [...TABLE_READ, ...TABLE_WRITE, 'dynamodb:DeleteItem', 'dynamodb:BatchGetItem']],
      // The repair queue: a catch-up of an entry whose replicate job could not be sent.
      [[...allQueues, ids.repairQueue], ['sqs:SendMessage']],
    ],
    list: [
      [[ids.masterTable], ['dynamodb:Query']],
      [[ids.controlTable], ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
    ],
    secondaryList: [
      [allSecondaryTables, ['dynamodb:Query']],
      [[ids.controlTable], ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
    ],
    wait: [
      [[ids.masterTable], ['dynamodb:GetItem']],
      [[ids.ackTable], ['dynamodb:BatchGetItem']],
      // An id whose acks expired is answered from the secondaries' applied prefixes.
      [allSecondaryTables, ['dynamodb:Query']],
      [[ids.controlTable], ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
    ],
    adminFaults: [[[ids.controlTable], ['dynamodb:GetItem', 'dynamodb:PutItem']]],
    health: [
      [[ids.masterTable, ...allSecondaryTables], ['dynamodb:Query']],
      [[ids.controlTable], ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem']],
    ],
    heartbeat: [
      // Beats, and every few seconds the health report behind the Unhealthy and lag metrics.
      [[ids.controlTable], ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem']],
      [[ids.masterTable, ...allSecondaryTables], ['dynamodb:Query']],
      [allQueues, ['sqs:SendMessage']],
    ],
    // The page is built into the function: no data-plane access at all.
    web: [],
    view: [
      [[ids.masterTable, ...allSecondaryTables], ['dynamodb:Query']],
      [[ids.controlTable], ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem']],
    ],
  };
  const consume = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'];
  for (const s of all) {
    table[replicateFunctionName(s)] = [
      // A batch's entries, then their acks, as conditional inserts: PartiQL BatchExecuteStatement,
      // or a conditional PutItem for a batch of one; the gap check reads the table.
      [[ids.secondaryTable(s)], ['dynamodb:PartiQLInsert', 'dynamodb:PutItem', 'dynamodb:GetItem']],
      // A retried job first reads whether it is acked already.
      [[ids.ackTable], ['dynamodb:PartiQLInsert', 'dynamodb:PutItem', 'dynamodb:BatchGetItem']],
      [[ids.controlTable], ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
      [[ids.queue(s)], consume],
      [[ids.repairQueue], ['sqs:SendMessage']],
    ];
  }
  table.repair = [
    [[ids.masterTable], [...TABLE_READ, 'dynamodb:PutItem']],
    [allSecondaryTables, [...TABLE_READ, 'dynamodb:PutItem', 'dynamodb:BatchWriteItem']],
    [[ids.ackTable], ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem']],
    [[ids.controlTable], ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']],
    [allQueues, ['sqs:SendMessage']],
    // Consumes the repair queue, and asks it for a later pass (holes within their grace period).
    [[ids.repairQueue], [...consume, 'sqs:SendMessage']],
  ];
  return table;
}

function role(functionName, statements) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      // CloudWatch Logs only; data-plane access is granted per resource below.
      ManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      // IAM refuses a policy without statements: a function with no grants gets no policy.
      ...(statements.length === 0
        ? {}
        : {
            Policies: [
              {
                PolicyName: `${functionName}-data`,
                PolicyDocument: {
                  Version: '2012-10-17',
                  Statement: statements.map(([resources, actions]) => ({
                    Effect: 'Allow',
                    Action: actions,
                    Resource: resources.map(arn),
                  })),
                },
              },
            ],
          }),
    },
  };
}

function gatewayResponse(type, statusCode, error) {
  return {
    Type: 'AWS::ApiGateway::GatewayResponse',
    Properties: {
      RestApiId: { Ref: 'ApiGatewayRestApi' },
      ResponseType: type,
      StatusCode: String(statusCode),
      ResponseTemplates: { 'application/json': JSON.stringify({ error }) },
    },
  };
}

/**
 * A gateway response that keeps API Gateway's own status and says its message as
 * `{"error": "..."}` ($context.error.messageString is the message already quoted as JSON).
 */
function gatewayMessageResponse(type, extra = {}) {
  return {
    Type: 'AWS::ApiGateway::GatewayResponse',
    Properties: {
      RestApiId: { Ref: 'ApiGatewayRestApi' },
      ResponseType: type,
      ResponseTemplates: { 'application/json': '{"error": $context.error.messageString}' },
      ...extra,
    },
  };
}

/**
 * What API Gateway answers itself, before any function runs, in replog's shape `{"error": "..."}`
 * (api.md: every error, the gateway's own included). Locally, localstack/offline-error-shape.js
 * does the same for serverless-offline.
 */
function gatewayResponses(settings) {
  const out = {
    // API Gateway answers an unknown route with 403 "Missing Authentication Token"; replog's
    // contract is a JSON 404 (e.g. the admin routes on stages without fault injection).
    UnknownRouteResponse: gatewayResponse('MISSING_AUTHENTICATION_TOKEN', 404, 'no such route'),
    // A body over API Gateway's 10 MB.
    RequestTooLargeResponse: gatewayResponse('REQUEST_TOO_LARGE', 413, 'request body is too large: at most 10 MB'),
    // Every other refusal of its own (a malformed request …) keeps its status and says why.
    DefaultClientErrorResponse: gatewayMessageResponse('DEFAULT_4XX'),
    // A function that failed or timed out: worth retrying, as api.md says of every 503.
    DefaultServerErrorResponse: gatewayMessageResponse('DEFAULT_5XX', { ResponseParameters: { 'gatewayresponse.header.Retry-After': "'1'" } }),
  };
  if (!settings.keyRequired) return out;
  const { rateLimit, burstLimit, monthlyQuota } = settings.api;
  // A wrong key is INVALID_API_KEY; which type a request with no key at all gets is not
  // documented, and ACCESS_DENIED has no other cause here (no authorizers, no resource policy).
  out.InvalidApiKeyResponse = gatewayResponse('INVALID_API_KEY', 403, API_KEY_ERROR);
  out.AccessDeniedResponse = gatewayResponse('ACCESS_DENIED', 403, API_KEY_ERROR);
  out.ThrottledResponse = gatewayResponse('THROTTLED', 429, `too many requests: this key may send ${rateLimit} a second (bursts of ${burstLimit}); retry in a moment`);
  out.QuotaExceededResponse = gatewayResponse('QUOTA_EXCEEDED', 429, `this key has used its ${monthlyQuota} requests for the month; ask the operator to raise REPLOG_API_MONTHLY_QUOTA`);
  return out;
}

/**
 * The alarms an operator needs, all notifying one SNS topic (with an e-mail subscription when
 * REPLOG_ALARM_EMAIL is set). The replog metrics are the ones lib/metrics.ts emits in EMF: namespace
 * = the service, dimension `service` = "<service>-<stage>" (serverless.yml's POWERTOOLS_* settings).
 */
function alarms(settings) {
  const { prefix, service, secondaries } = settings;
  const topic = { Ref: ids.alarmTopic };
  const alarm = (name, description, properties) => ({
    Type: 'AWS::CloudWatch::Alarm',
    Properties: { AlarmName: `${prefix}-${name}`, AlarmDescription: description, AlarmActions: [topic], OKActions: [topic], ...properties },
  });
  const replogMetric = (metricName, dimensions) => ({
    Namespace: service,
    MetricName: metricName,
    Dimensions: [{ Name: 'service', Value: prefix }, ...Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }))],
  });
  const out = {
    [ids.alarmTopic]: { Type: 'AWS::SNS::Topic', Properties: { TopicName: `${prefix}-alarms`, DisplayName: `replog ${settings.stage} alarms` } },
  };
  if (settings.alarmEmail) {
    out.AlarmEmailSubscription = { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: topic, Protocol: 'email', Endpoint: settings.alarmEmail } };
  }
  for (const s of secondaries) {
    out[ids.dlqAlarm(s)] = alarm(
      `${s}-dlq-not-empty`,
      `Replicate jobs for ${s} failed ${MAX_RECEIVE_COUNT} times and were parked in its DLQ. Catch-up copies what ${s} misses from the master; find the cause in the replicate${logicalSuffix(s)} logs, then purge the DLQ.`,
      {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: `${prefix}-replicate-${s}-dlq` }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        // SQS stops reporting an idle, empty queue.
        TreatMissingData: 'notBreaching',
      },
    );
    out[ids.unhealthyAlarm(s)] = alarm(
      `${s}-unhealthy`,
      `${s} has missed every heartbeat for more than 5 minutes: it is down, failing or backlogged, appends at w=${secondaries.length + 1} answer 202, and without a quorum the master is read-only. No data means the heartbeat function itself stopped.`,
      {
        ...replogMetric('Unhealthy', { secondary: s }),
        // The heartbeat samples health every few seconds (1 = Unhealthy); Minimum 1 over a minute
        // means Unhealthy at every sample of it, for 5 minutes in a row.
        Statistic: 'Minimum',
        Period: 60,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 5,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'breaching',
      },
    );
  }
  out.AppendServerErrorsAlarm = alarm(
    'append-5xx',
    'POST /append answered a 5xx: read-only (no quorum), a storage call failing before the message was stored (503), or the function crashing or timing out (API Gateway 502/504).',
    {
      Metrics: [
        { Id: 'answered', ReturnData: false, MetricStat: { Metric: replogMetric('ServerErrors', { route: 'POST /append' }), Period: 60, Stat: 'Sum' } },
        {
          Id: 'crashed',
          ReturnData: false,
          MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'AppendLambdaFunction' } }] }, Period: 60, Stat: 'Sum' },
        },
        { Id: 'total', Label: 'POST /append 5xx', ReturnData: true, Expression: 'FILL(answered, 0) + FILL(crashed, 0)' },
      ],
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    },
  );
  return out;
}

function replicateFunctionName(secondary) {
  return `replicate${logicalSuffix(secondary)}`;
}

/** The functions that exist on this stage: those in serverless.yml, the admin one where enabled, the consumers. */
function functionNames(settings) {
  return [
    ...['append', 'list', 'secondaryList', 'wait', 'health', 'view', 'web', 'heartbeat', 'repair'],
    ...(settings.adminEnabled ? ['adminFaults'] : []),
    ...settings.secondaries.map(replicateFunctionName),
  ];
}

module.exports.apiKeyRequired = async ({ resolveVariable }) => (await readSettings(resolveVariable)).keyRequired;

/** serverless.yml's custom.adminFunctions on the stages in REPLOG_ADMIN_STAGES, nothing elsewhere. */
module.exports.adminFunctions = async ({ resolveVariable }) => {
  const settings = await readSettings(resolveVariable);
  return settings.adminEnabled ? resolveVariable('self:custom.adminFunctions') : {};
};

/** One consumer of its replicate queue per secondary; failures are reported per record. */
module.exports.replicateFunctions = async ({ resolveVariable }) => {
  const settings = await readSettings(resolveVariable);
  return Object.fromEntries(
    settings.secondaries.map((s) => [
      replicateFunctionName(s),
      {
        handler: 'functions/replicate.handler',
        role: ids.role(replicateFunctionName(s)),
        events: [{ sqs: { arn: arn(ids.queue(s)), batchSize: 10, functionResponseType: 'ReportBatchItemFailures' } }],
      },
    ]),
  );
};

module.exports.resources = async ({ resolveVariable }) => {
  const settings = await readSettings(resolveVariable);
  const roles = grants(settings);
  const iam = Object.fromEntries(functionNames(settings).map((name) => [ids.role(name), role(name, roles[name])]));
  return { Resources: { ...tables(settings), ...queues(settings), ...iam, ...gatewayResponses(settings), ...alarms(settings) } };
};

/**
 * provider.apiGateway: on every stage but the keyless ones, one API key (named by
 * REPLOG_API_KEY_VERSION, so bumping it rotates the key) bound to a usage plan that throttles it
 * and caps its month. Without REPLOG_API_KEY_VALUE, API Gateway generates the value.
 */
module.exports.apiGateway = async ({ resolveVariable }) => {
  const settings = await readSettings(resolveVariable);
  if (!settings.keyRequired) return {};
  const { keyVersion, keyValue, rateLimit, burstLimit, monthlyQuota } = settings.api;
  return {
    apiKeys: [{ name: `${settings.prefix}-key-v${keyVersion}`, description: `replog ${settings.stage} API key`, ...(keyValue ? { value: keyValue } : {}) }],
    usagePlan: {
      throttle: { rateLimit, burstLimit },
      quota: { limit: monthlyQuota, period: 'MONTH' },
    },
  };
};

// Queue URLs reach the functions as CloudFormation references, resolved by CloudFormation on AWS
// and by the local plugin (localstack/) against the emulator's queues when run offline.
module.exports.repairQueueUrl = async () => ({ Ref: ids.repairQueue });

module.exports.queueUrls = async ({ resolveVariable }) => {
  const settings = await readSettings(resolveVariable);
  const body = settings.secondaries.map((s) => `"${s}":"\${${ids.queue(s)}}"`).join(',');
  return { 'Fn::Sub': `{${body}}` };
};

module.exports.maxReceiveCount = () => String(MAX_RECEIVE_COUNT);
