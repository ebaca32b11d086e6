import { readAppliedPrefix, raiseAppliedPrefix } from './adapters/control-table';
import type { LogTable } from './adapters/log-table';
import { extendPrefix, visiblePage, type LogPage } from './prefix-view';
import { MAX_PAGE, type Paging } from './validation';

/**
 * The highest id of `node`'s gap-free prefix. Starts from the recorded prefix (everything up to
 * it is known to be present), reads on while ids stay contiguous, and records any progress so the
 * next reader starts further on: a read costs a few items, not the whole log.
 */
export async function appliedPrefix(node: string, table: LogTable): Promise<number> {
  const recorded = await readAppliedPrefix(node);
  let applied = recorded;
  for (;;) {
    const entries = await table.query(applied, MAX_PAGE);
    const extended = extendPrefix(applied, entries.map((e) => e.id));
    const reachedGap = extended < (entries.at(-1)?.id ?? applied);
    applied = extended;
    if (reachedGap || entries.length < MAX_PAGE) break;
  }
  if (applied > recorded) await raiseAppliedPrefix(node, applied);
  return applied;
}

/** One page of `node`'s log as clients see it: the gap-free prefix, no-ops hidden. */
export async function readLogPage(node: string, table: LogTable, paging: Paging): Promise<LogPage> {
  // The prefix first, then the page: entries are never removed, so a page read afterwards holds
  // every id up to it. Read the other way round, an entry landing in between could be skipped.
  const applied = await appliedPrefix(node, table);
  if (applied <= paging.after) return { messages: [] };
  const scanned = await table.query(paging.after, paging.limit, applied);
  return visiblePage(scanned, applied, paging.limit);
}
