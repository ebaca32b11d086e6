// Checks of the command line done before anything is sent; commander turns a failure into a usage error (exit 2).
import { InvalidArgumentError } from 'commander';
import { isApiKey } from '../lib/api-key';

/** An integer ≥ min, written as plain digits ("1.5", "1e3", "" and "-1" are refused). */
export function integer(what: string, min: number) {
  return (raw: string): number => {
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min) throw new InvalidArgumentError(`${what} must be an integer ≥ ${min}.`);
    return value;
  };
}

/** A share from 0 to 1 ("0", "0.25", ".5", "1"). */
export function rate(raw: string): number {
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 0 && value <= 1)) throw new InvalidArgumentError('the error rate must be a number from 0 to 1.');
  return value;
}

/** Sent as an HTTP header: printable ASCII, no blanks at either end (HTTP would trim them), 1..255 characters. */
export function idempotencyKey(raw: string): string {
  if (!/^[\x21-\x7e]([\x20-\x7e]{0,253}[\x21-\x7e])?$/.test(raw)) {
    throw new InvalidArgumentError('the key must be 1 to 255 printable ASCII characters, not starting or ending with a blank.');
  }
  return raw;
}

/** An API Gateway key as sent in x-api-key: 20 to 128 printable ASCII characters, no blanks. */
export function apiKey(raw: string): string {
  if (!isApiKey(raw)) {
    throw new InvalidArgumentError('the API key must be 20 to 128 printable ASCII characters without blanks (as `npx serverless info` prints it).');
  }
  return raw;
}

export function nonEmpty(what: string) {
  return (raw: string): string => {
    if (raw.trim() === '') throw new InvalidArgumentError(`${what} must not be empty.`);
    return raw;
  };
}
