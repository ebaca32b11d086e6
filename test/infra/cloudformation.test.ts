import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '../../lib/metrics';
import { resolveEnvironment } from '../../localstack/bootstrap';
import { projectRoot, readStackDefinition, serverlessBin, serverlessEnv } from '../../localstack/definition';

const run = promisify(execFile);

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: unknown }>;
}

const DATA_PLANE = /^(dynamodb|sqs):/;

function resourcesOfType(template: Template, type: string) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

describe('serverless package --stage prod', () => {
  let dir: string;
  let template: Template;

  beforeAll(async () => {
    // Act: package exactly as a deploy would, with fake credentials and no AWS call.
    dir = mkdtempSync(join(tmpdir(), 'replog-package-'));
    await run(process.execPath, [serverlessBin(), 'package', '--stage', 'prod', '--package', dir], {
      cwd: projectRoot,
      env: { ...process.env, ...serverlessEnv, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', REPLOG_SECONDARIES: 's1,s2', REPLOG_BUILD_DIR: '.esbuild-package' },
      maxBuffer: 16 * 1024 * 1024,
    });
    template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has one table and one replicate queue (with a DLQ) per secondary', () => {
    const tableNames = resourcesOfType(template, 'AWS::DynamoDB::Table').map(([, r]) => r.Properties.TableName as string);
    expect(tableNames.filter((n) => n.startsWith('replog-prod-secondary-')).sort()).toEqual(['replog-prod-secondary-s1', 'replog-prod-secondary-s2']);
    expect(tableNames).toEqual(expect.arrayContaining(['replog-prod-master', 'replog-prod-counter', 'replog-prod-acks', 'replog-prod-control']));
    const queues = resourcesOfType(template, 'AWS::SQS::Queue');
    const replicateQueues = queues.filter(([, r]) => r.Properties.RedrivePolicy);
    expect(replicateQueues.map(([, r]) => r.Properties.QueueName).sort()).toEqual(['replog-prod-replicate-s1', 'replog-prod-replicate-s2']);
    expect(queues.map(([id]) => id).sort()).toEqual(['RepairQueue', 'ReplicateDlqS1', 'ReplicateDlqS2', 'ReplicateQueueS1', 'ReplicateQueueS2']);
  });

  it('grants no data-plane action on Resource "*"', () => {
    const statements = resourcesOfType(template, 'AWS::IAM::Role').flatMap(([, r]) =>
      (r.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement as any[]),
    );
    const dataPlane = statements.filter((s) => [s.Action].flat().some((a: string) => DATA_PLANE.test(a)));
    expect(dataPlane.length).toBeGreaterThan(0);
    for (const statement of dataPlane) {
      const resources = [statement.Resource].flat();
      expect(resources).not.toContain('*');
      for (const r of resources) expect(JSON.stringify(r)).not.toMatch(/\*/);
    }
  });

  it('requires the API key on every method but GET / (the page), with admin routes absent', () => {
    const methods = resourcesOfType(template, 'AWS::ApiGateway::Method').map(([, r]) => r.Properties);
    const isRoot = (m: Record<string, any>) => JSON.stringify(m.ResourceId) === JSON.stringify({ 'Fn::GetAtt': ['ApiGatewayRestApi', 'RootResourceId'] });
    const page = methods.filter((m) => isRoot(m) && m.HttpMethod === 'GET');
    expect(page).toHaveLength(1);
    expect(page[0]?.ApiKeyRequired).toBe(false);
    const api = methods.filter((m) => !(isRoot(m) && m.HttpMethod === 'GET') && m.HttpMethod !== 'OPTIONS');
    // append, list, secondary list, wait, health, view
    expect(api.length).toBe(6);
    for (const m of api) expect(m.ApiKeyRequired, JSON.stringify(m.Integration?.Uri)).toBe(true);
    const paths = resourcesOfType(template, 'AWS::ApiGateway::Resource').map(([, r]) => r.Properties.PathPart);
    expect(paths).not.toContain('admin');
    expect(resourcesOfType(template, 'AWS::Lambda::Function').map(([id]) => id)).not.toContain('AdminFaultsLambdaFunction');
  });

  it('binds one API key to a usage plan with throttle and monthly quota on the stage', () => {
    const keys = resourcesOfType(template, 'AWS::ApiGateway::ApiKey');
    const plans = resourcesOfType(template, 'AWS::ApiGateway::UsagePlan');
    const bindings = resourcesOfType(template, 'AWS::ApiGateway::UsagePlanKey');
    expect(keys).toHaveLength(1);
    expect(plans).toHaveLength(1);
    expect(bindings).toHaveLength(1);
    const [keyId, key] = keys[0]!;
    const [planId, plan] = plans[0]!;
    // API Gateway generates the value: none sits in the template.
    expect(key.Properties.Value).toBeUndefined();
    expect(key.Properties.Enabled).toBe(true);
    expect(key.Properties.Name).toBe('replog-prod-key-v1');
    expect(plan.Properties.ApiStages).toEqual([{ ApiId: { Ref: 'ApiGatewayRestApi' }, Stage: 'prod' }]);
    expect(plan.Properties.Throttle).toEqual({ RateLimit: 25, BurstLimit: 50 });
    expect(plan.Properties.Quota).toEqual({ Limit: 1_000_000, Period: 'MONTH' });
    expect(bindings[0]![1].Properties).toEqual({ KeyId: { Ref: keyId }, KeyType: 'API_KEY', UsagePlanId: { Ref: planId } });
  });

  it('answers a missing or wrong key with 403 and throttling with 429, as JSON errors', () => {
    const responses = Object.fromEntries(resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => [r.Properties.ResponseType, r.Properties]));
    for (const [type, status] of [['INVALID_API_KEY', '403'], ['ACCESS_DENIED', '403'], ['THROTTLED', '429'], ['QUOTA_EXCEEDED', '429'], ['MISSING_AUTHENTICATION_TOKEN', '404']] as const) {
      const response = responses[type];
      expect(response?.StatusCode, type).toBe(status);
      expect(response?.RestApiId).toEqual({ Ref: 'ApiGatewayRestApi' });
      const body = JSON.parse(response?.ResponseTemplates['application/json']) as { error?: unknown };
      expect(Object.keys(body)).toEqual(['error']);
      expect(typeof body.error).toBe('string');
    }
    expect(JSON.parse(responses.INVALID_API_KEY?.ResponseTemplates['application/json']).error).toMatch(/x-api-key/);
  });

  it('expires ack records (and the control table\'s per-id records) with a DynamoDB TTL', () => {
    const tables = Object.fromEntries(resourcesOfType(template, 'AWS::DynamoDB::Table').map(([, r]) => [r.Properties.TableName, r.Properties]));
    for (const name of ['replog-prod-acks', 'replog-prod-control']) {
      expect(tables[name]?.TimeToLiveSpecification, name).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    }
    expect(tables['replog-prod-master']?.TimeToLiveSpecification).toBeUndefined();
  });

  it('has the alarms, each notifying the SNS topic, on the metrics the functions emit', () => {
    const topics = resourcesOfType(template, 'AWS::SNS::Topic');
    expect(topics.map(([id, r]) => [id, r.Properties.TopicName])).toEqual([['AlarmTopic', 'replog-prod-alarms']]);
    expect(resourcesOfType(template, 'AWS::SNS::Subscription')).toHaveLength(0);
    const alarms = Object.fromEntries(resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([id, r]) => [id, r.Properties]));
    expect(Object.keys(alarms).sort()).toEqual(['AppendServerErrorsAlarm', 'DlqNotEmptyAlarmS1', 'DlqNotEmptyAlarmS2', 'UnhealthyAlarmS1', 'UnhealthyAlarmS2']);
    for (const alarm of Object.values(alarms)) {
      expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(alarm.OKActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(alarm.AlarmDescription.length).toBeGreaterThan(40);
    }
    const dimensions = (a: Record<string, any>) => Object.fromEntries(a.Dimensions.map((d: { Name: string; Value: unknown }) => [d.Name, d.Value]));

    // DLQ depth > 0, per secondary.
    for (const s of ['s1', 's2']) {
      const dlq = alarms[`DlqNotEmptyAlarm${s.toUpperCase()}`]!;
      expect(dlq).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      expect(dimensions(dlq)).toEqual({ QueueName: `replog-prod-replicate-${s}-dlq` });
      expect(resourcesOfType(template, 'AWS::SQS::Queue').some(([, q]) => q.Properties.QueueName === `replog-prod-replicate-${s}-dlq`)).toBe(true);
    }

    // Unhealthy at every sample for 5 one-minute periods in a row, per secondary.
    for (const s of ['s1', 's2']) {
      const unhealthy = alarms[`UnhealthyAlarm${s.toUpperCase()}`]!;
      expect(unhealthy).toMatchObject({ Namespace: 'replog', MetricName: METRIC.unhealthy, Statistic: 'Minimum', Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 5, Threshold: 1 });
      expect(unhealthy.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      expect(dimensions(unhealthy)).toEqual({ service: 'replog-prod', secondary: s });
    }

    // Any 5xx of POST /append: the ones it answered, and the crashes and timeouts API Gateway turns into 502/504.
    const append = alarms.AppendServerErrorsAlarm!;
    expect(append).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
    const stats = Object.fromEntries(append.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, m.MetricStat.Metric]));
    expect(stats.answered).toMatchObject({ Namespace: 'replog', MetricName: METRIC.serverErrors });
    expect(dimensions(stats.answered)).toEqual({ service: 'replog-prod', route: 'POST /append' });
    expect(stats.crashed).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors' });
    expect(dimensions(stats.crashed)).toEqual({ FunctionName: { Ref: 'AppendLambdaFunction' } });
    expect(append.Metrics.find((m: any) => m.ReturnData)?.Expression).toBe('FILL(answered, 0) + FILL(crashed, 0)');
  });

  it('gives the functions the metric namespace and service the alarms watch', () => {
    const fn = template.Resources.AppendLambdaFunction!;
    expect(fn.Properties.Environment.Variables).toMatchObject({ POWERTOOLS_METRICS_NAMESPACE: 'replog', POWERTOOLS_SERVICE_NAME: 'replog-prod', REPLOG_ACK_RETENTION_HOURS: '168' });
  });

  it('gives each replicate consumer access to its own table only, and runs on nodejs22.x', () => {
    const role = template.Resources.ReplicateS1Role as any;
    const resources = JSON.stringify(role.Properties.Policies);
    expect(resources).toContain('SecondaryTableS1');
    expect(resources).not.toContain('SecondaryTableS2');
    // A batch is written with conditional inserts (statements, or a put for one): nothing else is written.
    const grants = Object.fromEntries(
      (role.Properties.Policies[0].PolicyDocument.Statement as Array<{ Action: string[]; Resource: unknown[] }>).flatMap((st) => st.Resource.map((r) => [JSON.stringify(r), st.Action])),
    );
    expect(grants[JSON.stringify({ 'Fn::GetAtt': ['SecondaryTableS1', 'Arn'] })]).toEqual(['dynamodb:PartiQLInsert', 'dynamodb:PutItem', 'dynamodb:GetItem']);
    expect(grants[JSON.stringify({ 'Fn::GetAtt': ['AckTable', 'Arn'] })]).toEqual(['dynamodb:PartiQLInsert', 'dynamodb:PutItem', 'dynamodb:BatchGetItem']);
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const [, fn] of functions) expect(fn.Properties.Runtime).toBe('nodejs22.x');
  });
});

describe('API Gateway\'s own answers', () => {
  it('are {"error": "..."} for every refusal of its own: unknown route 404, body over 10 MB 413, any other 4xx/5xx', async () => {
    // Act
    const definition = await readStackDefinition('prod', { ...process.env });

    // Assert
    const responses = Object.values(definition.resources).filter((r) => r.Type === 'AWS::ApiGateway::GatewayResponse');
    const byType = new Map(responses.map((r) => [r.Properties?.ResponseType, r.Properties]));
    const template = (type: string) => (byType.get(type)?.ResponseTemplates as Record<string, string> | undefined)?.['application/json'];
    expect(byType.get('MISSING_AUTHENTICATION_TOKEN')?.StatusCode).toBe('404');
    expect(JSON.parse(String(template('MISSING_AUTHENTICATION_TOKEN')))).toEqual({ error: 'no such route' });
    expect(byType.get('REQUEST_TOO_LARGE')?.StatusCode).toBe('413');
    expect(JSON.parse(String(template('REQUEST_TOO_LARGE')))).toEqual({ error: 'request body is too large: at most 10 MB' });
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      expect(template(type), type).toBe('{"error": $context.error.messageString}');
      expect(byType.get(type), type).not.toHaveProperty('StatusCode');
    }
    expect(byType.get('DEFAULT_5XX')?.ResponseParameters).toEqual({ 'gatewayresponse.header.Retry-After': "'1'" });
    // Every template is JSON with exactly one key, "error", once the quoted message is filled in.
    for (const r of responses) {
      const filled = String(template(String(r.Properties?.ResponseType))).replace('$context.error.messageString', '"Too Many Requests"');
      expect(Object.keys(JSON.parse(filled))).toEqual(['error']);
    }
  }, 60_000);
});

describe('fault injection on prod', () => {
  it('is not deployed, and unknown routes answer a JSON 404', async () => {
    // Act
    const definition = await readStackDefinition('prod', { ...process.env });

    // Assert
    expect(JSON.stringify(definition.resources)).not.toContain('AdminFaultsRole');
    expect(definition.resources.UnknownRouteResponse?.Properties?.StatusCode).toBe('404');
    const local = await readStackDefinition('local', { ...process.env });
    expect(JSON.stringify(local.resources)).toContain('AdminFaultsRole');
  }, 60_000);
});

describe('deploy settings', () => {
  it('subscribes REPLOG_ALARM_EMAIL to the alarm topic', async () => {
    const definition = await readStackDefinition('prod', { ...process.env, REPLOG_ALARM_EMAIL: 'ops@example.com' });
    expect(definition.resources.AlarmEmailSubscription?.Properties).toEqual({ TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: 'ops@example.com' });
  }, 60_000);

  it.each([
    ['REPLOG_API_RATE_LIMIT', '0', /REPLOG_API_RATE_LIMIT must be a positive number/],
    ['REPLOG_API_BURST_LIMIT', '1.5', /REPLOG_API_BURST_LIMIT must be a positive integer/],
    ['REPLOG_API_MONTHLY_QUOTA', 'lots', /REPLOG_API_MONTHLY_QUOTA must be a positive number/],
    ['REPLOG_API_KEY_VALUE', 'short', /REPLOG_API_KEY_VALUE must be 20 to 128/],
    ['REPLOG_ALARM_EMAIL', 'not-an-address', /REPLOG_ALARM_EMAIL must be an e-mail address/],
  ])('refuses %s=%s with a message that names it', async (name, value, message) => {
    const err = await readStackDefinition('prod', { ...process.env, [name]: value }).then(
      () => undefined,
      (e: Error & { stderr?: string; stdout?: string }) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(`${err?.message} ${err?.stdout ?? ''} ${err?.stderr ?? ''}`).toMatch(message);
  }, 60_000);

  it('needs no key on local, and a key on dev (the same template as prod)', async () => {
    const [local, dev] = await Promise.all([readStackDefinition('local', { ...process.env }), readStackDefinition('dev', { ...process.env })]);
    expect(local.resources.InvalidApiKeyResponse).toBeUndefined();
    expect(dev.resources.InvalidApiKeyResponse?.Properties?.StatusCode).toBe('403');
    expect(JSON.stringify(dev.resources)).toContain('AdminFaultsRole');
  }, 60_000);
});

describe('REPLOG_SECONDARIES', () => {
  it('gives three secondaries three tables, queues and consumers', async () => {
    // Act
    const definition = await readStackDefinition('local', { ...process.env, REPLOG_SECONDARIES: 's1,s2,s3' });

    // Assert
    const tables = Object.values(definition.resources).filter((r) => r.Type === 'AWS::DynamoDB::Table');
    expect(tables.filter((t) => String(t.Properties?.TableName).includes('-secondary-'))).toHaveLength(3);
    expect(definition.sqsEvents.map((e) => e.functionKey).filter((k) => k.startsWith('replicate')).sort()).toEqual(['replicateS1', 'replicateS2', 'replicateS3']);
    const queueIds = Object.keys(definition.resources).filter((id) => definition.resources[id]?.Type === 'AWS::SQS::Queue');
    const queues = Object.fromEntries(queueIds.map((id) => [id, { url: `http://queues/${id}`, arn: `arn:queue:${id}` }]));
    const { environment } = resolveEnvironment(definition.environment, queues);
    expect(JSON.parse(String(environment.REPLOG_QUEUE_URLS))).toEqual({
      s1: 'http://queues/ReplicateQueueS1',
      s2: 'http://queues/ReplicateQueueS2',
      s3: 'http://queues/ReplicateQueueS3',
    });
  }, 60_000);
});
