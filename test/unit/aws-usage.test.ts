import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffCounts, dynamoUnits, itemBytes, parseUsageLine, readUnits, sumCounts, UsageCounter, writeUnits } from '../../localstack/aws-usage';
import { awsPerAppend, capacityModel } from '../../scripts/bench/report';

const counts = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.nat({ max: 1000 }));

describe('AWS usage counting: what AWS would bill for the calls a local stack made', () => {
  it('charges a write unit per started KB and a read unit per started 4 KB, never less than one', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), (bytes) => {
        expect(writeUnits(bytes)).toBe(Math.max(1, Math.ceil(bytes / 1024)));
        expect(readUnits(bytes, true)).toBe(Math.max(1, Math.ceil(bytes / 4096)));
        expect(readUnits(bytes, false)).toBe(readUnits(bytes, true) / 2);
      }),
    );
  });

  it('sizes an item by its attribute names and UTF-8 values', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (msg) => {
        expect(itemBytes({ msg })).toBe(3 + Buffer.byteLength(msg, 'utf8'));
      }),
    );
    expect(itemBytes({ log: 'main', id: 12345, noop: true })).toBe(3 + 4 + 2 + 4 + 4 + 1);
  });

  it('charges each statement of a PartiQL batch and each item of a BatchWriteItem', () => {
    const insert = (n: number) => ({ Statement: `INSERT INTO "t" VALUE {'id': ?, 'msg': ?}`, Parameters: [n, 'x'.repeat(1500)] });
    expect(dynamoUnits('BatchExecuteStatement', { Statements: [insert(1), insert(2)] }, {})).toEqual({ rcu: 0, wcu: 4 });
    const put = { PutRequest: { Item: { id: 1, msg: 'hello' } } };
    expect(dynamoUnits('BatchWriteItem', { RequestItems: { a: [put, put], b: [put] } }, { UnprocessedItems: { a: [put] } })).toEqual({ rcu: 0, wcu: 2 });
    expect(dynamoUnits('BatchGetItem', { RequestItems: { a: { Keys: [{ id: 1 }, { id: 2 }, { id: 3 }], ConsistentRead: true } } }, { Responses: { a: [{ id: 1 }] } })).toEqual({ rcu: 3, wcu: 0 });
    // A failed conditional put is charged as a write.
    expect(dynamoUnits('PutItem', { Item: { id: 1 } }, undefined)).toEqual({ rcu: 0, wcu: 1 });
  });

  it('adds and subtracts counts key by key', () => {
    fc.assert(
      fc.property(counts, counts, (a, b) => {
        const sum = sumCounts([a, b]);
        const own = (c: Record<string, number>, k: string) => (Object.hasOwn(c, k) ? (c[k] as number) : 0);
        for (const [k, v] of Object.entries(sum)) expect(v).toBe(own(a, k) + own(b, k));
        for (const [k, v] of Object.entries(diffCounts(a, sum))) expect(v).toBe(own(b, k));
      }),
    );
  });

  it('prints cumulative counts as a line the bench host reads back', () => {
    const lines: string[] = [];
    const counter = new UsageCounter();
    const stop = counter.report('functions', (line) => lines.push(line), 60_000);
    counter.add('append|lambda:Invoke');
    counter.add('append|dynamodb:WCU', 2);
    stop();
    expect(lines).toHaveLength(1);
    expect(parseUsageLine(`[functions] ${lines[0]}`)).toEqual({ source: 'functions', pid: process.pid, counts: { 'append|lambda:Invoke': 1, 'append|dynamodb:WCU': 2 } });
    expect(parseUsageLine('aws-usage {not json')).toBeUndefined();
  });

  it('reports per append without the bench probes and net of the idle background', () => {
    const total = {
      ops: 10,
      seconds: 2,
      counts: {
        'append|lambda:Invoke': 10,
        'append|dynamodb:PutItem': 10,
        'append|dynamodb:WCU': 10,
        'replicate|lambda:Invoke': 24,
        'secondary-list|dynamodb:Query': 50,
        'esm|sqs:ReceiveMessage': 30,
        'esm|sqs:EmptyReceive': 6,
        'esm|records': 24,
      },
    };
    const background = { seconds: 1, counts: { 'replicate|lambda:Invoke': 2 } };
    const a = awsPerAppend(total, background);
    expect(a.lambda).toEqual({ invocations: 3, byFunction: { append: 1, replicate: 2 } });
    expect(a.dynamodb).toMatchObject({ requests: 1, wcu: 1, byOperation: { PutItem: 1 } });
    expect(a.sqs.requests).toBe(3);
    expect(a.recordsPerBatch).toBe(1);
    expect(capacityModel(2, 1)).toEqual({ wcu: 6, sqs: 6, lambda: 3 });
  });
});
