import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loneSurrogateIndex } from '../../lib/unicode';

const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
/** Any UTF-16 code unit, surrogates included: strings that may or may not be valid Unicode. */
const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 30 });

describe('loneSurrogateIndex', () => {
  it('finds a lone surrogate exactly when the string is not well-formed Unicode (property)', () => {
    fc.assert(
      fc.property(fc.oneof(anyUnits, fc.string({ unit: 'binary' })), (s) => {
        expect(loneSurrogateIndex(s) === -1).toBe(isWellFormed(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('points at the first lone half and nowhere else (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.nat(), (good, unit, at) => {
        const cut = [...good].slice(0, at % ([...good].length + 1)).join('');
        const s = cut + String.fromCharCode(unit) + 'x' + good;
        expect(loneSurrogateIndex(s)).toBe(cut.length);
      }),
    );
  });

  it.each([
    ['a high half at the end', 'ab\ud800', 2],
    ['a low half first', '\udc00ab', 0],
    ['two high halves', '\ud83d\ud83d\ude00', 0],
    ['a pair, then a lone low half', '\ud83d\ude00\ude00', 2],
  ])('%s', (_, s, at) => {
    expect(loneSurrogateIndex(s)).toBe(at);
  });
});
