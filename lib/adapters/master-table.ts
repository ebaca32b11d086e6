import { getConfig } from '../config';
import { logTable } from './log-table';

/** The master's copy of the log: the source of truth every secondary converges to. */
export const masterTable = logTable(getConfig().tables.master);
