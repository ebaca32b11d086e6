import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_MSG_BYTES_CEILING } from '../../lib/config';
import { decodeJob, encodeJob, MalformedJobError, SQS_MAX_MESSAGE_BYTES, worstCaseJobBytes } from '../../lib/job-codec';
import { messageText, textOfBytes, TRICKY_CHARS } from '../../scripts/checker/message-text';
import { thrownBy } from '../support/thrown';

/** The characters SQS accepts in a message body (its documented set). */
const SQS_BODY = /^[\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;
const anyMessage = fc.oneof(messageText({ maxBytes: 4096 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }));
const anyId = fc.maxSafeNat();

describe('replicate job encoding', () => {
  it('decodes to the identical message and id, for any text (property)', () => {
    fc.assert(
      fc.property(anyId, anyMessage, (id, msg) => {
        expect(decodeJob(encodeJob({ id, msg }))).toEqual({ id, msg });
      }),
    );
  });

  it.each(Object.entries(TRICKY_CHARS))('decodes a message of %s, alone and at either end of text, unchanged', (_, c) => {
    for (const msg of [c, `${c}text`, `text${c}`, c.repeat(3)]) expect(decodeJob(encodeJob({ id: 1, msg }))).toEqual({ id: 1, msg });
  });

  it('is plain ASCII, so both SQS and the emulator accept it (property)', () => {
    fc.assert(
      fc.property(anyId, anyMessage, (id, msg) => {
        const body = encodeJob({ id, msg });
        expect(body).toMatch(/^[\x20-\x7e]*$/);
        expect(body).toMatch(SQS_BODY);
      }),
    );
  });

  it('has a size set by the byte count alone: no character costs more than another (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2048 }), fc.constantFrom(1, 2, 3, 4) as fc.Arbitrary<1 | 2 | 3 | 4>, (bytes, width) => {
        const sizes = fc.sample(textOfBytes(bytes, [width]), 3).map((msg) => Buffer.byteLength(encodeJob({ id: 7, msg })));
        expect(new Set(sizes).size).toBe(1);
        expect(sizes[0]).toBe(Buffer.byteLength(encodeJob({ id: 7, msg: 'a'.repeat(bytes) })));
      }),
      { numRuns: 50 },
    );
  });

  it('fits one SQS message at the largest REPLOG_MAX_MSG_BYTES, however the text is made', () => {
    // Prepare: the widest id and the message whose JSON escaping would be the worst (controls).
    const widest = fc.sample(textOfBytes(MAX_MSG_BYTES_CEILING, [4]), 1)[0] as string;
    const controls = '\u0001'.repeat(MAX_MSG_BYTES_CEILING);

    // Act
    const sizes = [widest, controls].map((msg) => Buffer.byteLength(encodeJob({ id: Number.MAX_SAFE_INTEGER, msg })));

    // Assert
    expect(MAX_MSG_BYTES_CEILING).toBe(131072);
    expect(sizes).toEqual([worstCaseJobBytes(MAX_MSG_BYTES_CEILING), worstCaseJobBytes(MAX_MSG_BYTES_CEILING)]);
    expect(worstCaseJobBytes(MAX_MSG_BYTES_CEILING)).toBe(174_796);
    expect(worstCaseJobBytes(MAX_MSG_BYTES_CEILING)).toBeLessThan(SQS_MAX_MESSAGE_BYTES);
  });

  it('carries no-ops and heartbeats unchanged', () => {
    expect(decodeJob(encodeJob({ id: 3, noop: true }))).toEqual({ id: 3, noop: true });
    expect(decodeJob(encodeJob({ heartbeat: 1700000000000 }))).toEqual({ heartbeat: 1700000000000 });
  });

  it('still reads jobs queued in the old format, with msg as a JSON string', () => {
    expect(decodeJob(JSON.stringify({ id: 5, msg: 'queued before 🚀' }))).toEqual({ id: 5, msg: 'queued before 🚀' });
  });

  it('refuses to encode a lone surrogate rather than turn it into U+FFFD', () => {
    expect(thrownBy(() => encodeJob({ id: 1, msg: 'a\ud800' }))).toBeInstanceOf(TypeError);
  });

  it.each([
    ['not JSON', '{"id":1,', /not JSON/],
    ['no id', '{"m64":"YQ=="}', /no valid id/],
    ['a negative id', '{"id":-1,"m64":"YQ=="}', /no valid id/],
    ['no msg', '{"id":1}', /no msg/],
    ['m64 not base64', '{"id":1,"m64":"a!b="}', /not base64/],
    ['m64 with a bad length', '{"id":1,"m64":"YQ="}', /not base64/],
    ['m64 not UTF-8', `{"id":1,"m64":"${Buffer.from([0xff, 0xfe]).toString('base64')}"}`, /not UTF-8/],
    ['m64 holding an encoded lone surrogate', `{"id":1,"m64":"${Buffer.from([0xed, 0xa0, 0x80]).toString('base64')}"}`, /not UTF-8/],
  ])('refuses a job that is %s as malformed', (_, body, reason) => {
    const err = thrownBy(() => decodeJob(body));
    expect(err).toBeInstanceOf(MalformedJobError);
    expect((err as Error).message).toMatch(reason);
  });
});
