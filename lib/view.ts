import type { LogEntry } from './log-entry';
import type { LogTable } from './adapters/log-table';
import { masterTable } from './adapters/master-table';
import { secondaryTable } from './adapters/secondary-table';
import { getConfig } from './config';
import { getFaults } from './fault-injection';
import { readHealthReport } from './health-report';
import { appliedPrefix } from './log-reader';
import { MAX_PAGE } from './validation';
import { keepLast, tailReadStart, toViewEntries, type HealthView, type NodeView, type View } from './view-model';

/**
 * The last `tail` entries `table` holds, given that every id up to `applied` is present: read from
 * just below the prefix's last `tail` ids to the end (entries held beyond the prefix are few:
 * they wait for one missing id), keeping only the last `tail`.
 */
async function heldTail(table: LogTable, applied: number, tail: number): Promise<LogEntry[]> {
  let after = tailReadStart(applied, tail);
  let kept: LogEntry[] = [];
  for (;;) {
    const page = await table.query(after, MAX_PAGE);
    kept = keepLast([...kept, ...page], tail);
    const last = page.at(-1);
    if (page.length < MAX_PAGE || last === undefined) return kept;
    after = last.id;
  }
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
  const master = async (): Promise<NodeView> => ({
    name: 'master',
    role: 'master',
    applied: masterApplied,
    entries: toViewEntries(await heldTail(masterTable, masterApplied, tail), masterApplied),
  });
  const secondary = async (name: string): Promise<NodeView> => {
    const applied = health.secondaries[name]?.applied ?? -1;
    const [held, faults] = await Promise.all([heldTail(secondaryTable(name), applied, tail), getFaults(name)]);
    return { name, role: 'secondary', applied, entries: toViewEntries(held, applied), faults };
  };
  const nodes = await Promise.all([master(), ...secondaries.map(secondary)]);
  return { tail, at: new Date().toISOString(), nodes, health: healthView };
}
