'use strict';
// Generates the per-secondary parts of serverless.yml (functions, tables, queues, IAM roles),
// so that N secondaries need no copy-paste and every function gets least-privilege IAM.

const SECONDARY_NAME = /^[a-z][a-z0-9-]{0,30}$/;

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
  const localStages = list(await resolveVariable('self:custom.localStages'));
  const adminStages = list(await resolveVariable('self:custom.adminStages'));
  return {
    secondaries,
    stage,
    prefix: `${service}-${stage}`,
    isLocal: localStages.includes(stage),
    adminEnabled: adminStages.includes(stage),
  };
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
  const out = {
    [ids.counterTable]: logTable(`${prefix}-counter`, { name: 'name', type: 'S' }),
    [ids.masterTable]: logTable(`${prefix}-master`, ...LOG_KEY),
    [ids.ackTable]: logTable(`${prefix}-acks`, { name: 'id', type: 'N' }, { name: 'node', type: 'S' }),
    [ids.controlTable]: logTable(`${prefix}-control`, { name: 'pk', type: 'S' }),
  };
  out[ids.controlTable].Properties.TimeToLiveSpecification = { AttributeName: 'expiresAt', Enabled: true };
  for (const s of secondaries) out[ids.secondaryTable(s)] = logTable(`${prefix}-secondary-${s}`, ...LOG_KEY);
  return out;
}

function queues(settings) {
  const out = {
    // Asks for a repair pass (hole filling, catch-up) sooner than the schedule would run one.
    [ids.repairQueue]: {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: `${settings.prefix}-repair`, VisibilityTimeout: 180, MessageRetentionPeriod: 3600 },
    },
  };
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
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.dlq(s), 'Arn'] }, maxReceiveCount: 1000 },
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
      [[ids.controlTable], [...TABLE_READ, ...TABLE_WRITE, 'dynamodb:DeleteItem']],
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
    ],
    adminFaults: [[[ids.controlTable], ['dynamodb:GetItem', 'dynamodb:PutItem']]],
    health: [
      [[ids.masterTable, ...allSecondaryTables], ['dynamodb:Query']],
      [[ids.controlTable], ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
    ],
    heartbeat: [
      [[ids.controlTable], ['dynamodb:PutItem']],
      [allQueues, ['sqs:SendMessage']],
    ],
    // The page is built into the function: no data-plane access at all.
    web: [],
    view: [
      [[ids.masterTable, ...allSecondaryTables], ['dynamodb:Query']],
      [[ids.controlTable], ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
    ],
  };
  const consume = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'];
  for (const s of all) {
    table[replicateFunctionName(s)] = [
      [[ids.secondaryTable(s)], ['dynamodb:PutItem', 'dynamodb:GetItem']],
      [[ids.ackTable], ['dynamodb:UpdateItem']],
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

/**
 * API Gateway answers an unknown route with 403 "Missing Authentication Token"; replog's contract
 * is a JSON 404 (e.g. the admin routes on stages without fault injection).
 */
function gatewayResponses() {
  return {
    UnknownRouteResponse: {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: {
        RestApiId: { Ref: 'ApiGatewayRestApi' },
        ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
        StatusCode: '404',
        ResponseTemplates: { 'application/json': '{"error": "no such route"}' },
      },
    },
  };
}

function replicateFunctionName(secondary) {
  return `replicate${logicalSuffix(secondary)}`;
}

function http(method, path) {
  return [{ http: { method, path } }];
}

function functionDefinitions(settings) {
  const fns = {
    append: { handler: 'functions/append.handler', events: http('post', '/append') },
    list: { handler: 'functions/list.handler', events: http('get', '/list') },
    secondaryList: { handler: 'functions/secondary-list.handler', events: http('get', '/secondaries/{name}/list') },
    wait: { handler: 'functions/wait.handler', events: http('get', '/messages/{id}/wait') },
    health: { handler: 'functions/health.handler', events: http('get', '/health') },
    web: { handler: 'functions/web.handler', events: http('get', '/') },
    view: { handler: 'functions/view.handler', events: http('get', '/view') },
    heartbeat: {
      handler: 'functions/heartbeat.handler',
      // Beats for a minute per scheduled run (EventBridge's finest rate).
      timeout: 70,
      events: [{ schedule: 'rate(1 minute)' }],
    },
  };
  if (settings.adminEnabled) {
    fns.adminFaults = {
      handler: 'functions/admin-faults.handler',
      events: [
        { http: { method: 'put', path: '/admin/secondaries/{name}/faults' } },
        { http: { method: 'get', path: '/admin/secondaries/{name}/faults' } },
      ],
    };
  }
  fns.repair = {
    handler: 'functions/repair.handler',
    timeout: 120,
    events: [
      { schedule: 'rate(1 minute)' },
      { sqs: { arn: arn(ids.repairQueue), batchSize: 10, functionResponseType: 'ReportBatchItemFailures' } },
    ],
  };
  for (const s of settings.secondaries) {
    fns[replicateFunctionName(s)] = {
      handler: 'functions/replicate.handler',
      events: [
        {
          sqs: {
            arn: arn(ids.queue(s)),
            batchSize: 10,
            functionResponseType: 'ReportBatchItemFailures',
          },
        },
      ],
    };
  }
  const roles = grants(settings);
  for (const [name, fn] of Object.entries(fns)) fn.role = ids.role(name);
  return { fns, roles };
}

module.exports.functions = async ({ resolveVariable }) => {
  const settings = await readSettings(resolveVariable);
  return functionDefinitions(settings).fns;
};

module.exports.resources = async ({ resolveVariable }) => {
  const settings = await readSettings(resolveVariable);
  const { fns, roles } = functionDefinitions(settings);
  const iam = {};
  for (const name of Object.keys(fns)) iam[ids.role(name)] = role(name, roles[name]);
  return { Resources: { ...tables(settings), ...queues(settings), ...iam, ...gatewayResponses() } };
};

/** A queue's URL: built by name on local stages, a CloudFormation Ref elsewhere. */
function queueUrl(settings, logicalId, queueName) {
  return settings.isLocal ? `http://localhost:4566/000000000000/${queueName}` : { Ref: logicalId };
}

module.exports.repairQueueUrl = async ({ resolveVariable }) => {
  const settings = await readSettings(resolveVariable);
  return queueUrl(settings, ids.repairQueue, `${settings.prefix}-repair`);
};

module.exports.queueUrls = async ({ resolveVariable }) => {
  const settings = await readSettings(resolveVariable);
  if (settings.isLocal) {
    // The emulators (embedded or LocalStack) find a queue by account and name; the SQS client's
    // explicit endpoint decides where the call goes.
    const urls = Object.fromEntries(
      settings.secondaries.map((s) => [s, `http://localhost:4566/000000000000/${settings.prefix}-replicate-${s}`]),
    );
    return JSON.stringify(urls);
  }
  const body = settings.secondaries.map((s) => `"${s}":"\${${ids.queue(s)}}"`).join(',');
  return { 'Fn::Sub': `{${body}}` };
};
