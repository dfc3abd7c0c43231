// Events → rows. A ModelBuilder consumes the reader's logical events one at a
// time (so a big file never has to be held as events) and, once the header
// and footer are known, produces the rows of every table in SCHEMA.md.
// Pure: no I/O, no SQLite.

import { stringArea } from '../../formats/nul-area.ts';
import { execAreas } from '../../formats/records/index.ts';
import type {
  AttachedEvent,
  CapturedBytes,
  CaptureEvent,
  CaptureHeader,
  ContainerIds,
  DnsEvent,
  DnsMessageEvent,
  ExecEvent,
  FooterInfo,
  ImageIdentity,
  ProcessKey,
  ReadWarning,
  Rusage,
  TcpEvent,
} from '../../formats/types.ts';
import { containerOf } from './container.ts';
import { splitCpuTime } from './cputime.ts';
import { type DnsQueryRow, pairDnsMessages, peerNames, queriesAsLookups } from './dns.ts';
import { ByteArena, EnvInterner, type EnvRow, type EnvVarRow } from './env.ts';
import { OpenPathResolver, openSyscallName } from './files.ts';

export type { DnsQueryRow } from './dns.ts';

export type ProcessState = 'exited' | 'running' | 'unknown';

/** A process that failed: it exited with a non-zero code or was killed by a signal. */
export function processFailed(p: { state: string; exitCode: number | null; signal: number | null }): boolean {
  return p.state === 'exited' && (p.signal !== null || (p.exitCode !== null && p.exitCode !== 0));
}

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
  /** Not seen starting (format 1.8): running (when the capture attached), joined (the traced cgroup), born (into it); null: seen from its fork or as the root. */
  attached: string | null;
  /** Wall clock ns when the capture attached it; null unless attached. */
  attachedAt: bigint | null;
  /** cgroup v2 id and path (relative to the cgroup root) last recorded for it; null when not recorded (before 1.8) or the path is unknown. */
  cgroupId: number | null;
  cgroup: string | null;
  /** The container its cgroup names (container.ts), else null. */
  containerId: string | null;
  containerRuntime: string | null;
  /** Namespace inode numbers last recorded for it; null when not recorded. */
  pidNs: number | null;
  mntNs: number | null;
  netNs: number | null;
  utsNs: number | null;
}

/** An image of a process (execs table): an exec, or the image a process had when the capture attached. */
export interface ExecRow extends ImageIdentity {
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
  /** Exact argv bytes: every argument followed by one NUL (stringsJson() in formats/nul-area.ts gives the JSON text stored beside it). */
  argv: Buffer;
  /** Arguments captured (may be fewer than argcKernel when truncated). */
  argc: number;
  argcKernel: number;
  envc: number;
  argvTruncated: boolean;
  envTruncated: boolean;
  /** null when the capture did not record environments. */
  envId: number | null;
  /** The image the process had when the capture attached (format 1.8), read from /proc then: not an exec seen. */
  attached: boolean;
}

/** The exec row with id `id`: ids are dense from 1, in the model's order (undefined for null or no such row). */
export function execById(execs: readonly ExecRow[], id: number | null): ExecRow | undefined {
  if (id === null) return undefined;
  const x = execs[id - 1];
  return x?.id === id ? x : undefined;
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

/** A file open that returned (opens table). */
export interface OpenRow {
  id: number;
  processId: number;
  /** Wall clock ns of the return. */
  time: bigint;
  syscallNr: number;
  /** open, openat, openat2, creat, or `syscall<N>`. */
  syscall: string;
  dirfd: number;
  /** The path as given. */
  path: string;
  pathTruncated: boolean;
  /** Absolute path, resolved at replay (files.ts resolveOpenPath); null when it cannot be. */
  resolved: string | null;
  flags: number;
  mode: number;
  /** The new fd; null when the open failed. */
  fd: number | null;
  errno: number | null;
  errnoName: string | null;
  latencyNs: bigint;
}

/**
 * Resource usage as numbers: the reader clamps every field to 2^53 - 1
 * (formats/values.ts), so they are exact; a model holds one per process, and
 * twelve bigints each were most of its heap objects.
 */
export type Usage = { [K in keyof Rusage]: number };

/** A process's resource usage at exit (resources table): only processes whose exit recorded it. */
export interface ResourceRow extends Usage {
  processId: number;
}

/** The usage of a PT_EXIT's rusage, CPU time split as the kernel does (cputime.ts), as a resources row (process id set by finish()). */
function resourceRow(r: Rusage): ResourceRow {
  const u = splitCpuTime(r);
  return {
    processId: 0,
    utimeNs: Number(u.utimeNs),
    stimeNs: Number(u.stimeNs),
    runtimeNs: Number(u.runtimeNs),
    maxrssKb: Number(u.maxrssKb),
    minFlt: Number(u.minFlt),
    majFlt: Number(u.majFlt),
    nvcsw: Number(u.nvcsw),
    nivcsw: Number(u.nivcsw),
    rchar: Number(u.rchar),
    wchar: Number(u.wchar),
    readBytes: Number(u.readBytes),
    writeBytes: Number(u.writeBytes),
  };
}

/** A latency histogram of one process (histograms table). */
export interface HistRow {
  id: number;
  processId: number;
  /** read, write, fsync, offcpu, kind<N>. */
  kind: string;
  count: bigint;
  totalNs: bigint;
  maxNs: bigint;
  /** 32 log2 buckets: bucket i counts [2^i, 2^(i+1)) ns. */
  buckets: number[];
}

/** connections.state: established (connected or accepted; closed, or closed unseen), failed (connect failed), open-at-end (no close record). */
export type ConnectionState = 'established' | 'failed' | 'open-at-end';

/** A TCP connection of a traced process (connections table; format 1.2). */
export interface ConnectionRow {
  id: number;
  processId: number;
  /** The capture's connection id (the same on all its records). */
  connId: number;
  /** client (this side connected) | server (this side accepted), or `role<N>`. */
  role: string;
  /** 4 or 6. */
  family: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Wall clock ns: connect() (client) or establishment (server). */
  start: bigint;
  /** Wall clock ns of the close or the failure; null when still open at the end of the capture. */
  end: bigint | null;
  /** connect() to established or to the failure; null for server connections and when the record was lost. */
  latencyNs: bigint | null;
  state: ConnectionState;
  /** failed: the kernel's error; abandoned: the last error the kernel had noted for it (EHOSTUNREACH…), or null. */
  errno: number | null;
  errnoName: string | null;
  /** A failed connect that the application gave up on (closed the socket before any answer, no error from the kernel). */
  abandoned: boolean;
  /** At close, or when the capture stopped (null when neither was recorded). */
  bytesSent: bigint | null;
  bytesReceived: bigint | null;
  retransmits: number | null;
  /** true: the application still had the connection open when the capture stopped; false: it had closed it (close or failure recorded, or closing at the stop); null: neither recorded (a file before format 1.5, a lost record, another network namespace). */
  openAtStop: boolean | null;
  /** The kernel's TCP state when the capture stopped (ESTABLISHED, FIN_WAIT2…), for connections not yet at CLOSE then. */
  tcpStateAtStop: string | null;
  /** Client connections: the name of the lookup that gave the remote address (dns.ts peerNames, pseudo reverse DNS); else null. */
  peerName: string | null;
}

/** One answer of a name lookup: family 4 or 6 and the address as text. */
export interface DnsAnswer {
  family: number;
  address: string;
}

/** A getaddrinfo() call of a traced process (dns_lookups table; format 1.3). */
export interface DnsLookupRow {
  id: number;
  processId: number;
  /** Wall clock ns of the call. */
  time: bigint;
  name: string;
  nameTruncated: boolean;
  /** 0 or the (glibc, negative) EAI_* code. */
  result: number;
  /** null on success, else EAI_NONAME, EAI_AGAIN… */
  resultName: string | null;
  latencyNs: bigint;
  /** Addresses in the result list (answers holds the first 8). */
  count: number;
  answers: DnsAnswer[];
}

export type MetaValue = string | number | bigint | null;

export interface ModelSource {
  path: string;
  header: CaptureHeader;
  footer: FooterInfo | null;
  /** Wall clock ns of the last event (null: no events). */
  lastEventNs: bigint | null;
}

export interface Model {
  /** Where the rows came from, typed: CaptureInfo is built from these; `meta` holds them flattened for SQLite. */
  source: ModelSource;
  meta: [string, MetaValue][];
  warnings: ReadWarning[];
  processes: ProcessRow[];
  execs: ExecRow[];
  execFailures: ExecFailureRow[];
  envs: EnvRow[];
  envVars: EnvVarRow[];
  losses: LossRow[];
  /** File opens in time order (empty unless the capture recorded them). */
  opens: OpenRow[];
  /** Resource usage of the processes whose exit recorded it, in process id order. */
  resources: ResourceRow[];
  /** Latency histograms, by process id then kind. */
  histograms: HistRow[];
  /** TCP connections in (start, process id, connection id) order (empty unless the capture recorded them). */
  connections: ConnectionRow[];
  /** Name lookups in (time, process id) order (empty unless the capture recorded them). */
  dnsLookups: DnsLookupRow[];
  /** DNS queries seen on the wire, with their replies, in time order (format 1.4). */
  dnsQueries: DnsQueryRow[];
  /** With ModelOptions.streamOpens: what became of the open rows handed to the sink (`opens` is then empty). */
  streamedOpens?: StreamedRows;
  /** Logical events consumed. */
  events: number;
}

/**
 * Rows handed to a sink as they arrived, with provisional ids: the arrival
 * number as id, the creation number of the process as process id. They are
 * the model's rows when `final`; otherwise the model's rows are the same
 * rows with `processIds[creation number - 1]` as process id, numbered again
 * in (time, process id, id) order.
 */
export interface StreamedRows {
  rows: number;
  final: boolean;
  processIds: Int32Array;
}

export interface ModelOptions {
  /** false skips the model's environments (faster; for commands that never look at them). Default true. */
  env?: boolean;
  /**
   * Hands each open row to this function as it arrives instead of keeping it
   * (Model.opens stays empty, Model.streamedOpens says how to complete the
   * rows); begin(header) must be called before the first event.
   */
  streamOpens?: (row: OpenRow) => void;
}

interface ProcState {
  pid: number;
  startBoot: bigint;
  /** Start, ns relative to the builder's base (first event), for sorting without bigints. */
  startRel: number;
  /** Earlier process with the same pid (pid reuse). */
  samePid: ProcState | null;
  parent: ProcessKey | null;
  ppid: number | null;
  forked: boolean;
  exitRel: number | null;
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
  execCount: number;
  /** First exec or exec attempt, relative; null before any. */
  firstExecRel: number | null;
  /** Creation index (position in ModelBuilder.states). */
  order: number;
  /** Working directory of the current image (its exec's; inherited at fork); null when unknown or truncated. */
  cwd: string | null;
  /** Resource usage at exit; null when not recorded (1.0 file, all zeros, no exit). */
  rusage: ResourceRow | null;
  hists: { kind: string; count: bigint; totalNs: bigint; maxNs: bigint; buckets: number[] }[] | null;
  /** running | joined | born when the capture attached it; null otherwise. */
  attached: string | null;
  attachedRel: number | null;
  container: ContainerIds | null;
}

/**
 * The root's kernel start time is its fork by the capture, which then waits
 * for the BPF programs to load: that wait is ptrace's, not the command's. The
 * root starts at its first exec (or exec attempt), the one start every
 * report uses, so that nothing lies before the capture's start.
 */
function startRootAtItsExec(states: readonly ProcState[], rootPid: number): void {
  const root = states.find((p) => p.pid === rootPid && !p.forked);
  if (root?.firstExecRel != null && root.firstExecRel > root.startRel) root.startRel = root.firstExecRel;
}

/** TCP states in which the application has not closed the socket (the kernel finishes the others on its own). */
const OPEN_BY_APPLICATION = new Set(['ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'CLOSE_WAIT']);
function openByApplication(tcpState: string | null): boolean {
  return tcpState !== null && OPEN_BY_APPLICATION.has(tcpState);
}

function rusageRecorded(r: Rusage | null): r is Rusage {
  if (r === null) return false;
  return (
    r.utimeNs !== 0n ||
    r.stimeNs !== 0n ||
    r.runtimeNs !== 0n ||
    r.maxrssKb !== 0n ||
    r.minFlt !== 0n ||
    r.majFlt !== 0n ||
    r.nvcsw !== 0n ||
    r.nivcsw !== 0n ||
    r.rchar !== 0n ||
    r.wchar !== 0n ||
    r.readBytes !== 0n ||
    r.writeBytes !== 0n
  );
}

/** Exact argv bytes: every argument followed by one NUL (the kernel's layout). */
export function argvBlob(argv: readonly Buffer[], arena = new ByteArena(4096)): Buffer {
  return arena.copy(stringArea(argv));
}

export class ModelBuilder {
  private readonly procs = new Map<number, ProcState>();
  /** Processes in creation order. */
  private readonly states: ProcState[] = [];
  // Exec and failed-exec rows are created final as events arrive (no second
  // copy at finish); ids, process ids and wall times are filled in by finish()
  // from these parallel arrays (relative time, creating process).
  private readonly execRows: ExecRow[] = [];
  private readonly execRel: number[] = [];
  private readonly execProc: ProcState[] = [];
  private readonly failRows: ExecFailureRow[] = [];
  private readonly failRel: number[] = [];
  private readonly failProc: ProcState[] = [];
  private readonly openRows: OpenRow[] = [];
  private readonly openRel: number[] = [];
  private readonly openProc: ProcState[] = [];
  /** Connections by capture connection id (unique within a file), in first-seen order. */
  private readonly conns = new Map<
    number,
    { p: ProcState; row: ConnectionRow; startRel: number; endRel: number | null }
  >();
  private readonly dnsRows: DnsLookupRow[] = [];
  private readonly dnsRel: number[] = [];
  private readonly dnsProc: ProcState[] = [];
  private readonly dnsMessages: { rel: number; proc: ProcState; event: DnsMessageEvent }[] = [];
  private readonly arena = new ByteArena();
  private readonly env = new EnvInterner(this.arena);
  /** Environments are interned (false: env ids stay null; for commands that never show them). */
  private readonly withEnv: boolean;
  /** One copy of each repeated string (paths, cwd, comm): rows share them. */
  private readonly strings = new Map<string, string>();
  private readonly paths = new OpenPathResolver((s) => this.intern(s));
  private readonly losses: { rel: number; category: number; categoryName: string; count: bigint }[] = [];
  /** cgroup id → path, from the capture's cgroup records. */
  private readonly cgroupPaths = new Map<number, string>();
  private order = 0;
  /** Boot-clock ns all relative times count from: the first event's timestamp. */
  private base: bigint | null = null;
  private firstRel = Infinity;
  private lastRel = -Infinity;
  events = 0;

  /** Where open rows go as they arrive, instead of Model.opens (see ModelOptions.streamOpens). */
  private readonly openSink: ((row: OpenRow) => void) | null;
  private header: CaptureHeader | null = null;
  private openCount = 0;
  private lastOpenRel = -Infinity;
  private lastOpenProc: ProcState | null = null;
  /** A streamed open arrived before an earlier one in (time, process) order. */
  private openOrderBroken = false;
  private readonly syscallNames = new Map<number, string>();
  /** The wall clock at relative time 0, once the first event has set it. */
  private streamWallBase: bigint | null = null;

  constructor(opts: ModelOptions = {}) {
    this.withEnv = opts.env ?? true;
    this.openSink = opts.streamOpens ?? null;
  }

  /** The capture's header, known before its events: needed before the first event when opens are streamed. */
  begin(header: CaptureHeader): void {
    this.header = header;
  }

  private rel(ts: bigint): number {
    if (this.base === null) this.base = ts;
    return Number(ts - this.base);
  }

  private proc(k: ProcessKey): ProcState {
    const head = this.procs.get(k.pid);
    for (let p: ProcState | null = head ?? null; p !== null; p = p.samePid) if (p.startBoot === k.start) return p;
    const p: ProcState = {
      pid: k.pid,
      startBoot: k.start,
      startRel: this.rel(k.start),
      samePid: head ?? null,
      parent: null,
      ppid: null,
      forked: false,
      exitRel: null,
      exitStatus: null,
      exitCode: null,
      signal: null,
      signalName: null,
      coreDumped: false,
      running: false,
      threads: 1,
      comm: null,
      envId: null,
      execCount: 0,
      firstExecRel: null,
      order: this.order++,
      cwd: null,
      rusage: null,
      hists: null,
      attached: null,
      attachedRel: null,
      container: null,
    };
    this.procs.set(k.pid, p);
    this.states.push(p);
    return p;
  }

  add(e: CaptureEvent): void {
    this.events++;
    switch (e.kind) {
      case 'fork': {
        this.seen(e.ts);
        const parent = this.proc(e.process);
        const child = this.proc(e.child);
        child.forked = true;
        child.parent = e.process;
        child.ppid = e.childPpid;
        if (child.envId === null) child.envId = parent.envId;
        if (child.cwd === null) child.cwd = parent.cwd;
        child.container = e.childContainer ?? parent.container;
        break;
      }
      case 'thread':
        this.seen(e.ts);
        this.proc(e.process).threads++;
        break;
      case 'exec':
        this.addExec(e, this.seen(e.ts));
        break;
      case 'attached':
        this.addAttached(e, this.seen(e.ts));
        break;
      case 'cgroup':
        if (!e.path.truncated) this.cgroupPaths.set(e.cgroupId, this.str(e.path.bytes));
        break;
      case 'exec_failed': {
        const rel = this.seen(e.ts);
        const p = this.proc(e.process);
        p.firstExecRel ??= rel;
        this.failRel.push(rel);
        this.failProc.push(p);
        this.failRows.push({
          id: 0,
          processId: 0,
          time: 0n,
          path: this.str(e.filename.bytes),
          pathTruncated: e.filename.truncated,
          errno: e.errno,
          errnoName: this.intern(e.errnoName),
        });
        break;
      }
      case 'exit': {
        const rel = this.seen(e.ts);
        const p = this.proc(e.process);
        p.exitRel = rel;
        p.exitStatus = e.status;
        p.exitCode = e.exitCode;
        p.signal = e.signal;
        p.signalName = e.signalName;
        p.coreDumped = e.coreDumped;
        p.comm = this.intern(e.comm);
        if (rusageRecorded(e.rusage)) p.rusage = resourceRow(e.rusage);
        break;
      }
      case 'open': {
        const p = this.proc(e.process);
        const path = this.str(e.path.bytes);
        const resolved = e.path.truncated ? null : this.paths.resolve(path, e.dirfd, p.cwd);
        const rel = this.seen(e.ts);
        const row: OpenRow = {
          id: 0,
          processId: 0,
          time: 0n,
          syscallNr: e.syscallNr,
          syscall: '',
          dirfd: e.dirfd,
          path,
          pathTruncated: e.path.truncated,
          resolved,
          flags: e.flags,
          mode: e.mode,
          fd: e.fd,
          errno: e.errno,
          errnoName: e.errnoName === null ? null : this.intern(e.errnoName),
          latencyNs: e.latencyNs,
        };
        if (this.openSink !== null) this.streamOpen(row, rel, p);
        else {
          this.openRel.push(rel);
          this.openProc.push(p);
          this.openRows.push(row);
        }
        break;
      }
      case 'hist': {
        const p = this.proc(e.process);
        (p.hists ??= []).push({
          kind: e.histKind,
          count: e.count,
          totalNs: e.totalNs,
          maxNs: e.maxNs,
          buckets: e.buckets,
        });
        break;
      }
      case 'loss':
        this.losses.push({ rel: this.rel(e.ts), category: e.category, categoryName: e.categoryName, count: e.count });
        break;
      case 'running':
        this.seen(e.ts);
        this.proc(e.process).running = true;
        break;
      case 'tcp':
        this.addTcp(e);
        break;
      case 'dns':
        this.addDns(e);
        break;
      case 'dns_msg':
        this.dnsMessages.push({ rel: this.seen(e.ts), proc: this.proc(e.process), event: e });
        break;
    }
  }

  private addDns(e: DnsEvent): void {
    this.seen(e.ts);
    this.dnsRel.push(this.rel(e.startTs === 0n ? e.ts - e.latencyNs : e.startTs));
    this.dnsProc.push(this.proc(e.process));
    this.dnsRows.push({
      id: 0,
      processId: 0,
      time: 0n,
      name: this.str(e.name.bytes),
      nameTruncated: e.name.truncated,
      result: e.result,
      resultName: e.resultName === null ? null : this.intern(e.resultName),
      latencyNs: e.latencyNs,
      count: e.count,
      answers: e.answers.map((a) => ({ family: a.family, address: this.intern(a.address) })),
    });
  }

  private addTcp(e: TcpEvent): void {
    const rel = this.seen(e.ts);
    let c = this.conns.get(e.connId);
    if (c === undefined) {
      const p = this.proc(e.process);
      c = {
        p,
        startRel: this.rel(e.startTs === 0n ? e.ts : e.startTs),
        endRel: null,
        row: {
          id: 0,
          processId: 0,
          connId: e.connId,
          role: this.intern(e.role),
          family: e.family,
          localAddress: this.intern(e.localAddress),
          localPort: e.localPort,
          remoteAddress: this.intern(e.remoteAddress),
          remotePort: e.remotePort,
          start: 0n,
          end: null,
          latencyNs: null,
          state: 'open-at-end',
          errno: null,
          errnoName: null,
          abandoned: false,
          bytesSent: null,
          bytesReceived: null,
          retransmits: null,
          openAtStop: null,
          tcpStateAtStop: null,
          peerName: null,
        },
      };
      this.conns.set(e.connId, c);
    }
    const r = c.row;
    switch (e.event) {
      case 'connected':
        r.latencyNs = e.latencyNs;
        break;
      case 'failed': {
        r.latencyNs = e.latencyNs;
        r.state = 'failed';
        // No error from the kernel: the application closed the socket first (its own timeout, or it gave up).
        r.abandoned = e.errno === null;
        r.openAtStop = false;
        r.errno = e.errno ?? e.softErrno;
        const name = e.errnoName ?? e.softErrnoName;
        r.errnoName = name === null ? null : this.intern(name);
        c.endRel = rel;
        break;
      }
      case 'closed':
        if (r.state !== 'failed') r.state = 'established';
        r.bytesSent = e.bytesSent;
        r.bytesReceived = e.bytesReceived;
        r.retransmits = e.retransmits;
        // The local port of a closed socket is the one it had while connected; keep a known one.
        if (r.localPort === 0) r.localPort = e.localPort;
        r.openAtStop = false;
        c.endRel = rel;
        break;
      case 'at-stop':
        r.bytesSent = e.bytesSent;
        r.bytesReceived = e.bytesReceived;
        r.retransmits = e.retransmits;
        r.tcpStateAtStop = e.tcpState === null ? null : this.intern(e.tcpState);
        if (r.localPort === 0) r.localPort = e.localPort;
        r.openAtStop = openByApplication(e.tcpState);
        if (!r.openAtStop && r.state === 'open-at-end') {
          // closed by the application, the kernel still finishing the close (FIN_WAIT2…): its end is the stop
          r.state = 'established';
          c.endRel = rel;
        }
        break;
      default:
        break;
    }
  }

  /**
   * Completes an open row as it arrives and hands it to the sink: its id is
   * its arrival number and its process id the process's creation number,
   * which finish() confirms (Model.streamedOpens) or corrects.
   */
  private streamOpen(row: OpenRow, rel: number, p: ProcState): void {
    const h = this.header;
    if (h === null) throw new Error('ModelBuilder: begin(header) must come before the events when opens are streamed');
    const d = this.lastOpenRel - rel;
    if (d > 0 || (d === 0 && this.lastOpenProc!.order > p.order)) this.openOrderBroken = true;
    this.lastOpenRel = rel;
    this.lastOpenProc = p;
    row.id = ++this.openCount;
    row.processId = p.order + 1;
    row.time = (this.streamWallBase ??= wallBaseOf(h, this.base!)) + BigInt(rel);
    row.syscall = this.syscallName(row.syscallNr, h.machine);
    this.openSink!(row);
  }

  private syscallName(nr: number, machine: string): string {
    let name = this.syscallNames.get(nr);
    if (name === undefined) this.syscallNames.set(nr, (name = openSyscallName(nr, machine)));
    return name;
  }

  private intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }

  private str(b: Buffer): string {
    return this.intern(b.toString('utf8'));
  }

  private seen(ts: bigint): number {
    const r = this.rel(ts);
    if (r > this.lastRel) this.lastRel = r;
    if (r < this.firstRel) this.firstRel = r;
    return r;
  }

  private addExec(e: ExecEvent, rel: number): void {
    const p = this.proc(e.process);
    if (!p.forked && p.parent === null) {
      p.parent = e.parent;
      p.ppid = e.ppid;
    }
    const areas = execAreas(e);
    const envId = this.imagePlace(p, areas.env, e.cwd);
    if (e.container != null) p.container = e.container;
    const argv = this.arena.copy(areas.argv);
    p.firstExecRel ??= rel;
    this.addImage(p, rel, {
      id: 0,
      processId: 0,
      seq: 0,
      time: 0n,
      exe: this.str(e.exe.bytes),
      exeTruncated: e.exe.truncated,
      filename: this.str(e.filename.bytes),
      filenameTruncated: e.filename.truncated,
      interp: e.interp === null ? null : this.str(e.interp.bytes),
      cwd: this.str(e.cwd.bytes),
      cwdTruncated: e.cwd.truncated,
      argv,
      argc: areas.argc,
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
      comm: this.intern(e.comm),
      ppid: e.ppid,
      attached: false,
    });
  }

  /** A new image's environment (its strings' area; null: not captured) and cwd become its process's; returns the env id. */
  private imagePlace(p: ProcState, env: Buffer | null, cwd: CapturedBytes): number | null {
    p.envId = env === null || !this.withEnv ? null : this.env.internArea(env, p.envId);
    p.cwd = cwd.truncated ? null : this.str(cwd.bytes);
    return p.envId;
  }

  /** A new image of `p` at `rel`: its exec row (id, process id, seq and time set by finish()). */
  private addImage(p: ProcState, rel: number, row: ExecRow): void {
    p.execCount++;
    this.execRel.push(rel);
    this.execProc.push(p);
    this.execRows.push(row);
  }

  /** A process the capture attached to: its parent, its image then (an exec row marked attached), where it runs. */
  private addAttached(e: AttachedEvent, rel: number): void {
    const p = this.proc(e.process);
    if (p.attached !== null || p.forked) return; // a repeated record: the first one stands
    p.attached = e.reason;
    p.attachedRel = rel;
    p.parent = e.parent;
    p.ppid = e.ppid;
    p.threads = Math.max(p.threads, e.nrThreads);
    p.container = e.container;
    const envId = this.imagePlace(p, e.env === null ? null : stringArea(e.env), e.cwd);
    const argv = this.arena.copy(stringArea(e.argv));
    const exe = this.str(e.exe.bytes);
    // its images: the attached one is seq 0, so the last is always seq execCount - 1
    this.addImage(p, rel, {
      id: 0,
      processId: 0,
      seq: 0,
      time: 0n,
      exe,
      exeTruncated: e.exe.truncated,
      filename: exe,
      filenameTruncated: e.exe.truncated,
      interp: null,
      cwd: this.str(e.cwd.bytes),
      cwdTruncated: e.cwd.truncated,
      argv,
      argc: e.argv.length,
      argcKernel: e.argv.length,
      envc: e.env?.length ?? 0,
      argvTruncated: e.argvTruncated,
      envTruncated: e.envTruncated,
      envId,
      uid: e.uid,
      gid: e.gid,
      euid: e.euid,
      egid: e.egid,
      nsPid: e.nsPid,
      nsLevel: e.nsLevel,
      comm: this.intern(e.comm),
      ppid: e.ppid,
      attached: true,
    });
  }

  /** The cgroup, container and namespaces of a process, as ProcessRow columns. */
  private placeOf(
    p: ProcState,
  ): Pick<
    ProcessRow,
    'cgroupId' | 'cgroup' | 'containerId' | 'containerRuntime' | 'pidNs' | 'mntNs' | 'netNs' | 'utsNs'
  > {
    const c = p.container;
    const cgroup = c === null || c.cgroupId === 0 ? null : (this.cgroupPaths.get(c.cgroupId) ?? null);
    const ref = cgroup === null ? null : containerOf(cgroup);
    const ns = (n: number | undefined): number | null => (n === undefined || n === 0 ? null : n);
    return {
      cgroupId: c === null || c.cgroupId === 0 ? null : c.cgroupId,
      cgroup,
      containerId: ref === null ? null : this.intern(ref.id),
      containerRuntime: ref === null ? null : this.intern(ref.runtime),
      pidNs: ns(c?.pidNs),
      mntNs: ns(c?.mntNs),
      netNs: ns(c?.netNs),
      utsNs: ns(c?.utsNs),
    };
  }

  /** Rows of every table, ids assigned in (start, pid) order. */
  finish(header: CaptureHeader, footer: FooterInfo | null, info: FinishInfo): Model {
    const base = this.base ?? header.start.boottime;
    // Wall clock of a relative time: one bigint addition.
    const wallBase = wallBaseOf(header, base);
    const wall = (rel: number): bigint => wallBase + BigInt(rel);
    startRootAtItsExec(this.states, header.rootPid);
    const sorted = [...this.states].sort((a, b) => a.startRel - b.startRel || a.pid - b.pid || a.order - b.order);
    const idOf = new Int32Array(this.states.length);
    sorted.forEach((p, i) => (idOf[p.order] = i + 1));
    const idOfKey = (k: ProcessKey): number | null => {
      for (let p = this.procs.get(k.pid) ?? null; p !== null; p = p.samePid)
        if (p.startBoot === k.start) return idOf[p.order]!;
      return null;
    };

    // The root: the process with the header's root pid that nobody in the capture forked.
    const root = sorted.find((p) => p.pid === header.rootPid && !p.forked) ?? null;
    const processes: ProcessRow[] = sorted.map((p, i) => ({
      id: i + 1,
      pid: p.pid,
      startBoot: p.startBoot,
      parentId: p.parent === null ? null : idOfKey(p.parent),
      parentPid: p.parent?.pid ?? null,
      parentStartBoot: p.parent?.start ?? null,
      ppid: p.ppid,
      start: wall(p.startRel),
      end: p.exitRel === null ? null : wall(p.exitRel),
      exitStatus: p.exitStatus,
      exitCode: p.exitCode,
      signal: p.signal,
      signalName: p.signalName,
      coreDumped: p.coreDumped,
      state: p.exitRel !== null ? 'exited' : p.running ? 'running' : 'unknown',
      isRoot: p === root,
      forked: p.forked,
      threads: p.threads,
      execCount: p.execCount,
      comm: p.comm,
      attached: p.attached,
      attachedAt: p.attachedRel === null ? null : wall(p.attachedRel),
      ...this.placeOf(p),
    }));

    // Execs: (time, process id, file order); seq counts each process's execs in that order.
    const rank = (p: ProcState): number => idOf[p.order]!;
    const seqOf = new Int32Array(this.states.length);
    const execs = inTimeOrder(this.execRows, this.execRel, this.execProc, rank, (row, id, p, rel) => {
      row.id = id;
      row.processId = rank(p);
      row.seq = seqOf[p.order]!++;
      row.time = wall(rel);
    });
    const execFailures = inTimeOrder(this.failRows, this.failRel, this.failProc, rank, (row, id, p, rel) => {
      row.id = id;
      row.processId = rank(p);
      row.time = wall(rel);
    });
    const opens = inTimeOrder(this.openRows, this.openRel, this.openProc, rank, (row, id, p, rel) => {
      row.id = id;
      row.processId = rank(p);
      row.time = wall(rel);
      row.syscall = this.syscallName(row.syscallNr, header.machine);
    });
    let streamedOpens: StreamedRows | undefined;
    if (this.openSink !== null) {
      let sameIds = true;
      for (let i = 0; i < idOf.length && sameIds; i++) sameIds = idOf[i] === i + 1;
      streamedOpens = { rows: this.openCount, final: sameIds && !this.openOrderBroken, processIds: idOf };
    }
    const resources: ResourceRow[] = [];
    const histograms: HistRow[] = [];
    for (let i = 0; i < sorted.length; i++) {
      const p = sorted[i]!;
      if (p.rusage !== null) {
        p.rusage.processId = i + 1;
        resources.push(p.rusage);
      }
      if (p.hists !== null) {
        for (const h of [...p.hists].sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0))) {
          histograms.push({ id: histograms.length + 1, processId: i + 1, ...h });
        }
      }
    }
    const connList = [...this.conns.values()].sort(
      (a, b) => a.startRel - b.startRel || idOf[a.p.order]! - idOf[b.p.order]! || a.row.connId - b.row.connId,
    );
    const connections: ConnectionRow[] = new Array(connList.length);
    for (let i = 0; i < connList.length; i++) {
      const c = connList[i]!;
      const row = c.row;
      row.id = i + 1;
      row.processId = idOf[c.p.order]!;
      row.start = wall(c.startRel);
      row.end = c.endRel === null ? null : wall(c.endRel);
      connections[i] = row;
    }
    const dnsLookups = inTimeOrder(this.dnsRows, this.dnsRel, this.dnsProc, rank, (row, id, p, rel) => {
      row.id = id;
      row.processId = rank(p);
      row.time = wall(rel);
    });
    const dnsQueries = pairDnsMessages(
      this.dnsMessages.map((m) => ({ rel: m.rel, processId: rank(m.proc), time: wall(m.rel), event: m.event })),
    );
    if ((dnsLookups.length > 0 || dnsQueries.length > 0) && connections.length > 0) {
      const lookups = [...dnsLookups, ...queriesAsLookups(dnsQueries)];
      const names = peerNames(connections, lookups, (id) => processes[id - 1]?.parentId ?? null);
      for (let i = 0; i < connections.length; i++) connections[i]!.peerName = names[i]!;
    }
    const losses: LossRow[] = this.losses.map((l, i) => ({
      id: i + 1,
      time: wall(l.rel),
      category: l.category,
      categoryName: l.categoryName,
      count: l.count,
    }));

    const lastEventNs = this.lastRel === -Infinity ? null : wall(this.lastRel);
    return {
      source: { path: info.path, header, footer, lastEventNs },
      meta: metaRows(
        header,
        footer,
        info,
        this.events,
        this.firstRel === Infinity ? null : wall(this.firstRel),
        lastEventNs,
      ),
      warnings: info.warnings,
      processes,
      execs,
      execFailures,
      envs: this.env.envs,
      envVars: this.env.vars,
      losses,
      opens,
      resources,
      histograms,
      connections,
      dnsLookups,
      dnsQueries,
      ...(streamedOpens === undefined ? {} : { streamedOpens }),
      events: this.events,
    };
  }
}

/** The wall clock at relative time 0 (boot-clock `base`). */
function wallBaseOf(header: CaptureHeader, base: bigint): bigint {
  return header.start.realtime + (base - header.start.boottime);
}

/**
 * `rows` in (time, process id, arrival) order, each completed by `fill` with
 * its id (1, 2, …), process and relative time. Rows usually arrive in that
 * order already (the capture writes records in time order): then they are
 * not sorted.
 */
function inTimeOrder<R>(
  rows: R[],
  rel: readonly number[],
  procs: readonly ProcState[],
  rank: (p: ProcState) => number,
  fill: (row: R, id: number, p: ProcState, rel: number) => void,
): R[] {
  let ordered = true;
  for (let i = 1; i < rows.length && ordered; i++) {
    const d = rel[i - 1]! - rel[i]!;
    ordered = d < 0 || (d === 0 && rank(procs[i - 1]!) <= rank(procs[i]!));
  }
  let order: number[] | null = null;
  if (!ordered) {
    order = Array.from({ length: rows.length }, (_, i) => i);
    order.sort((a, b) => rel[a]! - rel[b]! || rank(procs[a]!) - rank(procs[b]!) || a - b);
  }
  const out: R[] = ordered ? rows : new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const k = order === null ? i : order[i]!;
    fill(rows[k]!, i + 1, procs[k]!, rel[k]!);
    out[i] = rows[k]!;
  }
  return out;
}

export interface FinishInfo {
  path: string;
  warnings: ReadWarning[];
  recordCounts: Record<string, number>;
  completeRecords: number;
}

/** Header and footer fields as `meta` key/value rows (keys documented in SCHEMA.md). */
function metaRows(
  h: CaptureHeader,
  f: FooterInfo | null,
  info: FinishInfo,
  events: number,
  firstEvent: bigint | null,
  lastEvent: bigint | null,
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
    ['capture.options.files', h.options.files ? 1 : 0],
    ['capture.options.io', h.options.io ? 1 : 0],
    ['capture.options.sched', h.options.sched ? 1 : 0],
    ['capture.options.net', h.options.net ? 1 : 0],
    ['capture.options.dns', h.options.dns ? 1 : 0],
    ['capture.options.dns_messages', h.options.dnsMessages ? 1 : 0],
    // A u64 bit mask; SQLite integers are int64: the same 64 bits, read as signed (negative when bit 63 is set).
    ['capture.options.raw', BigInt.asIntN(64, h.options.raw)],
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
    ['capture.first_event_ns', firstEvent],
    ['capture.last_event_ns', lastEvent],
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
