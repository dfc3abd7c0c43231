// The records of a raw file as plain objects, field by field as stored: what
// the encoders of formats/records/ write (the writer of `ptrace redact`, and
// testkit/writer.ts for tests). The reader decodes to events instead.

import type { RawDns, RawDnsMsg, RawTcp } from '../decode.ts';
import type { ClockAnchor, ContainerIds, Rusage } from '../types.ts';

export type { RawDns, RawDnsMsg, RawTcp };

export interface RawHead {
  type: number;
  flags: number;
  tid: number;
  ts: bigint;
  start: bigint;
  pid: number;
  cpu: number;
}

export interface RawFork {
  kind: 'fork';
  head: RawHead;
  childStart: bigint;
  childPid: number;
  childPpid: number;
  /** Absent: zeros (not recorded, as before format 1.8). */
  childContainer?: ContainerIds;
}

export interface RawThread {
  kind: 'thread';
  head: RawHead;
  newTid: number;
}

export interface RawExec {
  kind: 'exec';
  head: RawHead;
  parentStart: bigint;
  ppid: number;
  oldTid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  nsPid: number;
  nsLevel: number;
  argc: number;
  envc: number;
  argvLen: number;
  envLen: number;
  comm: string;
  /** Absent: zeros (not recorded, as before format 1.8). */
  container?: ContainerIds;
}

export interface RawAttached {
  kind: 'attached';
  head: RawHead;
  parentStart: bigint;
  ppid: number;
  /** enum pt_attach_reason */
  reason: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  nsPid: number;
  nsLevel: number;
  argvLen: number;
  envLen: number;
  comm: string;
  container?: ContainerIds;
  nrThreads: number;
}

export interface RawCgroup {
  kind: 'cgroup';
  head: RawHead;
  cgroupId: bigint;
  level: number;
}

export interface RawExecFailed {
  kind: 'exec_failed';
  head: RawHead;
  /** As stored: a positive errno. */
  err: number;
  syscallNr: number;
}

export interface RawExit {
  kind: 'exit';
  head: RawHead;
  status: number;
  nrThreadsSeen: number;
  comm: string;
  /** The bytes of struct pt_rusage as they are: all zero in a format 1.0 file (the reader then says null). */
  rusage: Rusage;
}

export interface RawOpen {
  kind: 'open';
  head: RawHead;
  dirfd: number;
  /** The new fd, or -errno. */
  result: number;
  flags: number;
  mode: number;
  syscallNr: number;
  latencyNs: bigint;
}

export interface RawHist {
  kind: 'hist';
  head: RawHead;
  /** enum pt_hist_kind */
  histKind: number;
  count: bigint;
  totalNs: bigint;
  maxNs: bigint;
  /** HIST_BUCKETS (32) counts. */
  buckets: number[];
}

export interface RawData {
  kind: 'data';
  head: RawHead;
  ownerTs: bigint;
  offset: number;
  /** Written as given: a test can make it disagree with `data` or exceed DATA_MAX. */
  len: number;
  dataKind: number;
  dataFlags: number;
  /** The chunk's bytes (the first DATA_MAX are written). */
  data: Buffer;
}

export interface RawLoss {
  kind: 'loss';
  head: RawHead;
  category: number;
  count: bigint;
}

export interface RawRunning {
  kind: 'running';
  head: RawHead;
}

export interface RawFooter {
  kind: 'footer';
  head: RawHead;
  records: bigint;
  lost: bigint;
  stop: ClockAnchor;
  rootStatus: number;
  processes: number;
  stillRunning: number;
  endFlags: number;
}

/** A record of any type number with the given payload (a newer minor version, or corruption). */
export interface RawUnknown {
  kind: 'unknown';
  head: RawHead;
  /** The payload bytes (the first 224 are written). */
  payload: Buffer;
}

export type RawTcpRecord = { kind: 'tcp'; head: RawHead } & RawTcp;
export type RawDnsRecord = { kind: 'dns'; head: RawHead } & RawDns;
export type RawDnsMsgRecord = { kind: 'dns_msg'; head: RawHead } & RawDnsMsg;

export type RawRecord =
  | RawFork
  | RawThread
  | RawExec
  | RawAttached
  | RawCgroup
  | RawExecFailed
  | RawExit
  | RawOpen
  | RawHist
  | RawTcpRecord
  | RawDnsRecord
  | RawDnsMsgRecord
  | RawData
  | RawLoss
  | RawRunning
  | RawFooter
  | RawUnknown;
