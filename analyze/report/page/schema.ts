// The data a report page embeds (a JSON document in a script element of type application/json),
// shared by the generator (analyze/report/data.ts) and the page. Compact: strings are
// indices into one table, processes are columns (one array per field, a row per process).

import type { StatsReport } from '../../stats/types.ts';

export const REPORT_DATA_VERSION = 1;

/** Outcome of a process, the colour of its bar. */
export const Outcome = {
  ok: 0,
  /** exited with a non-zero code */
  failed: 1,
  signalled: 2,
  /** still running when the capture stopped */
  running: 3,
  /** no exit record (lost, or the file ends early) */
  unknown: 4,
} as const;

/**
 * Processes in tree order (pre-order: a parent before its children, siblings
 * by start time); `parent` is a row index (-1 for a root), so a subtree is
 * the contiguous rows after its root. Times are ns since the capture start.
 */
export interface ProcessColumns {
  /** processes.id (the SQLite row id; stats --json's processId). */
  id: number[];
  pid: number[];
  parent: number[];
  start: number[];
  /** ns from start to end; -1: no end (still running or no exit record): the bar runs to the capture's end. */
  duration: number[];
  outcome: number[];
  /** String index of the status text (`exit 2`, `SIGKILL`…), -1 for a clean exit. */
  status: number[];
  /** String index of the image it was forked from, for a process that never exec'd; -1 otherwise. */
  forkOf: number[];
  /** Execs of each process in order: [time since the process start, exe, cwd, env (index into envs, -1: none), argv strings…]. */
  execs: number[][][];
  /** CPU time in ns, -1 when not recorded. */
  cpu: number[];
  /** Peak RSS in KiB, -1 when not recorded. */
  rss: number[];
  /** File opens: total and failed. */
  opens: number[];
  failedOpens: number[];
  /** Up to MAX_FAILED_OPENS distinct failed opens, as string indices (`path: ERRNO`). */
  failedOpenList: number[][];
  connections: number[];
  failedConnections: number[];
  /** Up to MAX_DETAIL_LINES network lines (lookups, DNS queries, connections) as in `tree --net`. */
  netList: number[][];
}

/** An environment: a difference from its base (as SQLite's envs table), values masked unless --no-redact. */
export interface EnvData {
  base: number;
  /** [name, value] string index pairs, flattened; value -1: unset relative to the base. */
  vars: number[];
}

/** The critical path (analyze/replay/critical-path.ts, docs/critical-path.md); times in ns since the capture start. */
export interface CriticalData {
  /** The root's window. */
  start: number;
  end: number;
  rootEnded: boolean;
  /** Children that could not be placed (no exit record): the path may be incomplete. */
  unknownEnds: number;
  /** The path in time order, flattened: row and duration of each stretch of one process's own time (contiguous from `start`). */
  segments: number[];
  /** Own time per image, largest first (the first MAX_CRITICAL_IMAGES). */
  images: { row: number; label: string; selfNs: number }[];
  imagesTotal: number;
}

export interface ReportHeader {
  command: string[];
  host: string;
  kernel: string;
  /** ISO 8601 UTC. */
  start: string;
  durationNs: number;
  complete: boolean;
  lost: number;
  /** The one loss statement (capture-info.ts lossWarning), or null. */
  lossMessage: string | null;
  truncation: { argv: number; env: number; paths: number };
  warnings: string[];
  stillRunning: number | null;
  /** argv and environment values went through the secret rules. */
  redacted: boolean;
  generatedBy: string;
}

export interface ReportData {
  version: number;
  header: ReportHeader;
  strings: string[];
  processes: ProcessColumns;
  envs: EnvData[];
  /** `stats --json` of the same file (argv redacted like the rest unless --no-redact). */
  stats: StatsReport;
  /** `tree --dedup` as text lines. */
  dedup: string[];
  /** The critical path of the root; null without a root process. */
  critical: CriticalData | null;
}
