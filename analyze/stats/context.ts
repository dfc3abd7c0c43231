// What every stats section computes from: the model's rows, the capture's
// figures and processes, and the process names and rows shared by several
// sections.

import { decodeStrings, firstString } from '../../formats/nul-area.ts';
import { basename, statusText } from '../format.ts';
import type { CaptureInfo, ProcInfo } from '../replay/capture-info.ts';
import type { ExecRow, Model, ProcessRow } from '../replay/model.ts';
import type { LatencySummary, ProcessStat } from './types.ts';

/** Rows in each "top" list. */
export const TOP = 10;

/** The model rows the sections are computed from. */
export type StatsModel = Pick<
  Model,
  | 'source'
  | 'processes'
  | 'execs'
  | 'execFailures'
  | 'resources'
  | 'histograms'
  | 'connections'
  | 'dnsLookups'
  | 'dnsQueries'
  | 'losses'
  | 'opens'
>;

export interface StatsContext {
  model: StatsModel;
  capture: CaptureInfo;
  processes: readonly ProcInfo[];
  /** The capture's start and end (absolute ns). */
  t0: bigint;
  end: bigint;
  byId: ReadonlyMap<number, ProcInfo>;
  /** The argv[0] most used with each exe (cc for x86_64-linux-gnu-gcc-12). */
  argv0: ReadonlyMap<string, string>;
  /** A process's image name, or `(fork of NAME)` / `pid N` for one that never exec'd. */
  nameOf(processId: number): string;
  /** The topmost ancestor of a process. */
  rootOf(processId: number): number;
  /** A process's last image (its exec with seq = execCount - 1), if it exec'd. */
  lastExec(processId: number): ExecRow | undefined;
  /** A process as the process lists show it. */
  listed(processId: number): ListedProcess;
}

export function statsContext(model: StatsModel, capture: CaptureInfo, processes: readonly ProcInfo[]): StatsContext {
  const byId = new Map(processes.map((p) => [p.id, p]));
  const lastExecs = lastExecIndex(model);
  const { names, argv0 } = execNames(model.execs, lastExecs);
  // The topmost ancestor of each process, memoized along each path walked (linear over all calls).
  const roots = new Map<number, number>();
  const rootOf = (id: number): number => {
    const path: number[] = [];
    let a = id;
    let top: number | undefined;
    for (;;) {
      top = roots.get(a);
      if (top !== undefined) break;
      path.push(a);
      const up = byId.get(a)?.parentId ?? null;
      if (up === null || path.length > byId.size) {
        top = a;
        break;
      }
      a = up;
    }
    for (const p of path) roots.set(p, top);
    return top;
  };
  const forkNames = new Map<number, string>();
  const nameOf = (id: number): string => {
    const own = names.get(id);
    if (own !== undefined) return own;
    const known = forkNames.get(id);
    if (known !== undefined) return known;
    let name = `pid ${byId.get(id)?.pid ?? '?'}`;
    for (
      let a = byId.get(id)?.parentId ?? null, i = 0;
      a !== null && i < 1000;
      a = byId.get(a)?.parentId ?? null, i++
    ) {
      const n = names.get(a);
      if (n !== undefined) {
        name = `(fork of ${n})`;
        break;
      }
    }
    forkNames.set(id, name);
    return name;
  };
  const lastExec = (processId: number): ExecRow | undefined => {
    const i = lastExecs[processId - 1] ?? -1;
    return i < 0 ? undefined : model.execs[i];
  };
  const t0 = capture.startNs;
  const end = capture.startNs + BigInt(capture.end);
  return {
    model,
    capture,
    processes,
    t0,
    end,
    byId,
    argv0,
    nameOf,
    rootOf,
    lastExec,
    listed: (processId) => listedProcess(model.processes[processId - 1]!, lastExec(processId), t0, end),
  };
}

/** The index in `model.execs` of each process's last image (by process id - 1; -1: none). */
function lastExecIndex(model: StatsModel): Int32Array {
  const last = new Int32Array(model.processes.length).fill(-1);
  const { execs, processes } = model;
  for (let i = 0; i < execs.length; i++) {
    const x = execs[i]!;
    const p = processes[x.processId - 1];
    if (p !== undefined && x.seq === p.execCount - 1) last[x.processId - 1] = i;
  }
  return last;
}

/** A process as the lists show it; one the capture attached to counts from then (`attachedAt`), not from its real start. */
function listedProcess(p: ProcessRow, x: ExecRow | undefined, t0: bigint, end: bigint): ListedProcess {
  const from = p.attachedAt ?? p.start;
  return {
    processId: p.id,
    pid: p.pid,
    startNs: Number(from - t0),
    durationNs: Number((p.end ?? end) - from),
    state: p.state,
    exitCode: p.exitCode,
    signal: p.signal,
    signalName: p.signalName,
    coreDumped: p.coreDumped,
    argv: x === undefined ? null : decodeStrings(x.argv),
  };
}

interface ExecNames {
  /** The name of each process's last image (argv[0] basename, else the exe's), for ancestor chains. */
  names: Map<number, string>;
  /** The argv[0] most used with each exe (ties: the first by UTF-8 bytes). */
  argv0: Map<string, string>;
}

/** The names, from one pass over the execs; `lastExecs`: each process's last one (lastExecIndex). */
function execNames(execs: readonly ExecRow[], lastExecs: Int32Array): ExecNames {
  const names = new Map<number, string>();
  const uses = new Map<string, Map<string, number>>();
  for (let i = 0; i < execs.length; i++) {
    const { processId, exe, argv } = execs[i]!;
    const a0 = argv.length === 0 ? null : firstString(argv).toString('utf8');
    if (lastExecs[processId - 1] === i) names.set(processId, basename(a0 || exe || '?'));
    if (a0 === null) continue;
    let byArgv0 = uses.get(exe);
    if (byArgv0 === undefined) uses.set(exe, (byArgv0 = new Map()));
    byArgv0.set(a0, (byArgv0.get(a0) ?? 0) + 1);
  }
  const argv0 = new Map<string, string>();
  for (const [exe, byArgv0] of uses) {
    let best: string | null = null;
    let most = 0;
    for (const [a0, n] of byArgv0) if (n > most || (n === most && compareUtf8(a0, best!) < 0)) [best, most] = [a0, n];
    argv0.set(exe, basename(best!));
  }
  return { names, argv0 };
}

/** a < b in UTF-8 byte order, SQLite's BINARY collation (= code point order; JS compares UTF-16 code units, which differs past U+FFFF). */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (code points past U+FFFF) sort after U+E000–U+FFFF in code point order.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** The display name of an exe: its basename, after the usual argv[0] when that differs. */
export function commandName(exe: string, argv0: ReadonlyMap<string, string>): string {
  const name = basename(exe);
  const a0 = argv0.get(exe);
  return a0 !== undefined && a0 !== '' && a0 !== name ? `${a0} (${name})` : name;
}

/** A process as the process lists show it: times from the capture start, its last image's argv (null: it never exec'd). */
export interface ListedProcess {
  processId: number;
  pid: number;
  startNs: number;
  durationNs: number;
  state: string;
  exitCode: number | null;
  signal: number | null;
  signalName: string | null;
  coreDumped: boolean;
  argv: string[] | null;
}

export function processStat(ctx: StatsContext, r: ListedProcess): ProcessStat {
  return {
    processId: r.processId,
    pid: r.pid,
    startNs: r.startNs,
    durationNs: r.durationNs,
    status: statusText(r),
    argv: r.argv ?? [],
    forkOf: r.argv === null ? ctx.nameOf(r.processId).replace(/^\(fork of (.*)\)$/, '$1') : null,
  };
}

/** Exact nearest-rank percentiles of latencies sorted in ascending order. */
export function latencySummary(sorted: readonly number[]): LatencySummary {
  const rank = (p: number): number | null =>
    sorted.length === 0 ? null : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    p50Ns: rank(0.5),
    p95Ns: rank(0.95),
    maxNs: sorted.length === 0 ? null : sorted.at(-1)!,
  };
}

/** Whether the capture recorded a feature (its header's option). */
export function optionRecorded(ctx: StatsContext, name: 'files' | 'net' | 'dns' | 'dnsMessages'): boolean {
  return ctx.model.source.header.options[name];
}
