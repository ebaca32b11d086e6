import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { resolveEnvironment, resolveIntrinsics } from '../../localstack/bootstrap';
import { definitionOf, type ResolvedConfig } from '../../localstack/definition';
import { thrownBy } from '../support/thrown';

const queues = {
  ReplicateQueueS1: { url: 'http://localhost:4566/000000000000/replog-dev-replicate-s1', arn: 'arn:aws:sqs:us-east-1:000000000000:replog-dev-replicate-s1' },
  RepairQueue: { url: 'http://localhost:4566/000000000000/replog-dev-repair', arn: 'arn:aws:sqs:us-east-1:000000000000:replog-dev-repair' },
};

describe('definitionOf (the resolved configuration → what the local system runs)', () => {
  const config: ResolvedConfig = {
    service: 'replog',
    provider: { region: 'eu-west-1', environment: { A: '1' } },
    functions: {
      replicateS1: { name: 'replog-dev-replicateS1', events: [{ sqs: { arn: { 'Fn::GetAtt': ['ReplicateQueueS1', 'Arn'] }, batchSize: 7, functionResponseType: 'ReportBatchItemFailures' } }] },
      repair: { events: [{ schedule: 'rate(1 minute)' }, { sqs: { arn: { 'Fn::GetAtt': ['RepairQueue', 'Arn'] } } }] },
      list: { events: [] },
    },
    resources: { Resources: { RepairQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'replog-dev-repair' } } } },
  };

  it('lists each sqs event with its queue, batch size and response type, and the scheduled functions', () => {
    const definition = definitionOf(config, 'dev');

    expect(definition.sqsEvents).toEqual([
      { functionKey: 'replicateS1', functionName: 'replog-dev-replicateS1', queueLogicalId: 'ReplicateQueueS1', batchSize: 7, reportBatchItemFailures: true },
      { functionKey: 'repair', functionName: 'replog-dev-repair', queueLogicalId: 'RepairQueue', batchSize: 10, reportBatchItemFailures: false },
    ]);
    expect(definition.scheduledFunctions).toEqual(['replog-dev-repair']);
    expect(definition).toMatchObject({ service: 'replog', stage: 'dev', region: 'eu-west-1', environment: { A: '1' } });
    expect(Object.keys(definition.resources)).toEqual(['RepairQueue']);
  });

  it('says whether the stage has API keys (every route but the page then needs one)', () => {
    expect(definitionOf(config, 'local').apiKeyRequired).toBe(false);
    const keyed: ResolvedConfig = { ...config, provider: { ...config.provider, apiGateway: { apiKeys: [{ name: 'replog-dev-key-v1' }] } } };
    expect(definitionOf(keyed, 'dev').apiKeyRequired).toBe(true);
    expect(definitionOf({ ...config, provider: { ...config.provider, apiGateway: {} } }, 'dev').apiKeyRequired).toBe(false);
  });

  it('refuses an sqs event whose arn is not a GetAtt of a queue in the stack', () => {
    const bad: ResolvedConfig = { ...config, functions: { f: { events: [{ sqs: { arn: 'arn:aws:sqs:us-east-1:1:elsewhere' } }] } } };

    expect(String(thrownBy(() => definitionOf(bad, 'dev')))).toMatch(/Fn::GetAtt/);
  });
});

describe('resolveIntrinsics', () => {
  it('resolves Ref to the queue URL, GetAtt Arn to its ARN, and Fn::Sub placeholders in a string', () => {
    const value = {
      url: { Ref: 'RepairQueue' },
      arn: { 'Fn::GetAtt': ['ReplicateQueueS1', 'Arn'] },
      both: { 'Fn::Sub': '{"s1":"${ReplicateQueueS1}","dlq":"${RepairQueue.Arn}"}' },
      list: [{ Ref: 'ReplicateQueueS1' }, 'plain'],
    };

    expect(resolveIntrinsics(value, queues)).toEqual({
      url: queues.RepairQueue.url,
      arn: queues.ReplicateQueueS1.arn,
      both: `{"s1":"${queues.ReplicateQueueS1.url}","dlq":"${queues.RepairQueue.arn}"}`,
      list: [queues.ReplicateQueueS1.url, 'plain'],
    });
  });

  it('leaves values without intrinsics unchanged (property)', () => {
    const plain = fc.jsonValue().filter((v) => !/"(Ref|Fn::GetAtt|Fn::Sub)"/.test(JSON.stringify(v)));
    fc.assert(
      fc.property(plain, (value) => {
        expect(resolveIntrinsics(value, queues)).toEqual(value);
      }),
    );
  });
});

describe('resolveEnvironment', () => {
  it('turns every variable into a string and names the ones that refer to something with no local counterpart', () => {
    const { environment, missing } = resolveEnvironment({ N: 5, URL: { Ref: 'RepairQueue' }, TOPIC: { Ref: 'AlarmTopic' } }, queues);

    expect(environment).toEqual({ N: '5', URL: queues.RepairQueue.url });
    expect(missing).toEqual(['TOPIC']);
  });
});
