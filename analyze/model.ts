// Events → rows. A ModelBuilder consumes the reader's logical events one at a
// time (so a big file never has to be held as events) and, once the header
// and footer are known, produces the rows of every table in SCHEMA.md.
// Pure: no I/O, no SQLite.

import type {
  CaptureEvent,
  CaptureHeader,
  ExecEvent,
  FooterInfo,
  ProcessKey,
  ReadWarning,
} from '../formats/types.ts';
import { EnvInterner, type EnvRow, type EnvVarRow } from './env.ts';

export type ProcessState = 'exited' | 'running' | 'unknown';

export interface ProcessRow {
  id: number;
  pid: number;
  /** Identity part 2: leader start time, CLOCK_BOOTTIME ns. */
  startBoot: bigint;
  /** Row id of the process that forked this one (null: outside the capture). */
  parentId: number | null;
  /** Identity of the forking (or, without a fork record, the real) parent, also when it is outside the capture. */
  parentPid: number | null;
  parentStartBoot: bigint | null;
  /** Kernel parent pid (differs from parentPid with CLONE_PARENT or reparenting). */
  ppid: number | null;
  /** Wall clock ns. */
  start: bigint;
  /** Wall clock ns of the exit; null when still running or unknown. */
  end: bigint | null;
  exitStatus: number | null;
  exitCode: number | null;
  signal: number | null;
  signalName: string | null;
  coreDumped: boolean;
  /** exited; running (alive when the capture stopped); unknown (no exit record: lost or file cut short). */
  state: ProcessState;
  isRoot: boolean;
  /** A fork record announced this process. */
  forked: boolean;
  threads: number;
  execCount: number;
  /** comm at exit. */
  comm: string | null;
}

export interface ExecRow {
  id: number;
  processId: number;
  /** 0-based position among the process's successful execs. */
  seq: number;
  /** Wall clock ns. */
  time: bigint;
  exe: string;
  exeTruncated: boolean;
  filename: string;
  filenameTruncated: boolean;
  interp: string | null;
  cwd: string;
  cwdTruncated: boolean;
  /** Exact argv bytes: every argument followed by one NUL. */
  argv: Buffer;
  /** argv as a JSON array of strings (invalid UTF-8 replaced by U+FFFD). */
  argvJson: string;
  /** Arguments captured (may be fewer than argcKernel when truncated). */
  argc: number;
  argcKernel: number;
  envc: number;
  argvTruncated: boolean;
  envTruncated: boolean;
  /** null when the capture did not record environments. */
  envId: number | null;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  nsPid: number;
  nsLevel: number;
  comm: string;
  ppid: number;
}

export interface ExecFailureRow {
  id: number;
  processId: number;
  time: bigint;
  path: string;
  pathTruncated: boolean;
  errno: number;
  errnoName: string;
}

export interface LossRow {
  id: number;
  time: bigint;
  category: number;
  categoryName: string;
  /** Cumulative records dropped in this category since the capture started. */
  count: bigint;
}

export type MetaValue = string | number | bigint | null;

export interface Model {
  meta: [string, MetaValue][];
  warnings: ReadWarning[];
  processes: ProcessRow[];
  execs: ExecRow[];
  execFailures: ExecFailureRow[];
  envs: EnvRow[];
  envVars: EnvVarRow[];
  losses: LossRow[];
  /** Logical events consumed. */
  events: number;
}

interface ProcState {
  pid: number;
  startBoot: bigint;
  parent: ProcessKey | null;
  ppid: number | null;
  forked: boolean;
  exitTs: bigint | null;
  exitStatus: number | null;
  exitCode: number | null;
  signal: number | null;
  signalName: string | null;
  coreDumped: boolean;
  running: boolean;
  threads: number;
  comm: string | null;
  /** Environment of the current image (inherited at fork). */
  envId: number | null;
  execs: PendingExec[];
  failures: PendingFailure[];
  order: number;
}

interface PendingExec {
  ts: bigint;
  row: Omit<ExecRow, 'id' | 'processId' | 'seq' | 'time'>;
}

interface PendingFailure {
  ts: bigint;
  path: string;
  pathTruncated: boolean;
  errno: number;
  errnoName: string;
}

const keyOf = (k: ProcessKey): string => `${k.pid}:${k.start}`;

const NUL = Buffer.alloc(1);

export function argvBlob(argv: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of argv) parts.push(a, NUL);
  return Buffer.concat(parts);
}

/** Splits an argv blob (every argument NUL-terminated) back into exact byte strings. */
export function splitArgvBlob(blob: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const end = blob.indexOf(0, start);
    if (end < 0) break;
    out.push(blob.subarray(start, end));
    start = end + 1;
  }
  if (start < blob.length) out.push(blob.subarray(start));
  return out;
}

export class ModelBuilder {
  private readonly procs = new Map<string, ProcState>();
  private readonly env = new EnvInterner();
  private readonly losses: { ts: bigint; category: number; categoryName: string; count: bigint }[] = [];
  private order = 0;
  private firstTs: bigint | null = null;
  private lastTs: bigint | null = null;
  events = 0;

  private proc(k: ProcessKey): ProcState {
    const key = keyOf(k);
    let p = this.procs.get(key);
    if (p === undefined) {
      p = {
        pid: k.pid,
        startBoot: k.start,
        parent: null,
        ppid: null,
        forked: false,
        exitTs: null,
        exitStatus: null,
        exitCode: null,
        signal: null,
        signalName: null,
        coreDumped: false,
        running: false,
        threads: 1,
        comm: null,
        envId: null,
        execs: [],
        failures: [],
        order: this.order++,
      };
      this.procs.set(key, p);
    }
    return p;
  }

  add(e: CaptureEvent): void {
    this.events++;
    if (e.kind !== 'loss') {
      if (this.lastTs === null || e.ts > this.lastTs) this.lastTs = e.ts;
      if (this.firstTs === null || e.ts < this.firstTs) this.firstTs = e.ts;
    }
    switch (e.kind) {
      case 'fork': {
        const parent = this.proc(e.process);
        const child = this.proc(e.child);
        child.forked = true;
        child.parent = e.process;
        child.ppid = e.childPpid;
        if (child.envId === null) child.envId = parent.envId;
        break;
      }
      case 'thread':
        this.proc(e.process).threads++;
        break;
      case 'exec':
        this.addExec(e);
        break;
      case 'exec_failed': {
        const p = this.proc(e.process);
        p.failures.push({
          ts: e.ts,
          path: e.filename.bytes.toString('utf8'),
          pathTruncated: e.filename.truncated,
          errno: e.errno,
          errnoName: e.errnoName,
        });
        break;
      }
      case 'exit': {
        const p = this.proc(e.process);
        p.exitTs = e.ts;
        p.exitStatus = e.status;
        p.exitCode = e.exitCode;
        p.signal = e.signal;
        p.signalName = e.signalName;
        p.coreDumped = e.coreDumped;
        p.comm = e.comm;
        break;
      }
      case 'loss':
        this.losses.push({ ts: e.ts, category: e.category, categoryName: e.categoryName, count: e.count });
        break;
      case 'running':
        this.proc(e.process).running = true;
        break;
    }
  }

  private addExec(e: ExecEvent): void {
    const p = this.proc(e.process);
    if (!p.forked && p.parent === null) {
      p.parent = e.parent;
      p.ppid = e.ppid;
    }
    const envId = e.env === null ? null : this.env.intern(e.env, p.envId);
    p.envId = envId;
    const argvJson = JSON.stringify(e.argv.map((a) => a.toString('utf8')));
    p.execs.push({
      ts: e.ts,
      row: {
        exe: e.exe.bytes.toString('utf8'),
        exeTruncated: e.exe.truncated,
        filename: e.filename.bytes.toString('utf8'),
        filenameTruncated: e.filename.truncated,
        interp: e.interp === null ? null : e.interp.bytes.toString('utf8'),
        cwd: e.cwd.bytes.toString('utf8'),
        cwdTruncated: e.cwd.truncated,
        argv: argvBlob(e.argv),
        argvJson,
        argc: e.argv.length,
        argcKernel: e.argc,
        envc: e.envc,
        argvTruncated: e.argvTruncated,
        envTruncated: e.envTruncated,
        envId,
        uid: e.uid,
        gid: e.gid,
        euid: e.euid,
        egid: e.egid,
        nsPid: e.nsPid,
        nsLevel: e.nsLevel,
        comm: e.comm,
        ppid: e.ppid,
      },
    });
  }

  /** Rows of every table, ids assigned in (start, pid) order. */
  finish(header: CaptureHeader, footer: FooterInfo | null, info: FinishInfo): Model {
    const wall = (ts: bigint): bigint => header.start.realtime + (ts - header.start.boottime);
    const states = [...this.procs.values()].sort(
      (a, b) => cmpBig(a.startBoot, b.startBoot) || a.pid - b.pid || a.order - b.order,
    );
    const idByKey = new Map<string, number>();
    states.forEach((p, i) => idByKey.set(`${p.pid}:${p.startBoot}`, i + 1));

    // The root: the process with the header's root pid that nobody in the capture forked.
    const rootIndex = states.findIndex((p) => p.pid === header.rootPid && !p.forked);

    const processes: ProcessRow[] = [];
    const pendingExecs: { ts: bigint; processId: number; seq: number; row: PendingExec['row'] }[] = [];
    const pendingFailures: { ts: bigint; processId: number; f: PendingFailure }[] = [];
    states.forEach((p, i) => {
      const id = i + 1;
      const execs = p.execs.map((x, order) => ({ x, order })).sort((a, b) => cmpBig(a.x.ts, b.x.ts) || a.order - b.order);
      execs.forEach(({ x }, seq) => pendingExecs.push({ ts: x.ts, processId: id, seq, row: x.row }));
      for (const f of p.failures) pendingFailures.push({ ts: f.ts, processId: id, f });
      const state: ProcessState = p.exitTs !== null ? 'exited' : p.running ? 'running' : 'unknown';
      processes.push({
        id,
        pid: p.pid,
        startBoot: p.startBoot,
        parentId: p.parent === null ? null : (idByKey.get(keyOf(p.parent)) ?? null),
        parentPid: p.parent?.pid ?? null,
        parentStartBoot: p.parent?.start ?? null,
        ppid: p.ppid,
        start: wall(p.startBoot),
        end: p.exitTs === null ? null : wall(p.exitTs),
        exitStatus: p.exitStatus,
        exitCode: p.exitCode,
        signal: p.signal,
        signalName: p.signalName,
        coreDumped: p.coreDumped,
        state,
        isRoot: i === rootIndex,
        forked: p.forked,
        threads: p.threads,
        execCount: p.execs.length,
        comm: p.comm,
      });
    });

    pendingExecs.sort((a, b) => cmpBig(a.ts, b.ts) || a.processId - b.processId || a.seq - b.seq);
    const execs: ExecRow[] = pendingExecs.map((x, i) => ({
      id: i + 1,
      processId: x.processId,
      seq: x.seq,
      time: wall(x.ts),
      ...x.row,
    }));
    pendingFailures.sort((a, b) => cmpBig(a.ts, b.ts) || a.processId - b.processId);
    const execFailures: ExecFailureRow[] = pendingFailures.map((x, i) => ({
      id: i + 1,
      processId: x.processId,
      time: wall(x.ts),
      path: x.f.path,
      pathTruncated: x.f.pathTruncated,
      errno: x.f.errno,
      errnoName: x.f.errnoName,
    }));
    const losses: LossRow[] = this.losses.map((l, i) => ({
      id: i + 1,
      time: wall(l.ts),
      category: l.category,
      categoryName: l.categoryName,
      count: l.count,
    }));

    return {
      meta: metaRows(header, footer, info, this.events, this.firstTs, this.lastTs),
      warnings: info.warnings,
      processes,
      execs,
      execFailures,
      envs: this.env.envs,
      envVars: this.env.vars,
      losses,
      events: this.events,
    };
  }
}

export interface FinishInfo {
  path: string;
  warnings: ReadWarning[];
  recordCounts: Record<string, number>;
  completeRecords: number;
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Header and footer fields as `meta` key/value rows (keys documented in SCHEMA.md). */
function metaRows(
  h: CaptureHeader,
  f: FooterInfo | null,
  info: FinishInfo,
  events: number,
  firstTs: bigint | null,
  lastTs: bigint | null,
): [string, MetaValue][] {
  const wall = (ts: bigint): bigint => h.start.realtime + (ts - h.start.boottime);
  const rows: [string, MetaValue][] = [
    ['source.path', info.path],
    ['source.records', info.completeRecords],
    ['source.record_counts', JSON.stringify(info.recordCounts)],
    ['source.events', events],
    ['format.version', `${h.versionMajor}.${h.versionMinor}`],
    ['capture.root_pid', h.rootPid],
    ['capture.capture_pid', h.capturePid],
    ['capture.options.env', h.options.env ? 1 : 0],
    ['capture.options.failed_execs', h.options.failedExecs ? 1 : 0],
    ['capture.options.keep_root', h.options.keepRoot ? 1 : 0],
    ['capture.options.raw', h.options.raw],
    ['capture.start_ns', h.start.realtime],
    ['capture.start_boottime_ns', h.start.boottime],
    ['capture.start_monotonic_ns', h.start.monotonic],
    ['capture.args_limit', h.argsLimit],
    ['capture.ringbuf_size', h.ringbufSize],
    ['capture.argv', JSON.stringify(h.captureArgv)],
    ['capture.command', JSON.stringify(h.commandArgv)],
    ['capture.ptrace_version', h.ptraceVersion],
    ['capture.traceparent', h.traceparent],
    ['host.kernel_release', h.kernelRelease],
    ['host.kernel_version', h.kernelVersion],
    ['host.hostname', h.hostname],
    ['host.machine', h.machine],
    ['host.boot_id', h.bootId],
    ['host.os_release', h.osRelease],
    ['capture.first_event_ns', firstTs === null ? null : wall(firstTs)],
    ['capture.last_event_ns', lastTs === null ? null : wall(lastTs)],
    ['footer.present', f === null ? 0 : 1],
  ];
  if (f !== null) {
    rows.push(
      ['footer.records', f.records],
      ['footer.lost', f.lost],
      ['capture.stop_ns', wall(f.stop.boottime)],
      ['capture.stop_realtime_ns', f.stop.realtime],
      ['capture.stop_boottime_ns', f.stop.boottime],
      ['capture.stop_monotonic_ns', f.stop.monotonic],
      ['footer.root_status', f.rootStatus],
      ['footer.processes', f.processes],
      ['footer.still_running', f.stillRunning],
      ['footer.signalled', f.signalled ? 1 : 0],
      ['footer.waited_all', f.waitedAll ? 1 : 0],
    );
  }
  return rows;
}
