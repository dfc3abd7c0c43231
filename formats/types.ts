// The logical view of a raw file, after the reader has decoded the fixed-layout
// records and joined continuation (PT_DATA) chunks back into whole strings.
// Everything under analyze/ works on these types, never on raw bytes.

/** PID-reuse-safe identity of a process: thread group id + leader start time (CLOCK_BOOTTIME ns). */
export interface ProcessKey {
  pid: number;
  start: bigint;
}

export interface ClockAnchor {
  realtime: bigint;
  boottime: bigint;
  monotonic: bigint;
}

/** PT_TLV_WRITE_STOP: the capture could not write (a full disk) and stopped writing there. */
export interface WriteStop {
  /** CLOCK_BOOTTIME ns when writing stopped. */
  ts: bigint;
  /** errno of the failed write (28 ENOSPC: disk full). */
  errno: number;
  errnoName: string;
  /** Whole records the file holds after the header. */
  records: bigint;
}

export interface CaptureHeader {
  versionMajor: number;
  versionMinor: number;
  littleEndian: boolean;
  headerSize: number;
  recordSize: number;
  rootPid: number;
  capturePid: number;
  options: {
    env: boolean;
    failedExecs: boolean;
    keepRoot: boolean;
    /** File opens captured (PT_OPEN records; format 1.1). */
    files: boolean;
    /** read/write/fsync latency histograms (--io; format 1.1). */
    io: boolean;
    /** Off-CPU time histograms (--sched; format 1.1). */
    sched: boolean;
    /** TCP connections (not --no-net; format 1.2). */
    net: boolean;
    /** getaddrinfo() lookups (not --no-dns; format 1.3). */
    dns: boolean;
    /** UDP port 53 messages (not --no-dns; format 1.4). */
    dnsMessages: boolean;
    /** Attached to running processes (--pid, --cgroup): no root command (format 1.8). */
    attach: boolean;
    raw: bigint;
  };
  start: ClockAnchor;
  argsLimit: number;
  ringbufSize: number;
  kernelRelease: string;
  kernelVersion: string;
  hostname: string;
  machine: string;
  ptraceVersion: string;
  /** The capture tool's own command line. */
  captureArgv: string[];
  /** The traced command as given. */
  commandArgv: string[];
  bootId: string;
  osRelease: string;
  /** W3C traceparent found in the capture's environment, '' if none. */
  traceparent: string;
  /** --pid: the processes attached to (format 1.8); empty otherwise. */
  attachPids: number[];
  /** --cgroup: the cgroup attached to, relative to the cgroup v2 root (format 1.8); '' otherwise. */
  attachCgroup: string;
  /** Where and why the capture stopped writing early (a full disk); absent if it did not (format 1.6). */
  writeStop?: WriteStop;
  /** TLVs this reader does not know: tag → raw value. */
  /** PT_TLV_REDACTION (1.7): the file was written by `ptrace redact` or `capture --redact`. */
  redaction?: Redaction;
  unknownTlvs: { tag: number; value: Buffer }[];
}

export interface CaptureFooter {
  records: bigint;
  lost: bigint;
  stop: ClockAnchor;
  rootStatus: number;
  processes: number;
  stillRunning: number;
  signalled: boolean;
  waitedAll: boolean;
  /** An attached capture stopped on SIGINT, SIGTERM or SIGHUP (format 1.8). */
  interrupted: boolean;
  /** An attached capture stopped after --duration (format 1.8). */
  durationElapsed: boolean;
  /** The checksums (format 1.7, `PT_END_CHECKSUM`), or null (an older file). */
  checksum: FooterChecksum | null;
}

/** What PT_TLV_REDACTION says: how the file was redacted, and what was replaced. */
export interface Redaction {
  rulesetVersion: number;
  dropEnv: boolean;
  anonymizePaths: boolean;
  userRules: boolean;
  atCapture: boolean;
  /** Secrets replaced, all rules together. */
  replaced: bigint;
  /** Rule id → replacements, as written (the rules that replaced something). */
  counts: Record<string, number>;
}

/** The footer's checksums: formats/integrity.ts checks them. */
export interface FooterChecksum {
  /** Of the whole file, these 4 bytes read as zero. */
  crc32: number;
  headerCrc32: number;
  /** Records per segment. */
  segmentRecords: number;
  /** One crc32 per segment (at most SEGMENTS_MAX). */
  segments: number[];
}

/**
 * Where a process runs (format 1.8): its cgroup v2 id and the inode numbers
 * of its namespaces, as the links in /proc/PID/ns name them.
 */
export interface ContainerIds {
  /** The cgroup v2 id (inode number of its directory); a `cgroup` event gives its path. */
  cgroupId: number;
  pidNs: number;
  mntNs: number;
  netNs: number;
  utsNs: number;
}

interface EventBase {
  /** CLOCK_BOOTTIME ns. */
  ts: bigint;
  /** The process the record is about. */
  process: ProcessKey;
  /** Thread that produced the record. */
  tid: number;
}

export interface ForkEvent extends EventBase {
  kind: 'fork';
  child: ProcessKey;
  /** Kernel real parent of the child (differs from `process` with CLONE_PARENT). */
  childPpid: number;
  /** The child's cgroup and namespaces right after the fork; null when not recorded (before 1.8). */
  childContainer?: ContainerIds | null;
}

export interface ThreadEvent extends EventBase {
  kind: 'thread';
  newTid: number;
}

/** A string that may have been cut at a documented limit (or by a lost chunk). */
export interface CapturedBytes {
  bytes: Buffer;
  truncated: boolean;
  /** Part of the string could not be read from user memory (those bytes are zeros); implies truncated. */
  faulted?: boolean;
}

/** Who an image runs as and under which names: what an exec, or the attach to a running process, records. */
export interface ImageIdentity {
  /** The kernel's parent pid then. */
  ppid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  /** pid inside the process's own pid namespace; equals process.pid when nsLevel is 0. */
  nsPid: number;
  nsLevel: number;
  comm: string;
}

export interface ExecEvent extends EventBase, ImageIdentity {
  kind: 'exec';
  parent: ProcessKey;
  oldTid: number;
  argc: number;
  envc: number;
  /** Path as passed to execve. */
  filename: CapturedBytes;
  /** Binary actually loaded for a #! script, null when it is the file itself. */
  interp: CapturedBytes | null;
  /** Absolute path of the executable. */
  exe: CapturedBytes;
  cwd: CapturedBytes;
  /** Exact argv strings (bytes, may be invalid UTF-8). */
  argv: Buffer[];
  argvTruncated: boolean;
  /** Exact environment strings "NAME=value"; null when the capture skipped env. */
  env: Buffer[] | null;
  envTruncated: boolean;
  /** Size in bytes of the argv area of the new image (the whole area, even when argv was cut). */
  argvLen?: number;
  /** Size in bytes of the environment area of the new image. */
  envLen?: number;
  /** The process's cgroup and namespaces after the exec; null when not recorded (before 1.8). */
  container?: ContainerIds | null;
}

/**
 * A process the capture did not see start (format 1.8): already running when
 * it attached (`running`), moved into the traced cgroup later (`joined`), or
 * forked into it by an untraced parent (`born`). Its strings were read from
 * /proc when the capture attached: argv as the process then showed it, the
 * environment it got at its exec.
 */
export interface AttachedEvent extends EventBase, ImageIdentity {
  kind: 'attached';
  /** running | joined | born, or `reason<N>`. */
  reason: string;
  parent: ProcessKey;
  exe: CapturedBytes;
  cwd: CapturedBytes;
  argv: Buffer[];
  argvTruncated: boolean;
  /** null when the capture skipped environments. */
  env: Buffer[] | null;
  envTruncated: boolean;
  argvLen: number;
  envLen: number;
  /** Threads it had when attached. */
  nrThreads: number;
  container: ContainerIds | null;
}

/** The path of a cgroup id the records name (format 1.8), relative to the cgroup v2 root. */
export interface CgroupEvent extends EventBase {
  kind: 'cgroup';
  cgroupId: number;
  /** Depth below the root cgroup (0: the root or unknown). */
  level: number;
  /** Empty and faulted when the cgroup was gone before the capture could name it. */
  path: CapturedBytes;
}

export interface ExecFailedEvent extends EventBase {
  kind: 'exec_failed';
  errno: number;
  /** Symbolic name (ENOENT…) or `E<n>`. */
  errnoName: string;
  filename: CapturedBytes;
  /** The failing system call's number (execve or execveat, architecture numbering). */
  syscallNr?: number;
}

export interface ExitEvent extends EventBase {
  kind: 'exit';
  /** Raw wait(2) status. */
  status: number;
  /** Exit code when the process exited normally, else null. */
  exitCode: number | null;
  /** Terminating signal number, else null. */
  signal: number | null;
  signalName: string | null;
  coreDumped: boolean;
  comm: string;
  /** Threads the capture saw in the process over its life. */
  nrThreadsSeen?: number;
  /** Resource usage of the whole process; null in a format 1.0 file, which does not record it. */
  rusage: Rusage | null;
}

/** Resource usage of a process at its exit, summed over its threads (struct pt_rusage). */
export interface Rusage {
  /** User CPU time. */
  utimeNs: bigint;
  /** System CPU time. */
  stimeNs: bigint;
  /** CPU time measured by the scheduler (precise; utime + stime may be tick-based). */
  runtimeNs: bigint;
  /** Peak resident set size, KiB. */
  maxrssKb: bigint;
  /** Minor page faults. */
  minFlt: bigint;
  /** Major page faults. */
  majFlt: bigint;
  /** Voluntary context switches. */
  nvcsw: bigint;
  /** Involuntary context switches. */
  nivcsw: bigint;
  /** Bytes passed to read-like system calls. */
  rchar: bigint;
  /** Bytes passed to write-like system calls. */
  wchar: bigint;
  /** Bytes fetched from storage (0 when the kernel does not account I/O). */
  readBytes: bigint;
  /** Bytes sent to storage (0 when the kernel does not account I/O). */
  writeBytes: bigint;
}

/** A file open (open, openat, openat2, creat) that returned, successfully or not. */
export interface OpenEvent extends EventBase {
  kind: 'open';
  /** Directory fd the path is relative to; AT_FDCWD (-100) for open/creat or the current directory. */
  dirfd: number;
  /** What the call returned: the new fd, or -errno. */
  result: number;
  /** The new fd, null when the open failed. */
  fd: number | null;
  /** Positive errno when the open failed, else null. */
  errno: number | null;
  /** Symbolic name (ENOENT…) or `E<n>` when the open failed, else null. */
  errnoName: string | null;
  /** O_* flags as passed (creat: O_CREAT|O_WRONLY|O_TRUNC). */
  flags: number;
  mode: number;
  /** The system call's number (architecture numbering). */
  syscallNr: number;
  /** From system call entry to exit. */
  latencyNs: bigint;
  /** The path argument as given (relative paths stay relative to dirfd). */
  path: CapturedBytes;
}

/**
 * A latency histogram of one process, written at its exit (after its exit
 * event): bucket i counts latencies in [2^i, 2^(i+1)) ns, bucket 0 also 0 ns.
 */
export interface HistEvent extends EventBase {
  kind: 'hist';
  /** read, write, fsync, offcpu, or `kind<N>` for a kind this reader does not know. */
  histKind: 'read' | 'write' | 'fsync' | 'offcpu' | (string & {});
  count: bigint;
  totalNs: bigint;
  maxNs: bigint;
  /** 32 log2 buckets. */
  buckets: number[];
}

export interface LossEvent extends EventBase {
  kind: 'loss';
  category: number;
  categoryName: string;
  /** Cumulative count since capture start. */
  count: bigint;
}

export interface RunningEvent extends EventBase {
  kind: 'running';
}

/** A TCP connection event (format 1.2), attributed to the socket's owner process. */
export interface TcpEvent extends EventBase {
  kind: 'tcp';
  /** connected | failed | accepted | closed | at-stop (1.5: not closed when the capture stopped), or `event<N>` for an unknown one. */
  event: string;
  /** client | server, or `role<N>`. */
  role: string;
  /** 4 or 6 (AF_INET / AF_INET6; an IPv4 peer of a dual-stack socket is an IPv4-mapped IPv6 address). */
  family: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** failed: the errno (ECONNREFUSED…), else null (a failed connect without one: the application closed it first). */
  errno: number | null;
  errnoName: string | null;
  /** The same on every event of one connection. */
  connId: number;
  /** CLOCK_BOOTTIME ns: connect() (client) or establishment (server). */
  startTs: bigint;
  /** connected/failed: connect() to ESTABLISHED or failure. */
  latencyNs: bigint;
  /** closed, at-stop: payload bytes each way. */
  bytesSent: bigint;
  bytesReceived: bigint;
  retransmits: number;
  /** at-stop: the kernel's TCP state then (ESTABLISHED, FIN_WAIT2…); else null. */
  tcpState: string | null;
  /** failed without errno: the last soft error the kernel noted (EHOSTUNREACH…), else null. */
  softErrno: number | null;
  softErrnoName: string | null;
}

/** A getaddrinfo() call of a traced process (format 1.3). */
export interface DnsEvent extends EventBase {
  kind: 'dns';
  /** The name looked up, as passed. */
  name: CapturedBytes;
  /** getaddrinfo's return: 0 or a (glibc, negative) EAI_* code. */
  result: number;
  /** null on success, else EAI_NONAME, EAI_AGAIN… or `EAI<n>`. */
  resultName: string | null;
  /** Addresses in the result list (the first 8 are in `answers`). */
  count: number;
  answers: { family: number; address: string }[];
  /** CLOCK_BOOTTIME ns of the call. */
  startTs: bigint;
  latencyNs: bigint;
}

/** A DNS message on UDP port 53 that a traced process sent, or received in reply (format 1.4). */
export interface DnsMessageEvent extends EventBase {
  kind: 'dns_msg';
  direction: 'sent' | 'received';
  /** 4 or 6. */
  family: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** UDP payload bytes of the datagram. */
  length: number;
  /** The message as captured: cut at 1232 bytes or where the packet's linear data ended (`truncated`). */
  message: CapturedBytes;
}

export type CaptureEvent =
  | ForkEvent
  | ThreadEvent
  | ExecEvent
  | AttachedEvent
  | CgroupEvent
  | ExecFailedEvent
  | ExitEvent
  | OpenEvent
  | HistEvent
  | LossEvent
  | RunningEvent
  | TcpEvent
  | DnsEvent
  | DnsMessageEvent;

/** Something wrong but recoverable, found while reading (truncated tail, orphan chunk, garbage after footer…). */
export interface ReadWarning {
  code: string;
  message: string;
}

export interface Capture {
  path: string;
  header: CaptureHeader;
  /** In file order. */
  events: CaptureEvent[];
  /** null when the file ended without a footer (crash, SIGKILL, full disk). */
  footer: FooterInfo | null;
  /** Record counts per record type name (fork, exec, data, …), as found in the file. */
  recordCounts: Record<string, number>;
  completeRecords: number;
  warnings: ReadWarning[];
}

export type FooterInfo = CaptureFooter;
