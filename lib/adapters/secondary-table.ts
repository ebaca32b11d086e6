import { getConfig } from '../config';
import { NotFoundError } from '../errors';
import { logTable, type LogTable } from './log-table';

const { tables } = getConfig();
const bySecondary = new Map<string, LogTable>(Object.entries(tables.secondaries).map(([name, table]) => [name, logTable(table)]));

/** The log table of one secondary; NotFoundError for a name that is not configured. */
export function secondaryTable(name: string): LogTable {
  const table = bySecondary.get(name);
  if (!table) throw new NotFoundError(`no secondary named "${name}"; configured: ${[...bySecondary.keys()].join(', ')}`);
  return table;
}
