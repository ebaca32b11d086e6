import { assertKnownSecondary, getConfig } from '../config';
import { logTable, type LogTable } from './log-table';

const { tables } = getConfig();
const bySecondary = new Map<string, LogTable>(Object.entries(tables.secondaries).map(([name, table]) => [name, logTable(table)]));

/** The log table of one secondary; NotFoundError for a name that is not configured. */
export function secondaryTable(name: string): LogTable {
  assertKnownSecondary(name);
  return bySecondary.get(name) as LogTable;
}
