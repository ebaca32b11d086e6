import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { BadRequestError, PayloadTooLargeError, ReplogError } from '../../lib/errors';
import { MAX_PAGE, parseAppendRequest, parseMessageId, parsePaging, type AppendLimits } from '../../lib/validation';
import { messageText, textOfBytes } from '../../scripts/checker/message-text';
import { thrownBy } from '../support/thrown';

/** Two secondaries (w may be 1..3) and a small limit so byte-boundary cases stay readable. */
const LIMITS: AppendLimits = { secondaries: 2, maxMsgBytes: 12 };


/** Asserts `act` throws exactly `type` with `status` and a message matching `message`. */
function expectRejected(act: () => unknown, type: typeof BadRequestError | typeof PayloadTooLargeError, status: number, message: RegExp): void {
  const err = thrownBy(act);
  expect(err).toBeInstanceOf(type);
  expect((err as ReplogError).statusCode).toBe(status);
  expect((err as ReplogError).message).toMatch(message);
}

/** Characters of 1, 2, 3 and 4 UTF-8 bytes, including ones JSON must escape. */
const multiByteChar = fc.constantFrom('a', ' ', '"', '\\', '\n', '\u0000', 'é', 'ß', '€', '中', '😀', '𝄞');
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const badRequest = (act: () => unknown, message: RegExp) => expectRejected(act, BadRequestError, 400, message);
const tooLarge = (act: () => unknown, message: RegExp) => expectRejected(act, PayloadTooLargeError, 413, message);
const append = (body: string | null | undefined, key?: string, limits: AppendLimits = LIMITS) => parseAppendRequest(body, key, limits);

describe('parseAppendRequest: well-formed requests', () => {
  it('defaults w to 1 (master only) when w is left out', () => {
    expect(append('{"msg":"hello"}')).toEqual({ msg: 'hello', w: 1 });
  });

  it('accepts every w from 1 to N+1 and returns it unchanged', () => {
    for (const w of [1, 2, 3]) {
      expect(append(JSON.stringify({ msg: 'm', w }))).toEqual({ msg: 'm', w });
    }
  });

  it('derives the upper bound of w from the number of secondaries', () => {
    const fiveSecondaries = { secondaries: 5, maxMsgBytes: 100 };

    expect(append('{"msg":"m","w":6}', undefined, fiveSecondaries).w).toBe(6);
    badRequest(() => append('{"msg":"m","w":7}', undefined, fiveSecondaries), /w must be an integer from 1 to 6/);
  });

  it('accepts w=1 as the only choice when no secondaries are configured', () => {
    const none = { secondaries: 0, maxMsgBytes: 100 };

    expect(append('{"msg":"m","w":1}', undefined, none).w).toBe(1);
    badRequest(() => append('{"msg":"m","w":2}', undefined, none), /from 1 to 1/);
  });

  it('keeps msg byte for byte, including whitespace, escapes and non-ASCII text', () => {
    const msg = '  grüße\n\t"😀"\\ ';
    expect(append(JSON.stringify({ msg }), undefined, { secondaries: 2, maxMsgBytes: 100 }).msg).toBe(msg);
  });

  it('passes a valid Idempotency-Key through and omits the field when no key is sent', () => {
    expect(append('{"msg":"m"}', 'key-1')).toEqual({ msg: 'm', w: 1, idempotencyKey: 'key-1' });
    expect(append('{"msg":"m"}')).not.toHaveProperty('idempotencyKey');
  });

  it('accepts an Idempotency-Key of exactly 255 characters', () => {
    const key = 'k'.repeat(255);
    expect(append('{"msg":"m"}', key).idempotencyKey).toBe(key);
  });

  it('accepts any non-empty msg within the byte limit and any w in 1..N+1 (property)', () => {
    fc.assert(
      fc.property(
        // Up to 3 characters of 1 to 4 bytes each, or up to 12 ASCII characters: never over 12 bytes.
        fc.oneof(fc.string({ minLength: 1, maxLength: 3, unit: multiByteChar }), fc.string({ minLength: 1, maxLength: 12 })),
        fc.option(fc.integer({ min: 1, max: LIMITS.secondaries + 1 }), { nil: undefined }),
        (msg, w) => {
          const result = append(JSON.stringify({ msg, w }));
          expect(result).toEqual({ msg, w: w ?? 1 });
        },
      ),
    );
  });
});

describe('parseAppendRequest: body that is missing or not a JSON object → 400', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['empty', ''],
    ['whitespace only', ' \n\t '],
  ])('rejects a %s body and shows the expected shape', (_, body) => {
    badRequest(() => append(body), /body is required.*"msg".*"w".*1\.\.3/);
  });

  it.each(['{', '{"msg": "a",}', "{'msg': 'a'}", 'msg=a', '{"msg": "a"} trailing', 'undefined'])('rejects invalid JSON %j', (body) => {
    badRequest(() => append(body), /not valid JSON/);
  });

  it.each(['null', '[]', '[{"msg":"a"}]', '42', '"hello"', 'true'])('rejects JSON %s, which is not an object', (body) => {
    badRequest(() => append(body), /must be a JSON object/);
  });
});

describe('parseAppendRequest: fields → 400', () => {
  it('names the one unknown field and lists the accepted ones', () => {
    badRequest(() => append('{"msg":"m","message":"x"}'), /unknown field "message": only "msg" and "w" are accepted/);
  });

  it('names every unknown field when there are several', () => {
    badRequest(() => append('{"msg":"m","a":1,"b":2}'), /unknown fields "a", "b"/);
  });

  it('treats "__proto__" in the body as an unknown field, not as a prototype', () => {
    badRequest(() => append('{"msg":"m","__proto__":{"w":9}}'), /unknown field "__proto__"/);
  });

  it('rejects an object with an unknown field even when msg is valid and w is missing', () => {
    badRequest(() => append('{"Msg":"m"}'), /unknown field "Msg"/);
  });

  it.each([
    ['missing', '{}'],
    ['missing beside w', '{"w":1}'],
    ['empty', '{"msg":""}'],
    ['null', '{"msg":null}'],
    ['a number', '{"msg":42}'],
    ['a boolean', '{"msg":true}'],
    ['an array', '{"msg":["a"]}'],
    ['an object', '{"msg":{"text":"a"}}'],
  ])('rejects msg that is %s', (_, body) => {
    badRequest(() => append(body), /msg must be a non-empty string/);
  });

  it.each([
    ['1.5', '1.5'],
    ['a numeric string', '"2"'],
    ['a boolean', 'true'],
    ['null', 'null'],
    ['an array', '[2]'],
    ['0', '0'],
    ['negative', '-1'],
    ['N+2', '4'],
    ['huge', '1e300'],
  ])('rejects w that is %s, stating the allowed range and the value sent', (_, w) => {
    const shown = JSON.stringify(JSON.parse(w));
    badRequest(() => append(`{"msg":"m","w":${w}}`), new RegExp(`w must be an integer from 1 to 3 .*got ${escapeRegExp(shown)}$`));
  });

  it('rejects any integer w outside 1..N+1 (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }),
        fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 2, max: 1_000_000 })),
        (secondaries, offset) => {
          // offset ≤ 0 lands at or below 0; offset ≥ 2 lands at N+2 or above.
          const w = offset <= 0 ? offset : secondaries + offset;
          badRequest(() => append(JSON.stringify({ msg: 'm', w }), undefined, { secondaries, maxMsgBytes: 10 }), /w must be an integer/);
        },
      ),
    );
  });

  it('rejects any non-integer number w (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -10, max: 10, noNaN: true }).filter((w) => !Number.isInteger(w)), (w) => {
        badRequest(() => append(JSON.stringify({ msg: 'm', w })), /w must be an integer/);
      }),
    );
  });
});

describe('parseAppendRequest: size limit measured in UTF-8 bytes → 413', () => {
  // maxMsgBytes is 12 in LIMITS.
  it.each([
    ['ASCII', 'a'.repeat(12), 'a'],
    ['2-byte characters', 'é'.repeat(6), 'a'],
    ['3-byte characters', '€'.repeat(4), 'a'],
    ['4-byte characters', '😀'.repeat(3), 'a'],
  ])('accepts a msg of %s filling exactly the limit and refuses one byte more', (_, exact, oneMore) => {
    expect(Buffer.byteLength(exact, 'utf8')).toBe(12);

    expect(append(JSON.stringify({ msg: exact })).msg).toBe(exact);
    tooLarge(() => append(JSON.stringify({ msg: exact + oneMore })), /msg is 13 bytes \(UTF-8\); the limit is 12/);
  });

  it('counts bytes, not UTF-16 code units or characters', () => {
    // 4 characters, 8 code units, 16 bytes: under 12 by either of the wrong measures.
    tooLarge(() => append(JSON.stringify({ msg: '😀😀😀😀' })), /msg is 16 bytes/);
    // 7 characters and code units, 14 bytes.
    tooLarge(() => append(JSON.stringify({ msg: 'ééééééé' })), /msg is 14 bytes/);
  });

  it('measures the decoded msg, not its JSON spelling: 12 bytes written as \\u escapes pass', () => {
    const escaped = `{"msg":"${'\\u0001'.repeat(12)}","w":3}`;

    expect(append(escaped)).toEqual({ msg: '\u0001'.repeat(12), w: 3 });
  });

  it('accepts a msg at the limit in the most expensive JSON spelling under the production limit', () => {
    const limits = { secondaries: 2, maxMsgBytes: 65536 };
    const body = `{ "msg" : "${'\\u0001'.repeat(65536)}" , "w" : 3 }`;

    expect(append(body, undefined, limits).msg).toHaveLength(65536);
  });

  it('refuses a body far larger than any acceptable request before parsing it', () => {
    // Not even valid JSON: the size check must come first, or this would be a 400.
    const huge = '{"msg":"' + 'a'.repeat(12 * 6 + 1024) + '"';

    tooLarge(() => append(huge), /request body is too large: msg may be at most 12 bytes/);
  });

  it('is exact at the limit for text of 1-, 2-, 3- and 4-byte characters, at any limit (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 140_000 }).chain((maxMsgBytes) => fc.tuple(fc.constant(maxMsgBytes), textOfBytes(maxMsgBytes))),
        fc.constantFrom(1, 2, 3, 4),
        ([maxMsgBytes, exact], extraWidth) => {
          // Prepare: the limit filled exactly; then one character more (of 1 to 4 bytes) past it.
          const limits = { secondaries: 2, maxMsgBytes };
          const over = exact + ['a', 'é', '€', '😀'][extraWidth - 1];
          expect(Buffer.byteLength(exact, 'utf8')).toBe(maxMsgBytes);

          // Act + Assert
          expect(append(JSON.stringify({ msg: exact }), undefined, limits).msg).toBe(exact);
          tooLarge(() => append(JSON.stringify({ msg: over }), undefined, limits), new RegExp(`msg is ${maxMsgBytes + extraWidth} bytes \\(UTF-8\\); the limit is ${maxMsgBytes}$`));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is exact at the limit in characters of one width each, one byte over refused (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3, 4) as fc.Arbitrary<1 | 2 | 3 | 4>, fc.integer({ min: 1, max: 4096 }), (width, chars) => {
        const maxMsgBytes = width * chars;
        const exact = fc.sample(textOfBytes(maxMsgBytes, [width]), 1)[0] as string;
        expect([...exact]).toHaveLength(chars);
        expect(append(JSON.stringify({ msg: exact }), undefined, { secondaries: 2, maxMsgBytes }).msg).toBe(exact);
        tooLarge(() => append(JSON.stringify({ msg: exact }), undefined, { secondaries: 2, maxMsgBytes: maxMsgBytes - 1 }), /the limit is/);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a msg over the limit with 413 even when w is also bad', () => {
    tooLarge(() => append(JSON.stringify({ msg: 'a'.repeat(13), w: 99 })), /13 bytes/);
  });
});

describe('parseAppendRequest: text that is not valid Unicode → 400', () => {
  const loneHalf = fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u));

  it('refuses a msg holding a lone surrogate and says where it is (property)', () => {
    fc.assert(
      fc.property(messageText({ maxBytes: 200 }), loneHalf, fc.nat(), (text, half, at) => {
        // Prepare: a lone half put between two whole characters (never next to its partner).
        const chars = [...text];
        const cut = chars.slice(0, at % (chars.length + 1)).join('');
        const msg = cut + half + 'x' + chars.slice(at % (chars.length + 1)).join('');

        // Act + Assert
        const code = `\\\\u${half.charCodeAt(0).toString(16)}`;
        badRequest(() => append(JSON.stringify({ msg }), undefined, { secondaries: 2, maxMsgBytes: 1000 }), new RegExp(`^msg is not valid Unicode: lone surrogate ${code} at index ${cut.length} `));
      }),
    );
  });

  it('refuses a lone surrogate spelled as a JSON escape, which JSON itself allows', () => {
    badRequest(() => append('{"msg":"rocket \\ud83d"}'), /msg is not valid Unicode: lone surrogate \\ud83d at index 7/);
  });

  it('accepts a surrogate pair spelled as JSON escapes', () => {
    expect(append('{"msg":"\\ud83d\\ude80"}').msg).toBe('🚀');
  });

  it('refuses an Idempotency-Key holding a lone surrogate', () => {
    badRequest(() => append('{"msg":"m"}', 'key-\udfff'), /Idempotency-Key is not valid Unicode: lone surrogate \\udfff at index 4/);
  });
});

describe('parseAppendRequest: Idempotency-Key → 400', () => {
  it('rejects an empty key', () => {
    badRequest(() => append('{"msg":"m"}', ''), /Idempotency-Key must be 1 to 255 characters/);
  });

  it('rejects a key of 256 characters', () => {
    badRequest(() => append('{"msg":"m"}', 'k'.repeat(256)), /Idempotency-Key must be 1 to 255 characters/);
  });
});

describe('parsePaging', () => {
  it('defaults to the start of the log and a full page', () => {
    expect(parsePaging(undefined)).toEqual({ after: -1, limit: 1000 });
    expect(parsePaging(null)).toEqual({ after: -1, limit: 1000 });
    expect(parsePaging({})).toEqual({ after: -1, limit: 1000 });
    expect(MAX_PAGE).toBe(1000);
  });

  it('reads after and limit as integers', () => {
    expect(parsePaging({ after: '41', limit: '7' })).toEqual({ after: 41, limit: 7 });
  });

  it('accepts the bounds: after=-1, limit=1 and limit=1000', () => {
    expect(parsePaging({ after: '-1' }).after).toBe(-1);
    expect(parsePaging({ limit: '1' }).limit).toBe(1);
    expect(parsePaging({ limit: '1000' }).limit).toBe(1000);
  });

  it('accepts the largest safe integer as after', () => {
    expect(parsePaging({ after: String(Number.MAX_SAFE_INTEGER) }).after).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each(['0', '-1', '1001', '1.5', '1e3', 'ten', '', ' 5', '5 ', '+5', '0x10'])('rejects limit=%j, stating the range', (limit) => {
    badRequest(() => parsePaging({ limit }), new RegExp(`limit must be an integer from 1 to 1000, got "${escapeRegExp(limit)}"`));
  });

  it.each(['-2', '1.5', 'abc', '', '9007199254740992', '99999999999999999999'])('rejects after=%j', (after) => {
    badRequest(() => parsePaging({ after }), /after must be an integer from -1 to/);
  });

  it('accepts every limit in 1..1000 and rejects every integer outside it (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), (n) => {
        if (n >= 1 && n <= 1000) expect(parsePaging({ limit: String(n) }).limit).toBe(n);
        else badRequest(() => parsePaging({ limit: String(n) }), /limit must be/);
      }),
    );
  });
});

describe('parseMessageId', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
  ])('reads %j as %d', (raw, id) => {
    expect(parseMessageId(raw)).toBe(id);
  });

  it('rejects a missing id', () => {
    badRequest(() => parseMessageId(undefined), /message id is required/);
  });

  it.each(['-1', '1.0', 'abc', '', '0x1', '1e2', '9007199254740992'])('rejects %j as a message id', (raw) => {
    badRequest(() => parseMessageId(raw), /message id must be an integer from 0 to/);
  });

  it('round-trips every non-negative safe integer (property)', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (id) => {
        expect(parseMessageId(String(id))).toBe(id);
      }),
    );
  });
});
