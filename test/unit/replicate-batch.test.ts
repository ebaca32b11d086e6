import type { SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyStatement, insertStatement, STATEMENTS_PER_REQUEST, type InsertOutcome } from '../../lib/adapters/insert-statements';
import { chunks } from '../../lib/batches';
import { encodeJob } from '../../lib/job-codec';
import { jobOutcome, parseRecord, recordFailures, type JobOutcome } from '../../lib/replicate-outcome';

const insertOutcome: fc.Arbitrary<InsertOutcome> = fc.oneof(fc.constant('inserted' as const), fc.constant('exists' as const), fc.string().map((failed) => ({ failed })));

function record(body: string, messageId: string): SQSRecord {
  return { messageId, receiptHandle: `r-${messageId}`, body, attributes: {} as SQSRecord['attributes'], messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q', awsRegion: 'us-east-1' };
}

// A batch as a queue may deliver it: jobs (ids may repeat), heartbeats, bodies that are not jobs.
const batch = fc
  .array(
    fc.oneof(
      fc.record({ id: fc.nat({ max: 20 }), msg: fc.string({ unit: 'grapheme' }) }).map((j) => encodeJob(j)),
      fc.nat().map((t) => encodeJob({ heartbeat: t })),
      fc.constantFrom('not json', '{"id": -1, "msg": "x"}', '{}'),
    ),
    { maxLength: 10 },
  )
  .map((bodies) => bodies.map((b, i) => parseRecord(record(b, `m${i}`))));

describe('replicate batch: conditional inserts', () => {
  it('cuts statements into requests of at most 25, in order, nothing lost', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 200 }), fc.integer({ min: 1, max: 30 }), (items, size) => {
        const slices = chunks(items, size);
        expect(slices.flat()).toEqual(items);
        for (const s of slices) expect(s.length).toBeGreaterThan(0);
        for (const s of slices.slice(0, -1)) expect(s).toHaveLength(size);
      }),
    );
    expect(STATEMENTS_PER_REQUEST).toBe(25);
  });

  it('names each attribute once with its parameter in the same place, leaving out undefined ones', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('log', 'id', 'msg', 'noop', 'at', 'node', 'expiresAt'), fc.option(fc.oneof(fc.string(), fc.integer(), fc.boolean()), { nil: undefined })), (item) => {
        const { Statement, Parameters } = insertStatement({ table: 'replog-local-acks', item });
        const names = [...Statement.matchAll(/'([^']+)': \?/g)].map((m) => m[1]);
        const defined = Object.keys(item).filter((k) => item[k] !== undefined);
        expect(Statement.startsWith('INSERT INTO "replog-local-acks" VALUE {')).toBe(true);
        expect(names).toEqual(defined);
        expect(Parameters).toEqual(defined.map((k) => item[k]));
      }),
    );
  });

  it('reads a taken key as an answer, retries throttling, and fails anything else', () => {
    expect(classifyStatement(undefined)).toBe('inserted');
    expect(classifyStatement({ Code: 'DuplicateItem', Message: 'Duplicate primary key exists in table' })).toBe('exists');
    for (const Code of ['ProvisionedThroughputExceeded', 'ThrottlingError', 'RequestLimitExceeded', 'InternalServerError', 'TransactionConflict']) expect(classifyStatement({ Code })).toBe('retry');
    expect(classifyStatement({ Code: 'ValidationError', Message: 'Item size has exceeded the maximum allowed size' })).toEqual({ failed: 'ValidationError: Item size has exceeded the maximum allowed size' });
  });
});

describe('replicate batch: which records go back to the queue', () => {
  it('counts a job only when its entry is held and its ack written', () => {
    fc.assert(
      fc.property(insertOutcome, fc.option(insertOutcome, { nil: undefined }), (entry, ack) => {
        const outcome = jobOutcome(entry, ack);
        const held = typeof entry === 'string' && typeof ack === 'string';
        expect(typeof outcome === 'string').toBe(held);
        if (held) expect(outcome).toBe(entry === 'inserted' ? 'stored' : 'duplicate');
      }),
    );
  });

  it('retries exactly the jobs not held or failed after storing; never a heartbeat or a malformed job', () => {
    fc.assert(
      fc.property(batch, fc.array(insertOutcome, { minLength: 21, maxLength: 21 }), fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }), (parsed, byId, draws) => {
        const outcomes = new Map<number, JobOutcome>(byId.map((o, id) => [id, jobOutcome(o, 'inserted')]));
        let drawn = 0;
        const failures = recordFailures(parsed, outcomes, undefined, () => draws[drawn++] ?? false);
        let expectedDraws = 0;
        parsed.forEach((p, i) => {
          if (p.kind !== 'job') return expect(failures[i]).toBeUndefined();
          const o = outcomes.get(p.job.id) as JobOutcome;
          if (typeof o === 'object') return expect(failures[i]).toEqual({ injected: false, reason: o.failed });
          const injected = draws[expectedDraws++] ?? false;
          expect(failures[i]).toEqual(injected ? { injected: true, reason: 'injected failure after storing' } : undefined);
        });
        expect(drawn).toBe(expectedDraws);
      }),
    );
  });

  it('retries every job of a batch that failed as a whole (a down secondary), and nothing else', () => {
    fc.assert(
      fc.property(batch, (parsed) => {
        const down = { injected: true, reason: 'secondary s1 is down' };
        const failures = recordFailures(parsed, new Map(), down, () => false);
        parsed.forEach((p, i) => expect(failures[i]).toEqual(p.kind === 'job' ? down : undefined));
      }),
    );
  });
});
