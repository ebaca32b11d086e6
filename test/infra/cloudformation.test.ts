import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, readStackDefinition, serverlessBin, serverlessEnv } from '../../scripts/lib/stack-definition';

const run = promisify(execFile);

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
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

  it('gives each replicate consumer access to its own table only, and runs on nodejs22.x', () => {
    const role = template.Resources.ReplicateS1Role as any;
    const resources = JSON.stringify(role.Properties.Policies);
    expect(resources).toContain('SecondaryTableS1');
    expect(resources).not.toContain('SecondaryTableS2');
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const [, fn] of functions) expect(fn.Properties.Runtime).toBe('nodejs22.x');
  });
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

describe('REPLOG_SECONDARIES', () => {
  it('gives three secondaries three tables, queues and consumers', async () => {
    // Act
    const definition = await readStackDefinition('local', { ...process.env, REPLOG_SECONDARIES: 's1,s2,s3' });

    // Assert
    const tables = Object.values(definition.resources).filter((r) => r.Type === 'AWS::DynamoDB::Table');
    expect(tables.filter((t) => String(t.Properties?.TableName).includes('-secondary-'))).toHaveLength(3);
    expect(definition.sqsEvents.map((e) => e.functionKey).filter((k) => k.startsWith('replicate')).sort()).toEqual(['replicateS1', 'replicateS2', 'replicateS3']);
    expect(JSON.parse(String(definition.environment.REPLOG_QUEUE_URLS))).toHaveProperty('s3');
  }, 60_000);
});
