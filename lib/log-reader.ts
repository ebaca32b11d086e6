import { readAppliedPrefix, raiseAppliedPrefix } from './adapters/control-table';
import type { LogTable } from './adapters/log-table';
import { extendPrefix, PageBuilder, type LogPage } from './prefix-view';
import { RESPONSE_BUDGET_BYTES, responseBytes } from './response-size';
import type { Paging } from './validation';

/**
 * The highest id of `node`'s gap-free prefix. Starts from the recorded prefix (everything up to
 * it is known to be present), reads ids on (never the messages) while they stay contiguous, and
 * records any progress so the next reader starts further on: a read costs a few items, not the
 * whole log.
 */
export async function appliedPrefix(node: string, table: LogTable): Promise<number> {
  const recorded = await readAppliedPrefix(node);
  let applied = recorded;
  for await (const slots of table.slots({ after: recorded })) {
    const extended = extendPrefix(applied, slots.map((s) => s.id));
    const reachedGap = extended < (slots.at(-1)?.id ?? applied);
    applied = extended;
    if (reachedGap) break;
  }
  if (applied > recorded) await raiseAppliedPrefix(node, applied);
  return applied;
}

/**
 * One page of `node`'s log as clients see it: the gap-free prefix, no-ops hidden, cut by count
 * and by the bytes of the response (with `next` when more follows).
 */
export async function readLogPage(node: string, table: LogTable, paging: Paging): Promise<LogPage> {
  // The prefix first, then the page: entries are never removed, so a page read afterwards holds
  // every id up to it. Read the other way round, an entry landing in between could be skipped.
  const applied = await appliedPrefix(node, table);
  if (applied <= paging.after) return { messages: [] };
  const page = new PageBuilder(applied, paging.limit, RESPONSE_BUDGET_BYTES, responseBytes);
  for await (const entries of table.entries({ after: paging.after, upTo: applied, limit: paging.limit })) {
    if (!page.add(entries)) break;
  }
  return page.page();
}
