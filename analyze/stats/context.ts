// What every stats section computes from: the replay database, the capture's
// figures and processes, query helpers, and the process names and rows shared by
// several sections.

import type { Db } from '../db/database.ts';
import { basename, statusText } from '../format.ts';
import type { CaptureInfo, ProcInfo } from '../replay/capture-info.ts';
import type { LatencySummary, ProcessStat } from './types.ts';

/** Rows in each "top" list. */
export const TOP = 10;

export interface StatsContext {
  db: Db;
  capture: CaptureInfo;
  processes: readonly ProcInfo[];
  /** The capture's start and end (absolute ns), the `:t0` and `:end` of the queries. */
  t0: bigint;
  end: bigint;
  q<T>(sql: string, params?: Record<string, unknown>): T[];
  one<T>(sql: string): T;
  byId: ReadonlyMap<number, ProcInfo>;
  /** The argv[0] most used with each exe (cc for x86_64-linux-gnu-gcc-12). */
  argv0: ReadonlyMap<string, string>;
  /** A process's image name, or `(fork of NAME)` / `pid N` for one that never exec'd. */
  nameOf(processId: number): string;
  /** The topmost ancestor of a process. */
  rootOf(processId: number): number;
}

export function statsContext(
  db: Db,
  capture: CaptureInfo,
  processes: readonly ProcInfo[],
  known?: ExecNames,
): StatsContext {
  const byId = new Map(processes.map((p) => [p.id, p]));
  const { names, argv0 } = known ?? execNames(execNameRowsOfDb(db), (id) => byId.get(id)?.execCount ?? 0);
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
  return {
    db,
    capture,
    processes,
    t0: capture.startNs,
    end: capture.startNs + BigInt(capture.end),
    q: <T>(sql: string, params: Record<string, unknown> = {}): T[] => db.prepare(sql).all(params) as T[],
    one: <T>(sql: string): T => db.prepare(sql).pluck().get() as T,
    byId,
    argv0,
    nameOf,
    rootOf,
  };
}

/** What the image names are made of: an exec's process, seq, exe and argv[0] (null: none). */
export interface ExecNameRow {
  processId: number;
  seq: number;
  exe: string | null;
  argv0: string | null;
}

export interface ExecNames {
  /** The name of each process's last image (argv[0] basename, else the exe's), for ancestor chains. */
  names: Map<number, string>;
  /** The argv[0] most used with each exe (ties: the first by UTF-8 bytes). */
  argv0: Map<string, string>;
}

/** The exec rows of the database (the model's: stats/model-inputs.ts). */
export function execNameRowsOfDb(db: Db): ExecNameRow[] {
  return (
    db.prepare(`SELECT process_id, seq, exe, json_extract(argv_json, '$[0]') FROM execs`).raw(true).all() as [
      number,
      number,
      string | null,
      string | null,
    ][]
  ).map(([processId, seq, exe, argv0]) => ({ processId, seq, exe, argv0 }));
}

/** The names, from one pass over the exec rows; `execCount`: each process's number of images. */
export function execNames(rows: Iterable<ExecNameRow>, execCount: (processId: number) => number): ExecNames {
  const names = new Map<number, string>();
  const uses = new Map<string, Map<string, number>>();
  for (const { processId, seq, exe, argv0: a0 } of rows) {
    if (seq === execCount(processId) - 1 && (a0 !== null || exe !== null))
      names.set(processId, basename(a0 || exe || '?'));
    if (exe === null || a0 === null) continue;
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

/** A process row as the process lists select it (PROCESS_SELECT, and the usage lists' wider select). */
export interface ProcessRow {
  processId: number;
  pid: number;
  startNs: number;
  durationNs: number;
  state: string;
  exitCode: number | null;
  signal: number | null;
  signalName: string | null;
  coreDumped: number;
  argv: string | null;
}

/** Columns of ProcessRow (with `:t0` and `:end`); `p` is processes, `x` the process's last exec. */
/** Columns of ProcessRow; a process the capture attached to counts from then (`attached_ns`), not from its real start. */
export const PROCESS_COLUMNS = `p.id AS processId, p.pid, coalesce(p.attached_ns, p.start_ns) - :t0 AS startNs,
           coalesce(p.end_ns, :end) - coalesce(p.attached_ns, p.start_ns) AS durationNs,
           p.state, p.exit_code AS exitCode, p.signal, p.signal_name AS signalName, p.core_dumped AS coreDumped,
           x.argv_json AS argv`;

export const PROCESS_SELECT = `
    SELECT ${PROCESS_COLUMNS}
    FROM processes p LEFT JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1`;

export function processStat(ctx: StatsContext, r: ProcessRow): ProcessStat {
  return {
    processId: r.processId,
    pid: r.pid,
    startNs: r.startNs,
    durationNs: r.durationNs,
    status: statusText({ ...r, coreDumped: r.coreDumped === 1 }),
    argv: r.argv === null ? [] : (JSON.parse(r.argv) as string[]),
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

/** Whether the capture recorded a feature: its `capture.options.NAME` meta row is 1. */
export function optionRecorded(ctx: StatsContext, name: string): boolean {
  return ctx.one<number | null>(`SELECT value FROM meta WHERE key = 'capture.options.${name}'`) === 1;
}
