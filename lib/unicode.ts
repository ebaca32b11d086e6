/**
 * Index of the first UTF-16 code unit in `s` that is half of a surrogate pair without its other
 * half (not valid Unicode, so not storable as UTF-8), or -1 when `s` is well-formed.
 */
export function loneSurrogateIndex(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    if (unit <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

/** `\uXXXX` for one UTF-16 code unit, as JSON would spell it. */
export function codeUnitEscape(unit: number): string {
  return `\\u${unit.toString(16).padStart(4, '0')}`;
}
