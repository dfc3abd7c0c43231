// The embedded data, read once, with what the views derive from it: depth and subtree
// extent of every row, labels, environments resolved on demand.

import { commandText } from './format.ts';
import type { ReportData } from './schema.ts';

export interface PageModel {
  data: ReportData;
  rows: number;
  depth: Int32Array;
  /** One past the last row of each row's subtree (rows are in pre-order). */
  subtreeEnd: Int32Array;
  /** End of each row (ns since the capture start), -1 when it has none. */
  end: Float64Array;
  /** Row of each processes.id. */
  rowOfId: Map<number, number>;
  /** The latest end (or the capture's end) on the time axis. */
  timeEnd: number;
  timeStart: number;
}

export function readData(): ReportData {
  const el = document.getElementById('ptrace-data');
  if (el === null || el.textContent === null) throw new Error('report data missing');
  return JSON.parse(el.textContent) as ReportData;
}

export function pageModel(data: ReportData): PageModel {
  const p = data.processes;
  const rows = p.id.length;
  const depth = new Int32Array(rows);
  const subtreeEnd = new Int32Array(rows);
  const end = new Float64Array(rows);
  const rowOfId = new Map<number, number>();
  let timeStart = 0;
  let timeEnd = data.header.durationNs;
  for (let r = 0; r < rows; r++) {
    const parent = p.parent[r]!;
    depth[r] = parent >= 0 && parent < r ? depth[parent]! + 1 : 0;
    rowOfId.set(p.id[r]!, r);
    if (p.start[r]! < timeStart) timeStart = p.start[r]!;
    end[r] = p.duration[r]! < 0 ? -1 : p.start[r]! + p.duration[r]!;
    if (end[r]! > timeEnd) timeEnd = end[r]!;
  }
  // Reverse pass: each row's subtree ends where its last descendant's does.
  for (let r = rows - 1; r >= 0; r--) {
    if (subtreeEnd[r] === 0) subtreeEnd[r] = r + 1;
    const parent = p.parent[r]!;
    if (parent >= 0 && parent < r && subtreeEnd[r]! > subtreeEnd[parent]!) subtreeEnd[parent] = subtreeEnd[r]!;
  }
  if (timeEnd <= timeStart) timeEnd = timeStart + 1;
  return { data, rows, depth, subtreeEnd, end, rowOfId, timeStart, timeEnd };
}

export const str = (m: PageModel, i: number): string => (i < 0 ? '' : (m.data.strings[i] ?? ''));

/** argv of an exec entry ([time, exe, cwd, env, argv…]). */
export function execArgv(m: PageModel, exec: readonly number[]): string[] {
  const out: string[] = [];
  for (let i = 4; i < exec.length; i++) out.push(str(m, exec[i]!));
  return out;
}

/** The row's short name: its last image's argv[0] basename, or `(fork of X)`. */
export function rowName(m: PageModel, r: number): string {
  const execs = m.data.processes.execs[r]!;
  if (execs.length > 0) {
    const last = execs[execs.length - 1]!;
    const a0 = last.length > 4 ? str(m, last[4]!) : str(m, last[1]!);
    return baseName(a0) || `pid ${m.data.processes.pid[r]}`;
  }
  const fork = m.data.processes.forkOf[r]!;
  return fork >= 0 ? `(fork of ${baseName(str(m, fork))})` : `(pid ${m.data.processes.pid[r]}, no exec seen)`;
}

/** The row's command line (its last image), for labels and lists. */
export function rowCommand(m: PageModel, r: number): string {
  const execs = m.data.processes.execs[r]!;
  if (execs.length === 0) return rowName(m, r);
  const last = execs[execs.length - 1]!;
  const argv = execArgv(m, last);
  return commandText(argv.length > 0 ? argv : [str(m, last[1]!)]);
}

export function baseName(p: string): string {
  const t = p.endsWith('/') ? p.slice(0, -1) : p;
  return t.slice(t.lastIndexOf('/') + 1) || p;
}

/** Full environment (name, value), sorted by name, following base environments. */
export function resolveEnv(m: PageModel, env: number): [string, string][] {
  const out = new Map<string, string | null>();
  const guard = new Set<number>();
  for (let e = env; e >= 0 && !guard.has(e); e = m.data.envs[e]?.base ?? -1) {
    guard.add(e);
    const vars = m.data.envs[e]!.vars;
    for (let i = 0; i + 1 < vars.length; i += 2) {
      const name = str(m, vars[i]!);
      if (!out.has(name)) out.set(name, vars[i + 1]! < 0 ? null : str(m, vars[i + 1]!));
    }
  }
  const full: [string, string][] = [];
  for (const [k, v] of out) if (v !== null) full.push([k, v]);
  return full.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
