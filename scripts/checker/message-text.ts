/**
 * Generated message text over the whole of Unicode, for the property tests and the fault checker
 * alike: what a user may type (emoji, other scripts, combining and bidi marks, whitespace only)
 * and what a client may send that no user types (controls, noncharacters such as U+FFFE/U+FFFF,
 * U+2028/2029, a BOM, characters JSON and SQS treat specially). Never a lone surrogate: api.md
 * refuses those with 400, and the tests of that generate them on purpose.
 */
import fc from 'fast-check';

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Characters that broke, or could break, something between a client and a list: each by name. */
export const TRICKY_CHARS: Readonly<Record<string, string>> = {
  nul: '\u0000',
  bell: '\u0007',
  tab: '\t',
  newline: '\n',
  'carriage return': '\r',
  escape: '\u001b',
  delete: '\u007f',
  'quotation mark': '"',
  backslash: '\\',
  'next line (C1)': '\u0085',
  'no-break space': '\u00a0',
  'combining acute accent': '\u0301',
  'arabic letter mark': '\u061c',
  'zero width joiner': '\u200d',
  'left-to-right mark': '\u200e',
  'right-to-left mark': '\u200f',
  'line separator': '\u2028',
  'paragraph separator': '\u2029',
  'right-to-left override': '\u202e',
  'first strong isolate': '\u2068',
  'ideographic space': '\u3000',
  'noncharacter U+FDD0': '\ufdd0',
  'byte order mark': '\ufeff',
  'replacement character': '\ufffd',
  'noncharacter U+FFFE': '\ufffe',
  'noncharacter U+FFFF': '\uffff',
  'first astral U+10000': '\u{10000}',
  'musical symbol G clef': '\u{1d11e}',
  rocket: '\u{1f680}',
  'grinning face': '\u{1f600}',
  'noncharacter U+1FFFE': '\u{1fffe}',
  'last code point U+10FFFF': '\u{10ffff}',
};

const tricky = fc.constantFrom(...Object.values(TRICKY_CHARS));

const codePointIn = (min: number, max: number) =>
  fc
    .integer({ min, max })
    .filter((cp) => cp < 0xd800 || cp > 0xdfff)
    .map((cp) => String.fromCodePoint(cp));

/** One character of exactly `width` UTF-8 bytes (1–4), sometimes a tricky one of that width. */
export function charOfWidth(width: 1 | 2 | 3 | 4): fc.Arbitrary<string> {
  const ranges = { 1: [0x00, 0x7f], 2: [0x80, 0x7ff], 3: [0x800, 0xffff], 4: [0x10000, 0x10ffff] } as const;
  const [min, max] = ranges[width];
  const sameWidth = Object.values(TRICKY_CHARS).filter((c) => utf8Bytes(c) === width);
  return fc.oneof({ arbitrary: codePointIn(min, max), weight: 3 }, { arbitrary: fc.constantFrom(...sameWidth), weight: 1 });
}

const anyWidth = fc.oneof(charOfWidth(1), charOfWidth(2), charOfWidth(3), charOfWidth(4));

/**
 * Text of exactly `bytes` UTF-8 bytes, built from characters of the given widths: a short drawn
 * run repeated to the length (long texts stay cheap to draw), the last few bytes filled with
 * characters narrow enough to land exactly.
 */
export function textOfBytes(bytes: number, widths: ReadonlyArray<1 | 2 | 3 | 4> = [1, 2, 3, 4]): fc.Arbitrary<string> {
  const unit = fc.oneof(...widths.map((w) => charOfWidth(w)));
  return fc.tuple(fc.array(unit, { minLength: 1, maxLength: 24 }), charOfWidth(1), charOfWidth(2), charOfWidth(3)).map(([run, one, two, three]) => {
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; ; i = (i + 1) % run.length) {
      const c = run[i] as string;
      if (size + utf8Bytes(c) > bytes) break;
      parts.push(c);
      size += utf8Bytes(c);
      if (size === bytes) break;
    }
    // What is left (0–3 bytes) takes one character of that width, or ASCII.
    const rest = bytes - size;
    parts.push(rest === 3 ? three : rest === 2 ? two : one.repeat(rest));
    return parts.join('');
  });
}

/** Whitespace only, in its many spellings: a list must show it, not drop or trim it. */
const whitespaceOnly = fc.string({
  unit: fc.constantFrom(' ', '\t', '\n', '\r', '\u000b', '\u000c', '\u0085', '\u00a0', '\u1680', '\u2003', '\u2028', '\u2029', '\u202f', '\u3000', '\ufeff'),
  minLength: 1,
  maxLength: 12,
});

/** A base letter under a pile of combining marks, a ZWJ emoji family, a flag, bidi-isolated text. */
const composed = fc.oneof(
  fc.tuple(fc.constantFrom('a', 'Z', 'ж', 'ع'), fc.string({ unit: codePointIn(0x300, 0x36f), minLength: 1, maxLength: 30 })).map(([b, marks]) => b + marks),
  fc.constant('\u{1f468}\u200d\u{1f469}\u200d\u{1f467}\u200d\u{1f466}'),
  fc.constant('\u{1f1fa}\u{1f1e6}'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }).map((s) => `\u2067${s}\u2069 \u202eabc\u202c`),
);

/** Cuts `text` to at most `maxBytes` UTF-8 bytes at a code point boundary (never splitting a pair). */
export function fitBytes(text: string, maxBytes: number): string {
  let out = '';
  let size = 0;
  for (const c of text) {
    size += utf8Bytes(c);
    if (size > maxBytes) break;
    out += c;
  }
  return out;
}

export interface MessageTextOptions {
  /** The largest message, in UTF-8 bytes (the server's REPLOG_MAX_MSG_BYTES or less). */
  maxBytes: number;
  /** Longest of the short texts (most draws); the byte-limit draws reach maxBytes regardless. */
  maxLength?: number;
}

/**
 * Any message api.md accepts: non-empty, well-formed Unicode, at most `maxBytes`. Mostly short
 * mixed text; some whitespace-only or composed; some exactly `maxBytes` of 4-byte characters (or
 * of mixed widths) — the byte limit in the widest characters.
 */
export function messageText({ maxBytes, maxLength = 40 }: MessageTextOptions): fc.Arbitrary<string> {
  const short = (unit: fc.Arbitrary<string>) => fc.string({ unit, minLength: 1, maxLength });
  return fc
    .oneof(
      { arbitrary: short(fc.oneof({ arbitrary: tricky, weight: 1 }, { arbitrary: anyWidth, weight: 2 })), weight: 6 },
      { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength }), weight: 3 },
      { arbitrary: short(fc.oneof(tricky, composed, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }))), weight: 3 },
      { arbitrary: whitespaceOnly, weight: 1 },
      { arbitrary: textOfBytes(maxBytes - (maxBytes % 4), [4]).map((t) => t + 'a'.repeat(maxBytes % 4)), weight: 1 },
      { arbitrary: fc.integer({ min: 1, max: maxBytes }).chain((n) => textOfBytes(n)), weight: 1 },
    )
    .map((t) => fitBytes(t, maxBytes))
    .filter((t) => t.length > 0);
}

/** `count` messages drawn from `messageText` by `seed`: the same seed gives the same messages. */
export function sampleMessages(seed: number, count: number, options: MessageTextOptions): string[] {
  return fc.sample(messageText(options), { seed, numRuns: count });
}
