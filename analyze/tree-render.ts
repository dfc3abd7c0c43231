// Tree renderers: display items → text lines, or → the JSON structure
// documented in docs/tree-json.md. Pure.

import type { ExecFailureRow } from './model.ts';
import type { CaptureInfo } from './replay.ts';
import {
  commandLine,
  ELLIPSIS,
  formatDuration,
  isoTime,
  maskEnvValue,
  type Paint,
  statusText,
} from './format.ts';
import { argvOf, type DisplayItem, type GroupItem, nodeDuration, type TreeFilters, type TreeNode } from './tree.ts';

export interface TreeRenderOptions {
  /** Whole command lines instead of shortened ones. */
  full: boolean;
  /** Target line width for shortening. */
  width: number;
  paint: Paint;
  /** Show environments (resolved, by env id). */
  envs: ReadonlyMap<number, [string, string][]> | null;
  /** Show repeated values (env vars, failed exec attempts) only at their first occurrence. */
  dedup: boolean;
}

/** Values already shown, for --dedup. */
class Seen {
  private readonly set = new Set<string>();
  /** true the first time. */
  first(key: string): boolean {
    if (this.set.has(key)) return false;
    this.set.add(key);
    return true;
  }
}

function trailer(items: { pid: number | null; durationText: string; status: string | null; failed: boolean; signal: boolean }, paint: Paint): { text: string; plainLength: number } {
  const parts: string[] = [];
  const plain: string[] = [];
  if (items.pid !== null) {
    parts.push(paint('dim', String(items.pid)));
    plain.push(String(items.pid));
  }
  parts.push(paint('dim', items.durationText));
  plain.push(items.durationText);
  if (items.status !== null) {
    const style = items.signal ? (['magenta', 'bold'] as const) : items.failed ? (['red', 'bold'] as const) : (['yellow'] as const);
    parts.push(paint([...style], items.status));
    plain.push(items.status);
  }
  const sep = paint('dim', ', ');
  return {
    text: `${paint('dim', '(')}${parts.join(sep)}${paint('dim', ')')}`,
    plainLength: plain.join(', ').length + 2,
  };
}

/** Math.max without a spread (groups can have 100,000 members: too many arguments for one call). */
function maxOf(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of values) if (v > m) m = v;
  return m;
}

function nodeDurationText(n: TreeNode): string {
  return formatDuration(nodeDuration(n)) + (n.end === null ? '+' : '');
}

function nodeLabel(n: TreeNode, maxLen: number, opts: TreeRenderOptions): string {
  if (n.kind === 'exec') {
    const argv = argvOf(n);
    const cmd = commandLine(argv.length > 0 ? argv : [n.exe], { full: opts.full, max: maxLen });
    return (n.execSeq !== null && n.execSeq > 0 ? '↳ ' : '') + cmd + (n.argvTruncated ? ` ${ELLIPSIS}[argv truncated]` : '');
  }
  if (n.kind === 'fork') return `(fork of ${n.forkOf ?? '?'})`;
  return `(pid ${n.pid}, no exec seen)`;
}

/** Text lines of the tree. */
export function renderTreeText(items: readonly DisplayItem[], opts: TreeRenderOptions): string[] {
  const { paint } = opts;
  const out: string[] = [];
  const seen = new Seen();

  const annotate = (prefix: string, n: { failedExecs: readonly ExecFailureRow[]; envId: number | null; hidden: number }, extraFailed: readonly ExecFailureRow[] = []): void => {
    // Failed exec attempts, in time order; with dedup each path+errno once.
    const attempts = [...n.failedExecs, ...extraFailed];
    if (opts.dedup) {
      const counts = new Map<string, { f: ExecFailureRow; n: number }>();
      let repeated = 0;
      for (const f of attempts) {
        const key = `${f.path}\u0000${f.errnoName}`;
        const c = counts.get(key);
        if (c !== undefined) c.n++;
        else if (seen.first(`exec-failed\u0000${key}`)) counts.set(key, { f, n: 1 });
        else repeated++;
      }
      for (const { f, n: k } of counts.values()) {
        out.push(`${prefix}${paint('red', '✗')} exec ${f.path}: ${f.errnoName}${k > 1 ? ` ×${k}` : ''}`);
      }
      if (repeated > 0) out.push(`${prefix}${paint('dim', `✗ ${repeated} failed exec attempt${repeated > 1 ? 's' : ''} as above`)}`);
    } else {
      for (const f of attempts) out.push(`${prefix}${paint('red', '✗')} exec ${f.path}: ${f.errnoName}`);
    }
    if (opts.envs !== null && n.envId !== null) {
      const env = opts.envs.get(n.envId) ?? [];
      let repeated = 0;
      for (const [name, value] of env) {
        if (opts.dedup && !seen.first(`env\u0000${name}=${value}`)) {
          repeated++;
          continue;
        }
        out.push(`${prefix}${paint('dim', `${name}=${maskEnvValue(name, value)}`)}`);
      }
      if (repeated > 0) out.push(`${prefix}${paint('dim', `(${repeated} env var${repeated > 1 ? 's' : ''} as above)`)}`);
    }
    if (n.hidden > 0) out.push(`${prefix}${paint('dim', `${ELLIPSIS} ${n.hidden} more below`)}`);
  };

  const walk = (list: readonly DisplayItem[], prefix: string, root: boolean): void => {
    list.forEach((item, i) => {
      const last = i === list.length - 1;
      const lead = root ? '' : prefix + (last ? '└─ ' : '├─ ');
      const childPrefix = root ? '' : prefix + (last ? '   ' : '│  ');
      const notePrefix = childPrefix + (item.children.length > 0 ? '│ ' : '  ');
      if (item.type === 'node') {
        const n = item.node;
        const status = n.replaced ? null : statusText(n.exit);
        const t = trailer(
          { pid: n.pid, durationText: nodeDurationText(n), status, failed: n.failed, signal: n.exit.signal !== null },
          paint,
        );
        const label = nodeLabel(n, Math.max(30, opts.width - lead.length - t.plainLength - 2), opts);
        out.push(`${lead}${n.failed ? paint('bold', label) : label}  ${t.text}`);
        annotate(notePrefix, n);
      } else {
        out.push(`${lead}${groupLine(item, opts, Math.max(30, opts.width - lead.length - 40))}`);
        const first = item.members[0]!;
        annotate(notePrefix, { failedExecs: first.failedExecs, envId: first.envId, hidden: item.members.reduce((s, m) => s + m.hidden, 0) }, item.members.slice(1).flatMap((m) => m.failedExecs));
      }
      walk(item.children, childPrefix, false);
    });
  };
  walk(items, '', true);
  return out;
}

function groupLine(g: GroupItem, opts: TreeRenderOptions, maxLen: number): string {
  const { paint } = opts;
  const first = g.members[0]!;
  let label: string;
  if (first.kind === 'exec') {
    label = (first.execSeq !== null && first.execSeq > 0 ? '↳ ' : '') + commandLine(g.pattern, { full: opts.full, max: maxLen });
  } else if (first.kind === 'fork') label = `(fork of ${first.forkOf ?? '?'})`;
  else label = '(no exec seen)';
  const durations = g.members.map(nodeDuration);
  const total = durations.reduce((s, d) => s + d, 0);
  const max = maxOf(durations);
  const running = g.members.some((m) => m.end === null);
  const stats = `total ${formatDuration(total)}${running ? '+' : ''}, max ${formatDuration(max)}`;
  return `${label} ${paint(['cyan', 'bold'], `×${g.members.length}`)}  ${paint('dim', `(${stats})`)}`;
}

// ---------------------------------------------------------------- JSON

export interface JsonStatus {
  state: 'exited' | 'running' | 'unknown' | 'replaced';
  exitCode: number | null;
  signal: string | null;
  coreDumped: boolean;
}

export interface JsonFailedExec {
  path: string;
  errno: string;
  startNs: number;
}

export interface JsonEnvVar {
  name: string;
  value: string;
}

export interface JsonNode {
  type: 'exec' | 'fork' | 'process';
  pid: number;
  processId: number;
  execSeq: number | null;
  startNs: number;
  durationNs: number | null;
  argv: string[] | null;
  argvTruncated: boolean;
  exe: string | null;
  cwd: string | null;
  forkOf: string | null;
  status: JsonStatus;
  failed: boolean;
  failedExecs: JsonFailedExec[];
  failedExecsRepeated?: number;
  env?: JsonEnvVar[];
  envRepeated?: number;
  hiddenDescendants: number;
  children: (JsonNode | JsonGroup)[];
}

export interface JsonGroup {
  type: 'group';
  count: number;
  memberType: 'exec' | 'fork' | 'process';
  argvPattern: (string | null)[];
  exe: string | null;
  forkOf: string | null;
  pids: number[];
  processIds: number[];
  startNs: number;
  totalDurationNs: number;
  maxDurationNs: number;
  running: number;
  failedExecs: JsonFailedExec[];
  failedExecsRepeated?: number;
  env?: JsonEnvVar[];
  envRepeated?: number;
  children: (JsonNode | JsonGroup)[];
}

/** The JSON `roots` array (docs/tree-json.md). */
export function treeJson(
  items: readonly DisplayItem[],
  opts: Pick<TreeRenderOptions, 'envs' | 'dedup'> & { startNs: bigint },
): (JsonNode | JsonGroup)[] {
  const seen = new Seen();
  const failedExecs = (list: readonly ExecFailureRow[]): { shown: JsonFailedExec[]; repeated: number } => {
    const shown: JsonFailedExec[] = [];
    let repeated = 0;
    for (const f of list) {
      if (opts.dedup && !seen.first(`exec-failed\u0000${f.path}\u0000${f.errnoName}`)) repeated++;
      else shown.push({ path: f.path, errno: f.errnoName, startNs: Number(f.time - opts.startNs) });
    }
    return { shown, repeated };
  };
  const env = (envId: number | null): { shown: JsonEnvVar[]; repeated: number } | null => {
    if (opts.envs === null) return null;
    const shown: JsonEnvVar[] = [];
    let repeated = 0;
    for (const [name, value] of envId === null ? [] : (opts.envs.get(envId) ?? [])) {
      if (opts.dedup && !seen.first(`env\u0000${name}=${value}`)) repeated++;
      else shown.push({ name, value: maskEnvValue(name, value) });
    }
    return { shown, repeated };
  };
  const conv = (item: DisplayItem): JsonNode | JsonGroup => {
    if (item.type === 'node') {
      const n = item.node;
      const fe = failedExecs(n.failedExecs);
      const e = env(n.envId);
      const node: JsonNode = {
        type: n.kind,
        pid: n.pid,
        processId: n.processId,
        execSeq: n.execSeq,
        startNs: n.start,
        durationNs: n.end === null ? null : n.end - n.start,
        argv: n.kind === 'exec' ? argvOf(n) : null,
        argvTruncated: n.argvTruncated,
        exe: n.kind === 'exec' ? n.exe : null,
        cwd: n.cwd,
        forkOf: n.forkOf,
        status: {
          state: n.replaced ? 'replaced' : n.exit.state,
          exitCode: n.exit.exitCode,
          signal: n.exit.signal === null ? null : (n.exit.signalName ?? `signal ${n.exit.signal}`),
          coreDumped: n.exit.coreDumped,
        },
        failed: n.failed,
        failedExecs: fe.shown,
        hiddenDescendants: n.hidden,
        children: [],
      };
      if (opts.dedup) node.failedExecsRepeated = fe.repeated;
      if (e !== null) {
        node.env = e.shown;
        if (opts.dedup) node.envRepeated = e.repeated;
      }
      node.children = item.children.map(conv);
      return node;
    }
    const first = item.members[0]!;
    const durations = item.members.map(nodeDuration);
    const fe = failedExecs(item.members.flatMap((m) => m.failedExecs));
    const e = env(first.envId);
    const g: JsonGroup = {
      type: 'group',
      count: item.members.length,
      memberType: first.kind,
      argvPattern: first.kind === 'exec' ? item.pattern : [],
      exe: first.kind === 'exec' ? first.exe : null,
      forkOf: first.forkOf,
      pids: item.members.map((m) => m.pid),
      processIds: item.members.map((m) => m.processId),
      startNs: first.start,
      totalDurationNs: durations.reduce((s, d) => s + d, 0),
      maxDurationNs: maxOf(durations),
      running: item.members.filter((m) => m.end === null).length,
      failedExecs: fe.shown,
      failedExecsRepeated: fe.repeated,
      children: [],
    };
    if (e !== null) {
      g.env = e.shown;
      g.envRepeated = e.repeated;
    }
    g.children = item.children.map(conv);
    return g;
  };
  return items.map(conv);
}

/** Env ids the renderers will need (each node's, each group's first member's). */
export function envIds(items: readonly DisplayItem[]): Set<number> {
  const out = new Set<number>();
  const walk = (list: readonly DisplayItem[]): void => {
    for (const i of list) {
      const n = i.type === 'node' ? i.node : i.members[0]!;
      if (n.envId !== null) out.add(n.envId);
      walk(i.children);
    }
  };
  walk(items);
  return out;
}

export const TREE_JSON_VERSION = 1;

export interface TreeDocument {
  format: 'ptrace-tree';
  version: number;
  capture: {
    path: string;
    startTime: string;
    startNs: string;
    durationNs: number;
    complete: boolean;
    rootPid: number;
    command: string[];
    warnings: { code: string; message: string }[];
  };
  options: {
    dedup: boolean;
    env: boolean;
    pid: number | null;
    match: string | null;
    failed: boolean;
    depth: number | null;
    minDurationNs: number | null;
  };
  roots: (JsonNode | JsonGroup)[];
}

/** The whole --json document (docs/tree-json.md). */
export function treeDocument(
  capture: CaptureInfo,
  items: readonly DisplayItem[],
  opts: { envs: ReadonlyMap<number, [string, string][]> | null; dedup: boolean; full: boolean; filters: TreeFilters },
): TreeDocument {
  const f = opts.filters;
  return {
    format: 'ptrace-tree',
    version: TREE_JSON_VERSION,
    capture: {
      path: capture.path,
      startTime: isoTime(capture.startNs),
      startNs: capture.startNs.toString(),
      durationNs: capture.end,
      complete: capture.complete,
      rootPid: capture.rootPid,
      command: capture.command,
      warnings: capture.warnings,
    },
    options: {
      dedup: opts.dedup,
      env: opts.envs !== null,
      pid: f.pid ?? null,
      match: f.match?.source ?? null,
      failed: f.failed === true,
      depth: f.depth ?? null,
      minDurationNs: f.minDuration ?? null,
    },
    roots: treeJson(items, { envs: opts.envs, dedup: opts.dedup, startNs: capture.startNs }),
  };
}
