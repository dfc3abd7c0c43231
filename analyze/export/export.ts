// `export`: the processes table with each process's execs, failed execs,
// TCP connections, name lookups and DNS queries nested, as an Arrow IPC file
// or as JSON lines. Columns are documented in
// SCHEMA.md ("Export"). Arrow data is assembled with makeData so that
// nanosecond timestamps stay exact (the builders go through milliseconds).

import {
  Bool,
  type Data,
  type DataType,
  Field,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampNanosecond,
  tableToIPC,
  Utf8,
} from 'apache-arrow';
import { splitStrings } from '../../formats/nul-area.ts';
import { isoTime } from '../format.ts';
import { type CaptureInfo, lossWarning } from '../replay/capture-info.ts';
import type { Model } from '../replay/model.ts';

/** The model rows an export holds. */
export type ExportModel = Pick<
  Model,
  'processes' | 'execs' | 'execFailures' | 'connections' | 'dnsLookups' | 'dnsQueries'
>;

export interface ExportExec {
  seq: number;
  time_ns: bigint;
  exe: string;
  filename: string;
  interp: string | null;
  cwd: string;
  argv: string[];
  argv_truncated: boolean;
  env_truncated: boolean;
  uid: bigint;
  gid: bigint;
  euid: bigint;
  egid: bigint;
  comm: string;
  /** The image the process had when the capture attached (format 1.8), not an exec seen. */
  attached: boolean;
}

export interface ExportExecFailure {
  time_ns: bigint;
  path: string;
  errno: number;
  errno_name: string;
}

export interface ExportConnection {
  role: string;
  family: number;
  local_address: string;
  local_port: number;
  remote_address: string;
  remote_port: number;
  peer_name: string | null;
  start_ns: bigint;
  end_ns: bigint | null;
  connect_latency_ns: bigint | null;
  state: string;
  errno: number | null;
  errno_name: string | null;
  bytes_sent: bigint | null;
  bytes_received: bigint | null;
  retransmits: number | null;
  abandoned: boolean;
  /** 1/0, null when the file does not say (before format 1.5). */
  open_at_stop: number | null;
  tcp_state_at_stop: string | null;
}

export interface ExportLookup {
  time_ns: bigint;
  name: string;
  result: number;
  result_name: string | null;
  latency_ns: bigint;
  answers: string[];
}

export interface ExportDnsQuery {
  time_ns: bigint;
  server_address: string;
  server_port: number;
  name: string;
  type: string;
  rcode: number | null;
  rcode_name: string | null;
  latency_ns: bigint | null;
  answers: string[];
}

export interface ExportProcess {
  process_id: number;
  pid: number;
  ppid: number | null;
  parent_process_id: number | null;
  parent_pid: number | null;
  start_boot_ns: bigint;
  start_ns: bigint;
  end_ns: bigint | null;
  duration_ns: bigint | null;
  exit_code: number | null;
  signal: number | null;
  signal_name: string | null;
  core_dumped: boolean;
  state: string;
  is_root: boolean;
  threads: number;
  /** running, joined, born: a process an attached capture found (format 1.8); null otherwise. */
  attached: string | null;
  attached_ns: bigint | null;
  cgroup: string | null;
  container_id: string | null;
  container_runtime: string | null;
  pid_ns: bigint | null;
  mnt_ns: bigint | null;
  net_ns: bigint | null;
  uts_ns: bigint | null;
  execs: ExportExec[];
  exec_failures: ExportExecFailure[];
  connections: ExportConnection[];
  dns_lookups: ExportLookup[];
  dns_queries: ExportDnsQuery[];
}

/** Export rows of the model's processes, in (start, pid) order (the model's), each with its rows nested. */
export function exportRows(model: ExportModel): ExportProcess[] {
  const n = model.processes.length;
  const nested = <R extends { processId: number }, T>(rows: readonly R[], row: (r: R) => T): T[][] => {
    const out: T[][] = Array.from({ length: n }, () => []);
    for (const r of rows) out[r.processId - 1]?.push(row(r));
    return out;
  };
  // Each process's rows in the model's order: execs by seq, the others by time (then id).
  const execs = nested(
    model.execs,
    (x): ExportExec => ({
      seq: x.seq,
      time_ns: x.time,
      exe: x.exe,
      filename: x.filename,
      interp: x.interp,
      cwd: x.cwd,
      argv: splitStrings(x.argv).map((a) => a.toString('utf8')),
      argv_truncated: x.argvTruncated,
      env_truncated: x.envTruncated,
      uid: BigInt(x.uid),
      gid: BigInt(x.gid),
      euid: BigInt(x.euid),
      egid: BigInt(x.egid),
      comm: x.comm,
      attached: x.attached,
    }),
  );
  const failures = nested(
    model.execFailures,
    (f): ExportExecFailure => ({ time_ns: f.time, path: f.path, errno: f.errno, errno_name: f.errnoName }),
  );
  const connections = nested(
    model.connections,
    (c): ExportConnection => ({
      role: c.role,
      family: c.family,
      local_address: c.localAddress,
      local_port: c.localPort,
      remote_address: c.remoteAddress,
      remote_port: c.remotePort,
      peer_name: c.peerName,
      start_ns: c.start,
      end_ns: c.end,
      connect_latency_ns: c.latencyNs,
      state: c.state,
      errno: c.errno,
      errno_name: c.errnoName,
      bytes_sent: c.bytesSent,
      bytes_received: c.bytesReceived,
      retransmits: c.retransmits,
      abandoned: c.abandoned,
      open_at_stop: c.openAtStop === null ? null : c.openAtStop ? 1 : 0,
      tcp_state_at_stop: c.tcpStateAtStop,
    }),
  );
  const lookups = nested(
    model.dnsLookups,
    (d): ExportLookup => ({
      time_ns: d.time,
      name: d.name,
      result: d.result,
      result_name: d.resultName,
      latency_ns: d.latencyNs,
      answers: d.answers.map((a) => a.address),
    }),
  );
  const queries = nested(
    model.dnsQueries,
    (q): ExportDnsQuery => ({
      time_ns: q.time,
      server_address: q.server,
      server_port: q.serverPort,
      name: q.name,
      type: q.type,
      rcode: q.rcode,
      rcode_name: q.rcodeName,
      latency_ns: q.latencyNs,
      answers: q.answers,
    }),
  );
  const big = (v: number | null): bigint | null => (v === null ? null : BigInt(v));
  return model.processes.map(
    (p, i): ExportProcess => ({
      process_id: p.id,
      pid: p.pid,
      ppid: p.ppid,
      parent_process_id: p.parentId,
      parent_pid: p.parentPid,
      start_boot_ns: p.startBoot,
      start_ns: p.start,
      end_ns: p.end,
      duration_ns: p.end === null ? null : p.end - p.start,
      exit_code: p.exitCode,
      signal: p.signal,
      signal_name: p.signalName,
      core_dumped: p.coreDumped,
      state: p.state,
      is_root: p.isRoot,
      threads: p.threads,
      attached: p.attached,
      attached_ns: p.attachedAt,
      cgroup: p.cgroup,
      container_id: p.containerId,
      container_runtime: p.containerRuntime,
      pid_ns: big(p.pidNs),
      mnt_ns: big(p.mntNs),
      net_ns: big(p.netNs),
      uts_ns: big(p.utsNs),
      execs: execs[i]!,
      exec_failures: failures[i]!,
      connections: connections[i]!,
      dns_lookups: lookups[i]!,
      dns_queries: queries[i]!,
    }),
  );
}

// ---------------------------------------------------------------- JSON lines

/** Export format version (Arrow schema metadata `ptrace.export.version`, JSON lines header `ptrace_export`). */
export const EXPORT_VERSION = 4;

/** Whether the capture is whole: the same figures info, stats, db, tree and otel report. */
export interface ExportCompleteness {
  /** The file had a footer. */
  complete: boolean;
  lost_records: number;
  /** Records lost per category (only categories with losses). */
  losses: Record<string, number>;
  /** The reader's warnings and the loss warning: where the data is incomplete. */
  warnings: { code: string; message: string }[];
}

export function exportCompleteness(c: CaptureInfo): ExportCompleteness {
  const loss = lossWarning(c);
  return {
    complete: c.complete,
    lost_records: c.lost,
    losses: Object.fromEntries(c.losses.map((l) => [l.category, l.count])),
    warnings: [...c.warnings, ...(loss === null ? [] : [loss])],
  };
}

/**
 * JSON lines: a header line (`{"ptrace_export": 3, "complete": …, "lost_records": …, "losses": {…}, "warnings": […]}`),
 * then one JSON object per process. ns timestamps as decimal strings (exact), plus ISO 8601 times.
 */
export function* jsonLines(rows: readonly ExportProcess[], completeness: ExportCompleteness): Generator<string> {
  yield JSON.stringify({ ptrace_export: EXPORT_VERSION, ...completeness });
  const ns = (v: bigint | null): string | null => (v === null ? null : v.toString());
  const iso = (v: bigint | null): string | null => (v === null ? null : isoTime(v));
  for (const p of rows) {
    yield JSON.stringify({
      process_id: p.process_id,
      pid: p.pid,
      ppid: p.ppid,
      parent_process_id: p.parent_process_id,
      parent_pid: p.parent_pid,
      start_boot_ns: ns(p.start_boot_ns),
      start_ns: ns(p.start_ns),
      start_time: iso(p.start_ns),
      end_ns: ns(p.end_ns),
      end_time: iso(p.end_ns),
      duration_ns: p.duration_ns === null ? null : Number(p.duration_ns),
      exit_code: p.exit_code,
      signal: p.signal,
      signal_name: p.signal_name,
      core_dumped: p.core_dumped,
      state: p.state,
      is_root: p.is_root,
      threads: p.threads,
      attached: p.attached,
      attached_ns: ns(p.attached_ns),
      cgroup: p.cgroup,
      container_id: p.container_id,
      container_runtime: p.container_runtime,
      pid_ns: p.pid_ns === null ? null : Number(p.pid_ns),
      mnt_ns: p.mnt_ns === null ? null : Number(p.mnt_ns),
      net_ns: p.net_ns === null ? null : Number(p.net_ns),
      uts_ns: p.uts_ns === null ? null : Number(p.uts_ns),
      execs: p.execs.map((x) => ({
        seq: x.seq,
        time_ns: ns(x.time_ns),
        time: iso(x.time_ns),
        exe: x.exe,
        filename: x.filename,
        interp: x.interp,
        cwd: x.cwd,
        argv: x.argv,
        argv_truncated: x.argv_truncated,
        env_truncated: x.env_truncated,
        uid: Number(x.uid),
        gid: Number(x.gid),
        euid: Number(x.euid),
        egid: Number(x.egid),
        comm: x.comm,
        attached: x.attached,
      })),
      exec_failures: p.exec_failures.map((f) => ({
        time_ns: ns(f.time_ns),
        time: iso(f.time_ns),
        path: f.path,
        errno: f.errno,
        errno_name: f.errno_name,
      })),
      connections: p.connections.map((c) => ({
        ...c,
        start_ns: ns(c.start_ns),
        start_time: iso(c.start_ns),
        end_ns: ns(c.end_ns),
        end_time: iso(c.end_ns),
        connect_latency_ns: c.connect_latency_ns === null ? null : Number(c.connect_latency_ns),
        bytes_sent: c.bytes_sent === null ? null : Number(c.bytes_sent),
        bytes_received: c.bytes_received === null ? null : Number(c.bytes_received),
      })),
      dns_lookups: p.dns_lookups.map((l) => ({
        ...l,
        time_ns: ns(l.time_ns),
        time: iso(l.time_ns),
        latency_ns: Number(l.latency_ns),
      })),
      dns_queries: p.dns_queries.map((q) => ({
        ...q,
        time_ns: ns(q.time_ns),
        time: iso(q.time_ns),
        latency_ns: q.latency_ns === null ? null : Number(q.latency_ns),
      })),
    });
  }
}

// ---------------------------------------------------------------- Arrow

type Col<R> =
  | { name: string; kind: 'int32'; get: (r: R) => number | null }
  | { name: string; kind: 'int64'; get: (r: R) => bigint | null }
  | { name: string; kind: 'timestamp'; get: (r: R) => bigint | null }
  | { name: string; kind: 'bool'; get: (r: R) => boolean }
  | { name: string; kind: 'utf8'; get: (r: R) => string | null }
  | { name: string; kind: 'utf8list'; get: (r: R) => string[] }
  | { name: string; kind: 'structlist'; get: (r: R) => unknown[]; cols: Col<never>[] };

const execCols: Col<ExportExec>[] = [
  { name: 'seq', kind: 'int32', get: (x) => x.seq },
  { name: 'time', kind: 'timestamp', get: (x) => x.time_ns },
  { name: 'exe', kind: 'utf8', get: (x) => x.exe },
  { name: 'filename', kind: 'utf8', get: (x) => x.filename },
  { name: 'interp', kind: 'utf8', get: (x) => x.interp },
  { name: 'cwd', kind: 'utf8', get: (x) => x.cwd },
  { name: 'argv', kind: 'utf8list', get: (x) => x.argv },
  { name: 'argv_truncated', kind: 'bool', get: (x) => x.argv_truncated },
  { name: 'env_truncated', kind: 'bool', get: (x) => x.env_truncated },
  { name: 'uid', kind: 'int64', get: (x) => x.uid },
  { name: 'gid', kind: 'int64', get: (x) => x.gid },
  { name: 'euid', kind: 'int64', get: (x) => x.euid },
  { name: 'egid', kind: 'int64', get: (x) => x.egid },
  { name: 'comm', kind: 'utf8', get: (x) => x.comm },
  { name: 'attached', kind: 'bool', get: (x) => x.attached },
];

const failureCols: Col<ExportExecFailure>[] = [
  { name: 'time', kind: 'timestamp', get: (f) => f.time_ns },
  { name: 'path', kind: 'utf8', get: (f) => f.path },
  { name: 'errno', kind: 'int32', get: (f) => f.errno },
  { name: 'errno_name', kind: 'utf8', get: (f) => f.errno_name },
];

const connectionCols: Col<ExportConnection>[] = [
  { name: 'role', kind: 'utf8', get: (c) => c.role },
  { name: 'family', kind: 'int32', get: (c) => c.family },
  { name: 'local_address', kind: 'utf8', get: (c) => c.local_address },
  { name: 'local_port', kind: 'int32', get: (c) => c.local_port },
  { name: 'remote_address', kind: 'utf8', get: (c) => c.remote_address },
  { name: 'remote_port', kind: 'int32', get: (c) => c.remote_port },
  { name: 'peer_name', kind: 'utf8', get: (c) => c.peer_name },
  { name: 'start', kind: 'timestamp', get: (c) => c.start_ns },
  { name: 'end', kind: 'timestamp', get: (c) => c.end_ns },
  { name: 'connect_latency_ns', kind: 'int64', get: (c) => c.connect_latency_ns },
  { name: 'state', kind: 'utf8', get: (c) => c.state },
  { name: 'errno', kind: 'int32', get: (c) => c.errno },
  { name: 'errno_name', kind: 'utf8', get: (c) => c.errno_name },
  { name: 'bytes_sent', kind: 'int64', get: (c) => c.bytes_sent },
  { name: 'bytes_received', kind: 'int64', get: (c) => c.bytes_received },
  { name: 'retransmits', kind: 'int32', get: (c) => c.retransmits },
  { name: 'abandoned', kind: 'bool', get: (c) => c.abandoned },
  { name: 'open_at_stop', kind: 'int32', get: (c) => c.open_at_stop },
  { name: 'tcp_state_at_stop', kind: 'utf8', get: (c) => c.tcp_state_at_stop },
];

const lookupCols: Col<ExportLookup>[] = [
  { name: 'time', kind: 'timestamp', get: (l) => l.time_ns },
  { name: 'name', kind: 'utf8', get: (l) => l.name },
  { name: 'result', kind: 'int32', get: (l) => l.result },
  { name: 'result_name', kind: 'utf8', get: (l) => l.result_name },
  { name: 'latency_ns', kind: 'int64', get: (l) => l.latency_ns },
  { name: 'answers', kind: 'utf8list', get: (l) => l.answers },
];

const queryCols: Col<ExportDnsQuery>[] = [
  { name: 'time', kind: 'timestamp', get: (q) => q.time_ns },
  { name: 'server_address', kind: 'utf8', get: (q) => q.server_address },
  { name: 'server_port', kind: 'int32', get: (q) => q.server_port },
  { name: 'name', kind: 'utf8', get: (q) => q.name },
  { name: 'type', kind: 'utf8', get: (q) => q.type },
  { name: 'rcode', kind: 'int32', get: (q) => q.rcode },
  { name: 'rcode_name', kind: 'utf8', get: (q) => q.rcode_name },
  { name: 'latency_ns', kind: 'int64', get: (q) => q.latency_ns },
  { name: 'answers', kind: 'utf8list', get: (q) => q.answers },
];

const processCols: Col<ExportProcess>[] = [
  { name: 'process_id', kind: 'int32', get: (p) => p.process_id },
  { name: 'pid', kind: 'int32', get: (p) => p.pid },
  { name: 'ppid', kind: 'int32', get: (p) => p.ppid },
  { name: 'parent_process_id', kind: 'int32', get: (p) => p.parent_process_id },
  { name: 'parent_pid', kind: 'int32', get: (p) => p.parent_pid },
  { name: 'start_boot_ns', kind: 'int64', get: (p) => p.start_boot_ns },
  { name: 'start', kind: 'timestamp', get: (p) => p.start_ns },
  { name: 'end', kind: 'timestamp', get: (p) => p.end_ns },
  { name: 'duration_ns', kind: 'int64', get: (p) => p.duration_ns },
  { name: 'exit_code', kind: 'int32', get: (p) => p.exit_code },
  { name: 'signal', kind: 'int32', get: (p) => p.signal },
  { name: 'signal_name', kind: 'utf8', get: (p) => p.signal_name },
  { name: 'core_dumped', kind: 'bool', get: (p) => p.core_dumped },
  { name: 'state', kind: 'utf8', get: (p) => p.state },
  { name: 'is_root', kind: 'bool', get: (p) => p.is_root },
  { name: 'threads', kind: 'int32', get: (p) => p.threads },
  { name: 'attached', kind: 'utf8', get: (p) => p.attached },
  { name: 'attached_time', kind: 'timestamp', get: (p) => p.attached_ns },
  { name: 'cgroup', kind: 'utf8', get: (p) => p.cgroup },
  { name: 'container_id', kind: 'utf8', get: (p) => p.container_id },
  { name: 'container_runtime', kind: 'utf8', get: (p) => p.container_runtime },
  { name: 'pid_ns', kind: 'int64', get: (p) => p.pid_ns },
  { name: 'mnt_ns', kind: 'int64', get: (p) => p.mnt_ns },
  { name: 'net_ns', kind: 'int64', get: (p) => p.net_ns },
  { name: 'uts_ns', kind: 'int64', get: (p) => p.uts_ns },
  { name: 'execs', kind: 'structlist', get: (p) => p.execs, cols: execCols as Col<never>[] },
  { name: 'exec_failures', kind: 'structlist', get: (p) => p.exec_failures, cols: failureCols as Col<never>[] },
  { name: 'connections', kind: 'structlist', get: (p) => p.connections, cols: connectionCols as Col<never>[] },
  { name: 'dns_lookups', kind: 'structlist', get: (p) => p.dns_lookups, cols: lookupCols as Col<never>[] },
  { name: 'dns_queries', kind: 'structlist', get: (p) => p.dns_queries, cols: queryCols as Col<never>[] },
];

function arrowType(c: Col<never>): DataType {
  switch (c.kind) {
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'timestamp':
      return new TimestampNanosecond('UTC');
    case 'bool':
      return new Bool();
    case 'utf8':
      return new Utf8();
    case 'utf8list':
      return new List(new Field('item', new Utf8(), false));
    case 'structlist':
      return new List(new Field('item', new Struct(c.cols.map(field)), false));
  }
}

function nullable(c: Col<never>): boolean {
  return c.kind === 'int32' || c.kind === 'int64' || c.kind === 'timestamp' || c.kind === 'utf8';
}

function field(c: Col<never>): Field {
  return new Field(c.name, arrowType(c), nullable(c));
}

class Validity {
  readonly bits: Uint8Array;
  nulls = 0;
  constructor(n: number) {
    this.bits = new Uint8Array(Math.ceil(n / 8) || 1);
  }
  set(i: number, valid: boolean): void {
    if (valid) this.bits[i >> 3]! |= 1 << (i & 7);
    else this.nulls++;
  }
}

function utf8Data(values: readonly (string | null)[]): Data {
  const v = new Validity(values.length);
  const offsets = new Int32Array(values.length + 1);
  const bufs: Buffer[] = [];
  let pos = 0;
  values.forEach((s, i) => {
    v.set(i, s !== null);
    if (s !== null) {
      const b = Buffer.from(s, 'utf8');
      bufs.push(b);
      pos += b.length;
    }
    offsets[i + 1] = pos;
  });
  return makeData({
    type: new Utf8(),
    length: values.length,
    nullCount: v.nulls,
    nullBitmap: v.nulls > 0 ? v.bits : undefined,
    valueOffsets: offsets,
    data: new Uint8Array(Buffer.concat(bufs, pos)),
  });
}

function columnData(c: Col<never>, rows: readonly unknown[]): Data {
  const n = rows.length;
  const get = c.get as (r: unknown) => unknown;
  switch (c.kind) {
    case 'int32': {
      const v = new Validity(n);
      const data = new Int32Array(n);
      rows.forEach((r, i) => {
        const x = get(r) as number | null;
        v.set(i, x !== null);
        if (x !== null) data[i] = x;
      });
      return makeData({
        type: new Int32(),
        length: n,
        nullCount: v.nulls,
        nullBitmap: v.nulls > 0 ? v.bits : undefined,
        data,
      });
    }
    case 'int64':
    case 'timestamp': {
      const v = new Validity(n);
      const data = new BigInt64Array(n);
      rows.forEach((r, i) => {
        const x = get(r) as bigint | null;
        v.set(i, x !== null);
        if (x !== null) data[i] = x;
      });
      const props = { length: n, nullCount: v.nulls, nullBitmap: v.nulls > 0 ? v.bits : undefined, data };
      return c.kind === 'int64'
        ? makeData({ type: new Int64(), ...props })
        : makeData({ type: new TimestampNanosecond('UTC'), ...props });
    }
    case 'bool': {
      const data = new Uint8Array(Math.ceil(n / 8) || 1);
      rows.forEach((r, i) => {
        if (get(r) === true) data[i >> 3]! |= 1 << (i & 7);
      });
      return makeData({ type: new Bool(), length: n, nullCount: 0, data });
    }
    case 'utf8':
      return utf8Data(rows.map((r) => get(r) as string | null));
    case 'utf8list': {
      const offsets = new Int32Array(n + 1);
      const flat: string[] = [];
      rows.forEach((r, i) => {
        for (const s of get(r) as string[]) flat.push(s);
        offsets[i + 1] = flat.length;
      });
      return makeData({
        type: arrowType(c) as List,
        length: n,
        nullCount: 0,
        valueOffsets: offsets,
        child: utf8Data(flat),
      });
    }
    case 'structlist': {
      const offsets = new Int32Array(n + 1);
      const flat: unknown[] = [];
      rows.forEach((r, i) => {
        for (const s of get(r) as unknown[]) flat.push(s);
        offsets[i + 1] = flat.length;
      });
      return makeData({
        type: arrowType(c) as List,
        length: n,
        nullCount: 0,
        valueOffsets: offsets,
        child: structData(c.cols, flat),
      });
    }
  }
}

function structData(cols: readonly Col<never>[], rows: readonly unknown[]): Data<Struct> {
  return makeData({
    type: new Struct(cols.map(field)),
    length: rows.length,
    nullCount: 0,
    children: cols.map((c) => columnData(c, rows)),
  });
}

/** The Arrow schema of the export (one row per process). */
export function exportSchema(completeness: ExportCompleteness): Schema {
  return new Schema(
    (processCols as Col<never>[]).map(field),
    new Map([
      ['ptrace.export.version', String(EXPORT_VERSION)],
      ['ptrace.capture.complete', String(completeness.complete)],
      ['ptrace.capture.lost_records', String(completeness.lost_records)],
      ['ptrace.capture.losses', JSON.stringify(completeness.losses)],
      ['ptrace.capture.warnings', JSON.stringify(completeness.warnings)],
    ]),
  );
}

/** Arrow IPC file bytes. */
export function toArrowIpc(rows: readonly ExportProcess[], completeness: ExportCompleteness): Uint8Array {
  const schema = exportSchema(completeness);
  const batch = new RecordBatch(schema, structData(processCols as Col<never>[], rows));
  return tableToIPC(new Table(schema, [batch]), 'file');
}
