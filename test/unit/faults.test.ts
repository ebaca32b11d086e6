import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { BadRequestError } from '../../lib/errors';
import { applyFaultsPatch, NO_FAULTS, parseFaultsPatch, type Faults } from '../../lib/faults';
import { thrownBy } from '../support/thrown';


/** Asserts the body is refused with a 400 whose message matches `message`. */
function badRequest(body: string | null, message: RegExp): void {
  const err = thrownBy(() => parseFaultsPatch(body));
  expect(err, `body ${JSON.stringify(body)}`).toBeInstanceOf(BadRequestError);
  expect((err as BadRequestError).statusCode).toBe(400);
  expect((err as BadRequestError).message, `body ${JSON.stringify(body)}`).toMatch(message);
}

const faults = fc.record({
  down: fc.boolean(),
  delayMs: fc.integer({ min: 0, max: 60_000 }),
  errorRate: fc.double({ min: 0, max: 1, noNaN: true }),
});
const patch = fc.record(
  { down: fc.boolean(), delayMs: fc.integer({ min: 0, max: 60_000 }), errorRate: fc.double({ min: 0, max: 1, noNaN: true }) },
  { requiredKeys: [] },
);

describe('parseFaultsPatch: valid bodies', () => {
  it.each([
    ['an empty object changes nothing', '{}', {}],
    ['down alone', '{"down": true}', { down: true }],
    ['down false ("start" the node)', '{"down": false}', { down: false }],
    ['delayMs alone', '{"delayMs": 200}', { delayMs: 200 }],
    ['errorRate alone', '{"errorRate": 0.5}', { errorRate: 0.5 }],
    ['all three', '{"down": false, "delayMs": 0, "errorRate": 0}', { down: false, delayMs: 0, errorRate: 0 }],
    ['delayMs at its bounds (0)', '{"delayMs": 0}', { delayMs: 0 }],
    ['delayMs at its bounds (60000)', '{"delayMs": 60000}', { delayMs: 60000 }],
    ['errorRate at its bounds (0)', '{"errorRate": 0}', { errorRate: 0 }],
    ['errorRate at its bounds (1)', '{"errorRate": 1}', { errorRate: 1 }],
    ['a whole number written with a fraction or exponent', '{"delayMs": 2.0e2}', { delayMs: 200 }],
    ['surrounding whitespace', '  \n{"down": true}\n ', { down: true }],
  ])('accepts %s', (_, body, expected) => {
    expect(parseFaultsPatch(body)).toEqual(expected);
  });

  it('returns only the fields that were sent, so the rest keep their value', () => {
    const parsed = parseFaultsPatch('{"delayMs": 100}');

    expect(Object.keys(parsed)).toEqual(['delayMs']);
  });

  it('accepts every partial body within the limits and returns it as sent (property)', () => {
    fc.assert(
      fc.property(patch, (p) => {
        expect(parseFaultsPatch(JSON.stringify(p))).toEqual(p);
      }),
    );
  });
});

describe('parseFaultsPatch: invalid bodies are refused with 400 and a reason', () => {
  it.each([
    ['no body', null],
    ['an empty body', ''],
    ['truncated JSON', '{"down": true'],
    ['not JSON at all', 'down=true'],
    ['single-quoted pseudo-JSON', "{'down': true}"],
    ['NaN, which JSON cannot carry', '{"errorRate": NaN}'],
  ])('refuses %s as not JSON', (_, body) => {
    badRequest(body, /must be JSON/);
  });

  it.each([
    ['null', 'null'],
    ['an array', '[]'],
    ['an array of a patch', '[{"down": true}]'],
    ['a string', '"down"'],
    ['a number', '1'],
    ['a boolean', 'true'],
  ])('refuses %s as not a JSON object', (_, body) => {
    badRequest(body, /must be a JSON object/);
  });

  it.each([
    ['a misspelt field', '{"delay": 100}', 'delay'],
    ['a field next to valid ones', '{"down": true, "ttl": 1}', 'ttl'],
    ['a field differing only in case', '{"Down": true}', 'Down'],
    ['__proto__', '{"__proto__": {"down": true}}', '__proto__'],
    ['constructor', '{"constructor": 1}', 'constructor'],
  ])('refuses %s, naming it and the accepted fields', (_, body, field) => {
    badRequest(body, new RegExp(`unknown field "${field}".*"down", "delayMs" and "errorRate"`));
  });

  it.each([
    ['a string', '{"down": "true"}'],
    ['a number', '{"down": 1}'],
    ['null', '{"down": null}'],
    ['an object', '{"down": {}}'],
  ])('refuses down as %s: it must be a boolean', (_, body) => {
    badRequest(body, /down must be true or false/);
  });

  it.each([
    ['negative', '{"delayMs": -1}'],
    ['fractional', '{"delayMs": 1.5}'],
    ['above the 60 s limit', '{"delayMs": 60001}'],
    ['huge', '{"delayMs": 1e300}'],
    ['infinite (overflowing JSON number)', '{"delayMs": 1e400}'],
    ['a numeric string', '{"delayMs": "100"}'],
    ['null', '{"delayMs": null}'],
    ['a boolean', '{"delayMs": true}'],
  ])('refuses delayMs %s', (_, body) => {
    badRequest(body, /delayMs must be an integer from 0 to 60000/);
  });

  it.each([
    ['negative', '{"errorRate": -0.1}'],
    ['above 1', '{"errorRate": 1.0001}'],
    ['a percentage', '{"errorRate": 50}'],
    ['infinite (overflowing JSON number)', '{"errorRate": 1e400}'],
    ['negative infinite', '{"errorRate": -1e400}'],
    ['a numeric string', '{"errorRate": "0.5"}'],
    ['the string "NaN"', '{"errorRate": "NaN"}'],
    ['null (what JSON.stringify makes of NaN)', '{"errorRate": null}'],
    ['a boolean', '{"errorRate": false}'],
  ])('refuses errorRate %s', (_, body) => {
    badRequest(body, /errorRate must be a number from 0 to 1/);
  });

  it('refuses a body whose NaN was serialised by JSON.stringify', () => {
    badRequest(JSON.stringify({ errorRate: Number.NaN }), /errorRate must be a number from 0 to 1/);
  });

  it('refuses any delayMs outside 0..60000 or not whole, and any errorRate outside 0..1 (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ max: -1 }).map((delayMs) => ({ delayMs })),
          fc.integer({ min: 60_001 }).map((delayMs) => ({ delayMs })),
          fc.double({ min: 0, max: 60_000, noNaN: true }).filter((d) => !Number.isInteger(d)).map((delayMs) => ({ delayMs })),
          fc.double({ noNaN: true }).filter((r) => r < 0 || r > 1).map((errorRate) => ({ errorRate })),
        ),
        (bad) => {
          expect(() => parseFaultsPatch(JSON.stringify(bad))).toThrow(BadRequestError);
        },
      ),
    );
  });
});

describe('applyFaultsPatch', () => {
  const current: Faults = { down: true, delayMs: 200, errorRate: 0.5 };

  it('keeps every field when the patch is empty', () => {
    expect(applyFaultsPatch(current, {})).toEqual(current);
  });

  it('changes only the fields in the patch', () => {
    expect(applyFaultsPatch(current, { down: false })).toEqual({ down: false, delayMs: 200, errorRate: 0.5 });
    expect(applyFaultsPatch(current, { delayMs: 0 })).toEqual({ down: true, delayMs: 0, errorRate: 0.5 });
    expect(applyFaultsPatch(current, { errorRate: 0 })).toEqual({ down: true, delayMs: 200, errorRate: 0 });
  });

  it('sets falsy values (false, 0) rather than ignoring them', () => {
    expect(applyFaultsPatch(current, { down: false, delayMs: 0, errorRate: 0 })).toEqual(NO_FAULTS);
  });

  it('leaves the current faults and NO_FAULTS untouched', () => {
    const before = { ...current };

    applyFaultsPatch(current, { down: false });
    applyFaultsPatch(NO_FAULTS, { down: true });

    expect(current).toEqual(before);
    expect(NO_FAULTS).toEqual({ down: false, delayMs: 0, errorRate: 0 });
  });

  it('takes each field from the patch when sent and from the current faults otherwise (property)', () => {
    fc.assert(
      fc.property(faults, patch, (cur, p) => {
        const next = applyFaultsPatch(cur, p);

        expect(next).toEqual({
          down: 'down' in p ? p.down : cur.down,
          delayMs: 'delayMs' in p ? p.delayMs : cur.delayMs,
          errorRate: 'errorRate' in p ? p.errorRate : cur.errorRate,
        });
      }),
    );
  });

  it('applying a parsed body twice is the same as applying it once (property)', () => {
    fc.assert(
      fc.property(faults, patch, (cur, p) => {
        const parsed = parseFaultsPatch(JSON.stringify(p));
        const once = applyFaultsPatch(cur, parsed);

        expect(applyFaultsPatch(once, parsed)).toEqual(once);
      }),
    );
  });
});
