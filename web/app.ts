// The live web view's script: polls GET /view, renders one column per node, appends through a
// form and drives the fault-injection API where the stage has it. Bundled for the browser by
// web/esbuild-plugin.js and inlined into the page served by functions/web.ts. No framework: the
// DOM is built once per node and updated in place, so focus and half-typed input survive polls.
import {
  apiKeyPrompt,
  apiPath,
  columnRows,
  describeCadence,
  describeAppend,
  describeFaults,
  formatDuration,
  healthBadge,
  heartbeatAge,
  masterBadge,
  nextPollDelay,
  parseApiKey,
  parseFaultsForm,
  quorumSummary,
  readOnlyBanner,
  secondaryStatus,
  viewSignature,
  writeConcernChoices,
  type Badge,
  type ColumnRow,
  type FaultsView,
  type NodeView,
  type View,
} from '../lib/view-model';

const VIEW_TIMEOUT_MS = 4000;
const APPEND_TIMEOUT_MS = 60_000;
const TAIL = 50;
const MAX_REQUESTS_SHOWN = 8;
const MAX_MSG_CHARS_SHOWN = 280;

const url = (path: string) => apiPath(location.pathname, path);

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; attrs?: Record<string, string> } = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

const shorten = (text: string, max = MAX_MSG_CHARS_SHOWN) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

async function readJson(res: Response): Promise<unknown> {
  try {
    return await res.json();
  } catch {
    return null;
  }
}

/** The API's `error`, or the `message` API Gateway's own refusals carry. */
function errorOf(body: unknown): string {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; message?: unknown };
  if (typeof b.error === 'string') return b.error;
  return typeof b.message === 'string' ? b.message : 'unexpected answer';
}

// ---------------------------------------------------------------------------------------------
// Page elements
// ---------------------------------------------------------------------------------------------

const summary = byId<HTMLParagraphElement>('summary');
const connection = byId<HTMLParagraphElement>('connection');
const banner = byId<HTMLDivElement>('readonly');
const columnsBox = byId<HTMLDivElement>('columns');
const faultsNote = byId<HTMLSpanElement>('faults-note');
const appendForm = byId<HTMLFormElement>('append-form');
const msgInput = byId<HTMLInputElement>('msg');
const wSelect = byId<HTMLSelectElement>('w');
const appendStatus = byId<HTMLParagraphElement>('append-status');
const requestsList = byId<HTMLOListElement>('requests');
const cadence = byId<HTMLParagraphElement>('cadence');
const keyForm = byId<HTMLFormElement>('key-form');
const keyInput = byId<HTMLInputElement>('api-key');
const keyMessage = byId<HTMLParagraphElement>('key-message');

// ---------------------------------------------------------------------------------------------
// Calling the API, with the stage's key (deployed stages: every call but this page needs it)
// ---------------------------------------------------------------------------------------------

const KEY_STORAGE = 'replog.apiKey';

function storage(): Storage | undefined {
  try {
    return sessionStorage;
  } catch {
    return undefined;
  }
}

/** The key given in this tab (sessionStorage: gone when the tab closes), or null. */
let apiKey: string | null = storage()?.getItem(KEY_STORAGE) ?? null;
let waitingForKey = false;

/** Calls the API at `path` (relative to the page) with the key, and asks for one on a 403. */
async function callApi(path: string, init: RequestInit): Promise<{ res: Response; body: unknown }> {
  const sent = apiKey;
  const headers = new Headers(init.headers);
  if (sent !== null) headers.set('x-api-key', sent);
  const res = await fetch(url(path), { ...init, headers });
  const body = await readJson(res);
  if (res.status === 403) askForKey(sent, errorOf(body));
  return { res, body };
}

function askForKey(refused: string | null, error: string): void {
  if (refused !== null && refused === apiKey) {
    apiKey = null;
    storage()?.removeItem(KEY_STORAGE);
  }
  keyMessage.textContent = apiKeyPrompt(refused !== null, error);
  if (waitingForKey) return;
  waitingForKey = true;
  keyForm.hidden = false;
  keyInput.focus();
  connected = undefined;
  connection.className = 'connection';
  connection.textContent = 'Waiting for the API key.';
  showCadence(null, 'Paused until the API key is entered.');
}

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const parsed = parseApiKey(keyInput.value);
  if ('error' in parsed) {
    keyMessage.textContent = parsed.error;
    return;
  }
  apiKey = parsed.key;
  storage()?.setItem(KEY_STORAGE, parsed.key);
  keyInput.value = '';
  keyForm.hidden = true;
  waitingForKey = false;
  faultsProbeAt = 0;
  pollSoon();
});

// ---------------------------------------------------------------------------------------------
// Fault injection (local and dev stages; the API answers 404 elsewhere)
// ---------------------------------------------------------------------------------------------

type FaultsApi = 'unknown' | 'available' | 'absent';
let faultsApi: FaultsApi = 'unknown';
let faultsProbeAt = 0;

/** Probes GET /admin/secondaries/{name}/faults once: 200 → controls, 404 → none on this stage. */
async function probeFaultsApi(secondary: string): Promise<void> {
  if (faultsApi !== 'unknown' || Date.now() - faultsProbeAt < 5000) return;
  faultsProbeAt = Date.now();
  try {
    const { res } = await callApi(`admin/secondaries/${encodeURIComponent(secondary)}/faults`, { signal: AbortSignal.timeout(VIEW_TIMEOUT_MS) });
    if (res.ok) faultsApi = 'available';
    else if (res.status === 404) faultsApi = 'absent';
  } catch {
    // No answer: probe again later.
  }
  faultsNote.textContent = faultsApi === 'absent' ? 'Fault injection is not available on this stage.' : '';
  for (const column of columns.values()) if (column.faults) column.faults.form.hidden = faultsApi !== 'available';
}

interface FaultControls {
  form: HTMLFormElement;
  toggle: HTMLButtonElement;
  delay: HTMLInputElement;
  rate: HTMLInputElement;
  apply: HTMLButtonElement;
  status: HTMLParagraphElement;
  /** The faults last known, and when they were learnt (a PUT's answer beats an older poll). */
  known: FaultsView | undefined;
  knownAt: number;
  /** The user changed the inputs since they were last filled in. */
  dirty: boolean;
}

function faultControls(name: string): FaultControls {
  const delay = el('input', { attrs: { id: `${name}-delay`, type: 'number', min: '0', max: '60000', step: '1', inputmode: 'numeric', value: '0' } });
  const rate = el('input', { attrs: { id: `${name}-rate`, type: 'number', min: '0', max: '1', step: '0.05', inputmode: 'decimal', value: '0' } });
  const toggle = el('button', { className: 'toggle', text: `Take ${name} down`, attrs: { type: 'button' } });
  const apply = el('button', { text: 'Apply', attrs: { type: 'submit' } });
  const status = el('p', { className: 'fault-status', attrs: { role: 'status' } });
  const form = el('form', { className: 'faults', attrs: { 'aria-label': `Faults of ${name}` } }, [
    toggle,
    el('div', { className: 'field' }, [el('label', { text: 'Delay (ms)', attrs: { for: delay.id } }), delay]),
    el('div', { className: 'field' }, [el('label', { text: 'Error rate (0–1)', attrs: { for: rate.id } }), rate]),
    apply,
    status,
  ]);
  form.hidden = faultsApi !== 'available';
  const controls: FaultControls = { form, toggle, delay, rate, apply, status, known: undefined, knownAt: 0, dirty: false };
  const markDirty = () => (controls.dirty = true);
  delay.addEventListener('input', markDirty);
  rate.addEventListener('input', markDirty);
  toggle.addEventListener('click', () => void putFaults(name, controls, { down: !(controls.known?.down ?? false) }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const parsed = parseFaultsForm(delay.value, rate.value);
    if ('error' in parsed) {
      controls.status.textContent = parsed.error;
      return;
    }
    void putFaults(name, controls, parsed);
  });
  return controls;
}

async function putFaults(name: string, controls: FaultControls, patch: Partial<FaultsView>): Promise<void> {
  controls.toggle.disabled = true;
  controls.apply.disabled = true;
  controls.status.textContent = `Updating ${name}…`;
  requestsInFlight++;
  try {
    const { res, body } = await callApi(`admin/secondaries/${encodeURIComponent(name)}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patch),
      signal: AbortSignal.timeout(VIEW_TIMEOUT_MS),
    });
    if (res.ok) {
      controls.dirty = false;
      showFaults(controls, name, body as FaultsView, Date.now());
      controls.status.textContent = `${name}: ${describeFaults(controls.known)}.`;
    } else {
      controls.status.textContent = `${res.status}: ${errorOf(body)}`;
    }
  } catch {
    controls.status.textContent = `No answer from the fault API for ${name}; try again.`;
  } finally {
    controls.toggle.disabled = false;
    controls.apply.disabled = false;
    requestsInFlight--;
    pollSoon();
  }
}

/** Shows faults learnt at `at`, unless newer ones are known; leaves inputs the user is editing alone. */
function showFaults(controls: FaultControls, name: string, faults: FaultsView | undefined, at: number): void {
  if (!faults || at < controls.knownAt) return;
  controls.known = faults;
  controls.knownAt = at;
  controls.toggle.textContent = faults.down ? `Bring ${name} up` : `Take ${name} down`;
  const editing = controls.form.contains(document.activeElement) && document.activeElement !== controls.toggle;
  if (!controls.dirty && !editing) {
    controls.delay.value = String(faults.delayMs);
    controls.rate.value = String(faults.errorRate);
  }
}

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

interface Column {
  root: HTMLElement;
  badge: HTMLParagraphElement;
  down: HTMLParagraphElement;
  stats: HTMLParagraphElement;
  beat: HTMLParagraphElement;
  list: HTMLOListElement;
  rowsKey: string;
  /** Ids shown as visible so far, to mark the ones that just became visible. */
  visibleIds: Set<number> | undefined;
  faults: FaultControls | undefined;
}

const columns = new Map<string, Column>();

function createColumn(node: NodeView): Column {
  const titleId = `col-${node.name}-title`;
  const badge = el('p', { className: 'badge' });
  const down = el('p', { className: 'down-tag', text: 'Down (fault injected)' });
  down.hidden = true;
  const stats = el('p', { className: 'stats' });
  const beat = el('p', { className: 'beat' });
  const list = el('ol', {
    className: 'entries',
    attrs: { 'aria-label': `Entries ${node.role === 'master' ? 'on the master' : `held by ${node.name}`}, newest first`, tabindex: '0' },
  });
  const faults = node.role === 'secondary' ? faultControls(node.name) : undefined;
  const head = el('header', { className: 'column-head' }, [
    el('h3', { attrs: { id: titleId } }, [document.createTextNode(node.name), el('span', { className: 'role', text: node.role === 'master' ? 'master' : 'secondary' })]),
    badge,
    down,
    stats,
    beat,
  ]);
  const root = el('section', { className: `column ${node.role}`, attrs: { 'aria-labelledby': titleId, 'data-node': node.name } }, [
    head,
    ...(faults ? [faults.form] : []),
    list,
  ]);
  return { root, badge, down, stats, beat, list, rowsKey: '', visibleIds: undefined, faults };
}

function setBadge(target: HTMLElement, badge: Badge): void {
  if (target.dataset.status === badge.label) return;
  target.dataset.status = badge.label;
  target.className = `badge tone-${badge.tone}`;
  target.replaceChildren(el('span', { className: 'symbol', text: badge.symbol, attrs: { 'aria-hidden': 'true' } }), document.createTextNode(` ${badge.label}`));
}

function rowElement(row: ColumnRow, fresh: boolean): HTMLLIElement {
  if (row.kind === 'missing') {
    const ids = row.from === row.to ? `#${row.from}` : `#${row.from}–#${row.to}`;
    return el('li', { className: 'missing', text: `${ids} not held yet${row.blocking ? ' — later entries wait for it' : ''}` });
  }
  const item = el('li', { className: `entry ${row.visible ? 'visible' : 'held'}${fresh ? ' fresh' : ''}`, attrs: { 'data-id': String(row.id) } }, [
    el('span', { className: 'id', text: `#${row.id}` }),
    el('span', { className: 'msg', text: shorten(row.msg) }),
  ]);
  if (!row.visible) item.append(el('span', { className: 'tag', text: 'held, not yet visible' }));
  return item;
}

function updateColumn(column: Column, node: NodeView, view: View, viewStartedAt: number): void {
  const { health } = view;
  const report = health.secondaries[node.name];
  const held = node.entries.filter((e) => !e.visible).length;
  if (node.role === 'master') {
    setBadge(column.badge, masterBadge(health.readOnly));
    column.beat.textContent = 'leader: takes every append';
  } else {
    setBadge(column.badge, healthBadge(secondaryStatus(health, node.name)));
    column.beat.textContent = heartbeatAge(report?.lastHeartbeat, Date.parse(view.at));
  }
  const lag = node.role === 'master' ? 0 : (report?.lag ?? 0);
  // A node whose last entries are large shows fewer of them (the view's response stays under 6 MB).
  const cut = node.truncated ? ` · last ${node.entries.length} shown (large messages)` : '';
  column.stats.textContent = `applied ${node.applied < 0 ? 'none' : `#${node.applied}`} · lag ${lag} · ${held} held${cut}`;
  if (column.faults) showFaults(column.faults, node.name, node.faults, viewStartedAt);
  const down = column.faults?.known?.down ?? node.faults?.down ?? false;
  column.down.hidden = !down;
  column.root.classList.toggle('is-down', down);

  const rows = columnRows(node.entries, node.applied);
  const key = JSON.stringify(rows);
  if (key === column.rowsKey) return;
  column.rowsKey = key;
  const before = column.visibleIds;
  const visibleIds = new Set<number>();
  const items = rows.map((row) => {
    const fresh = row.kind === 'entry' && row.visible && before !== undefined && !before.has(row.id);
    if (row.kind === 'entry' && row.visible) visibleIds.add(row.id);
    return rowElement(row, fresh);
  });
  column.visibleIds = visibleIds;
  column.list.replaceChildren(...(items.length > 0 ? items : [el('li', { className: 'empty', text: 'No entries yet' })]));
}

// ---------------------------------------------------------------------------------------------
// Polling GET /view
// ---------------------------------------------------------------------------------------------

let secondariesShown = -1;

function updateWriteConcern(secondaries: number): void {
  if (secondaries === secondariesShown) return;
  secondariesShown = secondaries;
  const selected = wSelect.value;
  wSelect.replaceChildren(...writeConcernChoices(secondaries).map((c) => el('option', { text: c.label, attrs: { value: String(c.value) } })));
  if ([...wSelect.options].some((o) => o.value === selected)) wSelect.value = selected;
}

function render(view: View, startedAt: number): void {
  const bannerText = readOnlyBanner(view.health);
  banner.hidden = bannerText === null;
  if (bannerText !== null && banner.textContent !== bannerText) banner.textContent = bannerText;
  summary.textContent = `${quorumSummary(view.health)} · showing each node's last ${view.tail} entries · updated ${new Date(view.at).toLocaleTimeString()}`;
  const secondaries = view.nodes.filter((n) => n.role === 'secondary');
  updateWriteConcern(secondaries.length);

  const names = new Set(view.nodes.map((n) => n.name));
  for (const [name, column] of columns) {
    if (!names.has(name)) {
      column.root.remove();
      columns.delete(name);
    }
  }
  view.nodes.forEach((node, index) => {
    let column = columns.get(node.name);
    if (!column) {
      column = createColumn(node);
      columns.set(node.name, column);
    }
    if (columnsBox.children[index] !== column.root) columnsBox.insertBefore(column.root, columnsBox.children[index] ?? null);
    updateColumn(column, node, view, startedAt);
  });
  const first = secondaries[0];
  if (first) void probeFaultsApi(first.name);
}

let connected: boolean | undefined;

function setConnection(ok: boolean, detail = ''): void {
  // A live region: only changes are announced, so say something only when the state flips.
  if (ok === connected && ok) return;
  connected = ok;
  connection.className = `connection ${ok ? 'ok' : 'lost'}`;
  connection.textContent = ok ? 'Live.' : `Connection problem (${detail}); retrying…`;
}

function showCadence(delayMs: number | null, text = describeCadence(delayMs)): void {
  if (cadence.textContent !== text) cadence.textContent = text;
}

/** Appends and fault changes sent from this page that have not answered yet: poll fast meanwhile. */
let requestsInFlight = 0;
let quietPolls = 0;
let lastSignature: string | undefined;
let pollTimer: ReturnType<typeof setTimeout> | undefined;
let polling = false;

/** Schedules the next poll by the cadence rules (lib/view-model.ts): none while hidden. */
function schedulePoll(sinceMs = 0): void {
  clearTimeout(pollTimer);
  pollTimer = undefined;
  if (waitingForKey) return;
  const delay = nextPollDelay({ visible: document.visibilityState === 'visible', pendingRequests: requestsInFlight, quietPolls });
  showCadence(delay);
  if (delay !== null) pollTimer = setTimeout(() => void poll(), Math.max(0, delay - sinceMs));
}

/** Something happened here (an action, the tab shown again): look now, then poll fast. */
function pollSoon(): void {
  quietPolls = 0;
  if (!polling) void poll();
}

async function poll(): Promise<void> {
  if (polling || waitingForKey) return;
  polling = true;
  clearTimeout(pollTimer);
  const startedAt = Date.now();
  try {
    const { res, body } = await callApi(`view?tail=${TAIL}`, { cache: 'no-store', signal: AbortSignal.timeout(VIEW_TIMEOUT_MS) });
    if (!res.ok) {
      quietPolls++;
      if (res.status !== 403) setConnection(false, `GET /view answered ${res.status}: ${errorOf(body)}`);
    } else {
      const view = body as View;
      render(view, startedAt);
      setConnection(true);
      const signature = viewSignature(view);
      quietPolls = signature === lastSignature ? quietPolls + 1 : 0;
      lastSignature = signature;
    }
  } catch (err) {
    quietPolls++;
    setConnection(false, err instanceof Error && err.name === 'TimeoutError' ? 'no answer within 4 s' : 'the server does not answer');
  } finally {
    polling = false;
    schedulePoll(Date.now() - startedAt);
  }
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') pollSoon();
  else schedulePoll();
});

// ---------------------------------------------------------------------------------------------
// Appending
// ---------------------------------------------------------------------------------------------

interface PendingAppend {
  startedAt: number;
  detail: HTMLSpanElement;
}

const pending = new Set<PendingAppend>();
let ticker: ReturnType<typeof setInterval> | undefined;

/** Pending appends show their running time (outside the live region, so it is not read out each tick). */
function tick(): void {
  for (const p of pending) p.detail.textContent = `pending for ${formatDuration(performance.now() - p.startedAt)}…`;
  if (pending.size === 0 && ticker !== undefined) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

async function append(msg: string, w: number): Promise<void> {
  const state = el('span', { className: 'req-state', text: 'Pending' });
  const detail = el('span', { className: 'req-detail', text: 'pending…' });
  const item = el('li', { className: 'request state-pending' }, [
    state,
    el('span', { className: 'req-msg', text: `“${shorten(msg, 80)}”` }),
    el('span', { className: 'req-w', text: `w=${w}` }),
    detail,
  ]);
  requestsList.prepend(item);
  while (requestsList.children.length > MAX_REQUESTS_SHOWN) requestsList.lastElementChild?.remove();
  const entry: PendingAppend = { startedAt: performance.now(), detail };
  pending.add(entry);
  requestsInFlight++;
  pollSoon();
  ticker ??= setInterval(tick, 100);
  appendStatus.textContent = `Appending “${shorten(msg, 80)}” with w=${w}…`;

  let outcome: { state: string; text: string };
  try {
    const { res, body } = await callApi('append', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ msg, w }),
      signal: AbortSignal.timeout(APPEND_TIMEOUT_MS),
    });
    outcome = describeAppend(res.status, body, performance.now() - entry.startedAt);
  } catch {
    outcome = { state: 'failed', text: `no answer after ${formatDuration(performance.now() - entry.startedAt)}; the message may or may not be stored` };
  }
  pending.delete(entry);
  requestsInFlight--;
  pollSoon();
  tick();
  const labels: Record<string, string> = { done: 'Done', 'timed-out': 'Timed out', failed: 'Failed' };
  item.className = `request state-${outcome.state}`;
  state.textContent = labels[outcome.state] ?? outcome.state;
  detail.textContent = outcome.text;
  appendStatus.textContent = `“${shorten(msg, 80)}”: ${outcome.text}`;
}

appendForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const msg = msgInput.value;
  if (msg === '') {
    appendStatus.textContent = 'Type a message to append.';
    msgInput.focus();
    return;
  }
  msgInput.value = '';
  msgInput.focus();
  void append(msg, Number(wSelect.value));
});

pollSoon();
