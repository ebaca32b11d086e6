/**
 * An API Gateway key value as the CLI and the page accept it: 20 to 128 printable ASCII
 * characters, no blanks (what API Gateway generates and allows).
 */
export function isApiKey(value: string): boolean {
  return /^[\x21-\x7e]{20,128}$/.test(value);
}
