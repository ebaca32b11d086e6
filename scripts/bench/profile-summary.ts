/**
 * Summarises V8 CPU profiles (`node --cpu-prof`): self time by function and by part of the stack
 * (AWS SDK, serverless-offline, hapi, logger, replog's own code, node internals, GC …), optionally
 * only inside a time window. Frames in esbuild bundles (.esbuild/.build/functions/*.js) are
 * attributed to the module they came from, using the `// node_modules/...` comments esbuild
 * writes before each module. CLI: `tsx scripts/bench/profile-summary.ts FILE.cpuprofile… [--top N]`
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Line → source module of an esbuild bundle, from its `// path/to/module.js` markers. */
const bundleMaps = new Map<string, Array<{ line: number; module: string }>>();

function bundleModuleAt(file: string, line: number, root: string): string | undefined {
  let map = bundleMaps.get(file);
  if (!map) {
    map = [];
    const path = isAbsolute(file) ? file : join(root, file);
    if (existsSync(path)) {
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((text, i) => {
          const m = text.match(/^\/\/ ((?:node_modules|lib|functions|scripts)\/\S+)$/);
          if (m) map?.push({ line: i, module: m[1] as string });
        });
    }
    bundleMaps.set(file, map);
  }
  let found: string | undefined;
  for (const entry of map) {
    if (entry.line > line) break;
    found = entry.module;
  }
  return found;
}

function packageOf(modulePath: string): string {
  const m = modulePath.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/g);
  if (m) return (m.at(-1) as string).replace('node_modules/', '');
  return modulePath;
}

/** Where a frame's code comes from: a package name, a project file, or a V8 pseudo-frame. */
export function originOf(frame: CallFrame, root: string): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith('node:')) return path;
  if (/\.esbuild[^/]*\/\.build\//.test(path)) {
    const module = bundleModuleAt(path, frame.lineNumber, root);
    return module ? packageOf(module) : '(bundle)';
  }
  if (path.includes('node_modules/')) return packageOf(path);
  const rel = path.startsWith(root) ? path.slice(root.length + 1) : path;
  return rel;
}

/** Node's own modules, grouped by what they do for us. */
function nodePart(module: string): string {
  const m = module.replace(/^node:(internal\/)?/, '');
  if (/^_http_(client|agent)/.test(m)) return 'node: http client';
  if (/^_http_(server|incoming|outgoing|common)|^http$/.test(m)) return 'node: http server/messages';
  if (/^(net|stream_base_commons|streams\/|stream$|tcp_wrap|dns)/.test(m)) return 'node: sockets & streams';
  if (/^crypto\//.test(m) || m === 'crypto') return 'node: crypto';
  if (/^(timers|process\/task_queues|process\/promises|async_hooks|events|event_target|abort_controller|util\/)/.test(m) || m === 'events' || m === 'timers') return 'node: events, timers, promises';
  if (/^(url|querystring|buffer|util)$|^(url|querystring|buffer)/.test(m)) return 'node: url, buffer, util';
  if (/^(fs|fs\/)/.test(m)) return 'node: fs';
  if (/^deps\/undici|^fetch/.test(m)) return 'node: fetch (undici)';
  return `node: other (${m.split('/')[0]})`;
}

/** Groups origins into the parts of the system a reader cares about. */
export function partOf(origin: string): string {
  if (/^@(smithy|aws-sdk|aws-crypto)\/|^(tslib|fast-xml-parser|strnum|bowser|uuid|@aws\/lambda-invoke-store)$/.test(origin)) return 'AWS SDK v3';
  if (origin.startsWith('@hapi/')) return 'hapi (offline HTTP server)';
  if (origin === 'serverless-offline') return 'serverless-offline';
  if (origin.startsWith('@aws-lambda-powertools/')) return 'powertools logger';
  if (origin.startsWith('@middy/')) return 'middy';
  if (origin === 'fauxqs' || origin.startsWith('fauxqs')) return 'fauxqs (SQS emulator)';
  if (/^(lib|functions)\//.test(origin)) return 'replog code';
  if (/^scripts\//.test(origin)) return 'replog scripts (gateway, event source)';
  if (origin.startsWith('node:')) return nodePart(origin);
  if (origin === '(garbage collector)') return 'GC';
  if (origin === '(idle)') return 'idle';
  if (origin === '(program)') return '(program: native, unattributed)';
  return `other: ${origin}`;
}

export interface ProfileSummary {
  file: string;
  /** Milliseconds of samples inside the window (idle included). */
  totalMs: number;
  busyMs: number;
  byPart: Array<{ part: string; ms: number; share: number }>;
  byOrigin: Array<{ origin: string; ms: number; share: number }>;
  /** Self time in each function's esbuild bundle (its own code and the SDK bundled into it), by part. */
  byBundle: Array<{ bundle: string; ms: number; share: number; parts: Record<string, number> }>;
  topFunctions: Array<{ fn: string; origin: string; ms: number; share: number }>;
}

/** Self time inside [fromUs, toUs] (V8 monotonic microseconds, the clock of process.hrtime). */
export function summarizeProfile(file: string, root: string, window?: { fromUs: number; toUs: number }, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Native frames (no script URL: socket writes, crypto, JSON) count for the code that called them.
  const originWithCaller = (id: number): string => {
    let node = byId.get(id);
    const own = node ? originOf(node.callFrame, root) : '(native)';
    if (own !== '(native)') return own;
    while (node && originOf(node.callFrame, root) === '(native)') node = byId.get(parent.get(node.id) ?? -1);
    return node ? `${originOf(node.callFrame, root)}` : '(native)';
  };
  const self = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    // A sample's time is the gap to the next one.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const bundleOf = (id: number): string | undefined => {
    let node = byId.get(id);
    while (node && !node.callFrame.url) node = byId.get(parent.get(node.id) ?? -1);
    const m = node?.callFrame.url.match(/\.esbuild[^/]*\/\.build\/functions\/([^/]+)\.js$/);
    return m?.[1];
  };
  const bundles = new Map<string, { us: number; parts: Map<string, number> }>();
  const fns = new Map<string, { fn: string; origin: string; us: number }>();
  const origins = new Map<string, number>();
  const parts = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const origin = originWithCaller(id);
    total += us;
    if (origin === '(idle)') {
      idle += us;
      continue;
    }
    const native = !node.callFrame.url && !node.callFrame.functionName.startsWith('(');
    const where = native ? `native, called from ${origin}` : `${origin}:${node.callFrame.lineNumber + 1}`;
    const key = `${node.callFrame.functionName || '(anonymous)'} ${where}`;
    const entry = fns.get(key) ?? { fn: node.callFrame.functionName || '(anonymous)', origin: where, us: 0 };
    entry.us += us;
    fns.set(key, entry);
    origins.set(origin, (origins.get(origin) ?? 0) + us);
    const part = partOf(origin);
    parts.set(part, (parts.get(part) ?? 0) + us);
    const bundle = bundleOf(id);
    if (bundle) {
      const b = bundles.get(bundle) ?? { us: 0, parts: new Map<string, number>() };
      b.us += us;
      b.parts.set(part, (b.parts.get(part) ?? 0) + us);
      bundles.set(bundle, b);
    }
  }
  const busy = total - idle;
  const share = (us: number) => Math.round((us / Math.max(1, busy)) * 1000) / 10;
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    file,
    totalMs: ms(total),
    busyMs: ms(busy),
    byPart: [...parts].sort((a, b) => b[1] - a[1]).map(([part, us]) => ({ part, ms: ms(us), share: share(us) })),
    byOrigin: [...origins].sort((a, b) => b[1] - a[1]).slice(0, top).map(([origin, us]) => ({ origin, ms: ms(us), share: share(us) })),
    byBundle: [...bundles]
      .sort((a, b) => b[1].us - a[1].us)
      .map(([bundle, b]) => ({ bundle, ms: ms(b.us), share: share(b.us), parts: Object.fromEntries([...b.parts].sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, ms(v)])) })),
    topFunctions: [...fns.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => ({ fn: f.fn, origin: f.origin, ms: ms(f.us), share: share(f.us) })),
  };
}

export function renderSummary(s: ProfileSummary, title: string): string {
  const lines = [`#### ${title}`, '', `busy ${s.busyMs} ms of ${s.totalMs} ms sampled`, '', '| part | self ms | % of busy |', '|---|---:|---:|'];
  const shown = s.byPart.slice(0, 14);
  for (const p of shown) lines.push(`| ${p.part} | ${p.ms} | ${p.share} |`);
  const rest = s.byPart.slice(shown.length);
  if (rest.length > 0) {
    const ms = Math.round(rest.reduce((a, p) => a + p.ms, 0) * 10) / 10;
    lines.push(`| ${rest.length} more | ${ms} | ${Math.round((ms / Math.max(1, s.busyMs)) * 1000) / 10} |`);
  }
  if (s.byBundle.length > 0) {
    lines.push('', '| function bundle (its code + the SDK bundled in it) | self ms | % of busy | of which |', '|---|---:|---:|---|');
    for (const b of s.byBundle) {
      const of = Object.entries(b.parts).slice(0, 4).map(([k, v]) => `${k} ${v}`).join(' · ');
      lines.push(`| ${b.bundle} | ${b.ms} | ${b.share} | ${of} |`);
    }
  }
  lines.push('', '| top self-time functions | where | self ms | % |', '|---|---|---:|---:|');
  for (const f of s.topFunctions) lines.push(`| \`${f.fn}\` | ${f.origin} | ${f.ms} | ${f.share} |`);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('profile-summary.ts')) {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '15' }, root: { type: 'string', default: process.cwd() } }, allowPositionals: true });
  for (const file of positionals) console.log(renderSummary(summarizeProfile(file, values.root, undefined, Number(values.top)), file) + '\n');
}
