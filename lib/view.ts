import type { LogEntry } from './log-entry';
import type { LogTable } from './adapters/log-table';
import { masterTable } from './adapters/master-table';
import { secondaryTable } from './adapters/secondary-table';
import { getConfig } from './config';
import { getFaults } from './fault-injection';
import { readHealthReport } from './health-report';
import { appliedPrefix } from './log-reader';
import { RESPONSE_BUDGET_BYTES, responseBytes } from './response-size';
import { TailBuilder, tailReadStart, toViewEntries, type HealthView, type NodeView, type View } from './view-model';

/**
 * The last `tail` entries `table` holds, given that every id up to `applied` is present: read
 * newest first from the top down to just below the prefix's last `tail` ids (entries held beyond
 * the prefix are few: they wait for one missing id), within `maxBytes` of the response.
 */
async function heldTail(table: LogTable, applied: number, tail: number, maxBytes: number): Promise<{ entries: LogEntry[]; truncated: boolean }> {
  const builder = new TailBuilder(tail, maxBytes, (e) => (e.noop ? 0 : responseBytes({ id: e.id, msg: e.msg, visible: true })));
  for await (const entries of table.entries({ after: tailReadStart(applied, tail), newestFirst: true, limit: tail })) {
    if (!builder.add(entries)) break;
  }
  return { entries: builder.entries(), truncated: builder.truncated };
}

/** A node's part of the view: its entries as shown, and whether some were left out for size. */
function nodeEntries(held: { entries: LogEntry[]; truncated: boolean }, applied: number): Pick<NodeView, 'entries' | 'truncated'> {
  return { entries: toViewEntries(held.entries, applied), ...(held.truncated ? { truncated: true as const } : {}) };
}

/**
 * GET /view: for the master and each secondary, its applied prefix and its last `tail` held
 * entries (visible up to the prefix, held beyond it), plus the /health report, in one call.
 * A down secondary's table is still read: the view shows what it holds, not what it serves.
 */
export async function readView(tail: number): Promise<View> {
  const { secondaries } = getConfig();
  // Each prefix is read before the entries above it: entries are never removed, so every id up
  // to it is in the page read afterwards (the order log-reader.ts keeps for lists).
  const [health, masterApplied] = await Promise.all([readHealthReport(), appliedPrefix('master', masterTable)]);
  // Assigning checks at compile time that /health and the page's copy of its shape agree.
  const healthView: HealthView = health;
  // Every node gets an equal share of the response, whatever the others hold.
  const share = Math.floor(RESPONSE_BUDGET_BYTES / (secondaries.length + 1));
  const master = async (): Promise<NodeView> => ({
    name: 'master',
    role: 'master',
    applied: masterApplied,
    ...nodeEntries(await heldTail(masterTable, masterApplied, tail, share), masterApplied),
  });
  const secondary = async (name: string): Promise<NodeView> => {
    const applied = health.secondaries[name]?.applied ?? -1;
    const [held, faults] = await Promise.all([heldTail(secondaryTable(name), applied, tail, share), getFaults(name)]);
    return { name, role: 'secondary', applied, ...nodeEntries(held, applied), faults };
  };
  const nodes = await Promise.all([master(), ...secondaries.map(secondary)]);
  return { tail, at: new Date().toISOString(), nodes, health: healthView };
}
