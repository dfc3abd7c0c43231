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

export interface CaptureHeader {
  versionMajor: number;
  versionMinor: number;
  littleEndian: boolean;
  headerSize: number;
  recordSize: number;
  rootPid: number;
  capturePid: number;
  options: { env: boolean; failedExecs: boolean; keepRoot: boolean; raw: bigint };
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
  /** TLVs this reader does not know: tag → raw value. */
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

export interface ExecEvent extends EventBase {
  kind: 'exec';
  parent: ProcessKey;
  ppid: number;
  oldTid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  /** pid inside the process's own pid namespace; equals process.pid when nsLevel is 0. */
  nsPid: number;
  nsLevel: number;
  comm: string;
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

export type CaptureEvent = ForkEvent | ThreadEvent | ExecEvent | ExecFailedEvent | ExitEvent | LossEvent | RunningEvent;

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
