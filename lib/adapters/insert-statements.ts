// The pure part of conditional inserts (conditional-insert.ts): PartiQL statements, and what
// DynamoDB's answer to each statement means.

/** One item to write unless its key is taken. */
export interface Insert {
  table: string;
  item: Record<string, unknown>;
}

/** `inserted`: this call wrote it; `exists`: the key was taken (the item there is left as it was). */
export type InsertOutcome = 'inserted' | 'exists' | { failed: string };

// DynamoDB's BatchExecuteStatement limit: 25 statements a request.
export const STATEMENTS_PER_REQUEST = 25;

/** The PartiQL of an insert: `INSERT INTO "t" VALUE {'a': ?, 'b': ?}` and its parameters, in one order. */
export function insertStatement({ table, item }: Insert): { Statement: string; Parameters: unknown[] } {
  const names = Object.keys(item).filter((k) => item[k] !== undefined);
  return {
    Statement: `INSERT INTO "${table}" VALUE {${names.map((n) => `'${n}': ?`).join(', ')}}`,
    Parameters: names.map((n) => item[n]),
  };
}

/**
 * What one statement's answer means. DuplicateItem: the key was taken, which for an insert is an
 * answer, not an error. Throttling and transient errors are tried again (as BatchWriteItem's
 * unprocessed items are); anything else (a validation error, access denied) fails that item.
 */
export function classifyStatement(error: { Code?: string; Message?: string } | undefined): InsertOutcome | 'retry' {
  if (!error) return 'inserted';
  switch (error.Code) {
    case 'DuplicateItem':
      return 'exists';
    case 'ProvisionedThroughputExceeded':
    case 'ThrottlingError':
    case 'RequestLimitExceeded':
    case 'InternalServerError':
    case 'TransactionConflict':
      return 'retry';
    default:
      return { failed: `${error.Code ?? 'error'}: ${error.Message ?? 'statement failed'}` };
  }
}
