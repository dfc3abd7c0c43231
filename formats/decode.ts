// Fixed-layout records → raw record objects. Pure functions over bytes: no
// joining, no naming, no I/O. Offsets come from layout.ts; byte order is the
// file header's (a raw file may be little or big endian).

import type { ClockAnchor, Rusage } from './types.ts';
import {
  ANCHOR,
  COMM_LEN,
  DATA,
  DATA_MAX,
  EXEC,
  EXEC_FAILED,
  EXIT,
  FOOTER,
  FORK,
  HEAD,
  HEAD_SIZE,
  HIST,
  TCP,
  DNS,
  DNS_ANSWERS,
  DNS_MSG,
  HIST_BUCKETS,
  LOSS,
  OPEN,
  RECORD_SIZE,
  RT,
  RUSAGE,
  THREAD,
} from './layout.ts';

/** A buffer and a DataView over the same bytes (build once per buffer with `bytesOf`). */
export interface Bytes {
  buf: Buffer;
  dv: DataView;
}

export function bytesOf(buf: Buffer): Bytes {
  return { buf, dv: new DataView(buf.buffer, buf.byteOffset, buf.byteLength) };
}

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

export interface RawTcp {
  kind: 'tcp';
  head: RawHead;
  event: number;
  role: number;
  /** AF_INET (2) or AF_INET6 (10). */
  family: number;
  localPort: number;
  remotePort: number;
  error: number;
  connId: number;
  /** 16 bytes each, network order. */
  localAddr: Buffer;
  remoteAddr: Buffer;
  startTs: bigint;
  latencyNs: bigint;
  bytesSent: bigint;
  bytesReceived: bigint;
  retransmits: number;
  /** AT_STOP: the kernel's TCP state number (1.5); 0 otherwise. */
  tcpState: number;
  /** FAILED with error 0: the last soft error (1.5); 0 otherwise. */
  softError: number;
}

export interface RawDns {
  kind: 'dns';
  head: RawHead;
  result: number;
  count: number;
  startTs: bigint;
  latencyNs: bigint;
  /** DNS_ANSWERS entries; family 0 past the last. */
  families: number[];
  /** DNS_ANSWERS × 16 bytes, network order. */
  addrs: Buffer[];
}

export interface RawDnsMsg {
  kind: 'dns_msg';
  head: RawHead;
  direction: number;
  family: number;
  localPort: number;
  remotePort: number;
  length: number;
  captured: number;
  /** 16 bytes each, network order. */
  localAddr: Buffer;
  remoteAddr: Buffer;
}

export interface RawData {
  kind: 'data';
  head: RawHead;
  ownerTs: bigint;
  offset: number;
  /** As stored; may exceed DATA_MAX in a corrupt file (`data` is clamped). */
  len: number;
  dataKind: number;
  dataFlags: number;
  /** A view into the source buffer (not a copy): data[0 .. min(len, 208)). */
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

/** A record of a type this reader does not know (a newer minor version, or corruption). */
export interface RawUnknown {
  kind: 'unknown';
  head: RawHead;
  /** A view of the 224 payload bytes. */
  payload: Buffer;
}

export type RawRecord =
  | RawFork
  | RawThread
  | RawExec
  | RawExecFailed
  | RawExit
  | RawOpen
  | RawHist
  | RawTcp
  | RawDns
  | RawDnsMsg
  | RawData
  | RawLoss
  | RawRunning
  | RawFooter
  | RawUnknown;

/** Record type of the record at `off`, without decoding anything else. */
export function recordType(b: Bytes, off: number, le: boolean): number {
  return b.dv.getUint16(off + HEAD.type, le);
}

export function decodeHead(b: Bytes, off: number, le: boolean): RawHead {
  const dv = b.dv;
  return {
    type: dv.getUint16(off + HEAD.type, le),
    flags: dv.getUint16(off + HEAD.flags, le),
    tid: dv.getUint32(off + HEAD.tid, le),
    ts: dv.getBigUint64(off + HEAD.ts, le),
    start: dv.getBigUint64(off + HEAD.start, le),
    pid: dv.getUint32(off + HEAD.pid, le),
    cpu: dv.getUint32(off + HEAD.cpu, le),
  };
}

/** A fixed-size char array up to its first NUL, as UTF-8. */
export function decodeCString(buf: Buffer, off: number, size: number): string {
  let end = off;
  const max = off + size;
  while (end < max && buf[end] !== 0) end++;
  return buf.toString('utf8', off, end);
}

export function decodeAnchor(b: Bytes, off: number, le: boolean): ClockAnchor {
  return {
    realtime: b.dv.getBigUint64(off + ANCHOR.realtime, le),
    boottime: b.dv.getBigUint64(off + ANCHOR.boottime, le),
    monotonic: b.dv.getBigUint64(off + ANCHOR.monotonic, le),
  };
}

export function decodeFork(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawFork {
  const dv = b.dv;
  return {
    kind: 'fork',
    head,
    childStart: dv.getBigUint64(off + FORK.child_start, le),
    childPid: dv.getUint32(off + FORK.child_pid, le),
    childPpid: dv.getUint32(off + FORK.child_ppid, le),
  };
}

export function decodeThread(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawThread {
  return { kind: 'thread', head, newTid: b.dv.getUint32(off + THREAD.new_tid, le) };
}

export function decodeExec(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawExec {
  const dv = b.dv;
  return {
    kind: 'exec',
    head,
    parentStart: dv.getBigUint64(off + EXEC.parent_start, le),
    ppid: dv.getUint32(off + EXEC.ppid, le),
    oldTid: dv.getUint32(off + EXEC.old_tid, le),
    uid: dv.getUint32(off + EXEC.uid, le),
    gid: dv.getUint32(off + EXEC.gid, le),
    euid: dv.getUint32(off + EXEC.euid, le),
    egid: dv.getUint32(off + EXEC.egid, le),
    nsPid: dv.getUint32(off + EXEC.ns_pid, le),
    nsLevel: dv.getUint32(off + EXEC.ns_level, le),
    argc: dv.getUint32(off + EXEC.argc, le),
    envc: dv.getUint32(off + EXEC.envc, le),
    argvLen: dv.getUint32(off + EXEC.argv_len, le),
    envLen: dv.getUint32(off + EXEC.env_len, le),
    comm: decodeCString(b.buf, off + EXEC.comm, COMM_LEN),
  };
}

export function decodeExecFailed(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawExecFailed {
  return {
    kind: 'exec_failed',
    head,
    err: b.dv.getInt32(off + EXEC_FAILED.err, le),
    syscallNr: b.dv.getUint32(off + EXEC_FAILED.syscall_nr, le),
  };
}

/** struct pt_rusage at `off` (the struct's own start, e.g. record + EXIT.rusage). */
export function decodeRusage(b: Bytes, off: number, le: boolean): Rusage {
  const dv = b.dv;
  return {
    utimeNs: dv.getBigUint64(off + RUSAGE.utime_ns, le),
    stimeNs: dv.getBigUint64(off + RUSAGE.stime_ns, le),
    runtimeNs: dv.getBigUint64(off + RUSAGE.runtime_ns, le),
    maxrssKb: dv.getBigUint64(off + RUSAGE.maxrss_kb, le),
    minFlt: dv.getBigUint64(off + RUSAGE.min_flt, le),
    majFlt: dv.getBigUint64(off + RUSAGE.maj_flt, le),
    nvcsw: dv.getBigUint64(off + RUSAGE.nvcsw, le),
    nivcsw: dv.getBigUint64(off + RUSAGE.nivcsw, le),
    rchar: dv.getBigUint64(off + RUSAGE.rchar, le),
    wchar: dv.getBigUint64(off + RUSAGE.wchar, le),
    readBytes: dv.getBigUint64(off + RUSAGE.read_bytes, le),
    writeBytes: dv.getBigUint64(off + RUSAGE.write_bytes, le),
  };
}

/** The HIST_BUCKETS u32 counts of a struct pt_hist at record `off`. */
export function decodeBuckets(b: Bytes, off: number, le: boolean): number[] {
  const out = new Array<number>(HIST_BUCKETS);
  const at = off + HIST.buckets;
  for (let i = 0; i < HIST_BUCKETS; i++) out[i] = b.dv.getUint32(at + 4 * i, le);
  return out;
}

export function decodeExit(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawExit {
  return {
    kind: 'exit',
    head,
    status: b.dv.getUint32(off + EXIT.status, le),
    nrThreadsSeen: b.dv.getUint32(off + EXIT.nr_threads_seen, le),
    comm: decodeCString(b.buf, off + EXIT.comm, COMM_LEN),
    rusage: decodeRusage(b, off + EXIT.rusage, le),
  };
}

export function decodeOpen(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawOpen {
  const dv = b.dv;
  return {
    kind: 'open',
    head,
    dirfd: dv.getInt32(off + OPEN.dirfd, le),
    result: dv.getInt32(off + OPEN.result, le),
    flags: dv.getUint32(off + OPEN.flags, le),
    mode: dv.getUint32(off + OPEN.mode, le),
    syscallNr: dv.getUint32(off + OPEN.syscall_nr, le),
    latencyNs: dv.getBigUint64(off + OPEN.latency_ns, le),
  };
}

export function decodeHist(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawHist {
  const dv = b.dv;
  return {
    kind: 'hist',
    head,
    histKind: dv.getUint32(off + HIST.kind, le),
    count: dv.getBigUint64(off + HIST.count, le),
    totalNs: dv.getBigUint64(off + HIST.total_ns, le),
    maxNs: dv.getBigUint64(off + HIST.max_ns, le),
    buckets: decodeBuckets(b, off, le),
  };
}

export function decodeTcp(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawTcp {
  const dv = b.dv;
  return {
    kind: 'tcp',
    head,
    event: b.buf[off + TCP.event]!,
    role: b.buf[off + TCP.role]!,
    family: dv.getUint16(off + TCP.family, le),
    localPort: dv.getUint16(off + TCP.local_port, le),
    remotePort: dv.getUint16(off + TCP.remote_port, le),
    error: dv.getInt32(off + TCP.error, le),
    connId: dv.getUint32(off + TCP.conn_id, le),
    localAddr: Buffer.from(b.buf.subarray(off + TCP.local_addr, off + TCP.local_addr + 16)),
    remoteAddr: Buffer.from(b.buf.subarray(off + TCP.remote_addr, off + TCP.remote_addr + 16)),
    startTs: dv.getBigUint64(off + TCP.start_ts, le),
    latencyNs: dv.getBigUint64(off + TCP.latency_ns, le),
    bytesSent: dv.getBigUint64(off + TCP.bytes_sent, le),
    bytesReceived: dv.getBigUint64(off + TCP.bytes_received, le),
    retransmits: dv.getUint32(off + TCP.retransmits, le),
    tcpState: b.buf[off + TCP.tcp_state]!,
    softError: dv.getUint16(off + TCP.soft_error, le),
  };
}

export function decodeDns(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawDns {
  const dv = b.dv;
  const families: number[] = [];
  const addrs: Buffer[] = [];
  for (let i = 0; i < DNS_ANSWERS; i++) {
    families.push(dv.getUint16(off + DNS.families + 2 * i, le));
    const at = off + DNS.addrs + 16 * i;
    addrs.push(Buffer.from(b.buf.subarray(at, at + 16)));
  }
  return {
    kind: 'dns',
    head,
    result: dv.getInt32(off + DNS.result, le),
    count: dv.getUint32(off + DNS.count, le),
    startTs: dv.getBigUint64(off + DNS.start_ts, le),
    latencyNs: dv.getBigUint64(off + DNS.latency_ns, le),
    families,
    addrs,
  };
}

export function decodeDnsMsg(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawDnsMsg {
  const dv = b.dv;
  return {
    kind: 'dns_msg',
    head,
    direction: dv.getUint8(off + DNS_MSG.direction),
    family: dv.getUint16(off + DNS_MSG.family, le),
    localPort: dv.getUint16(off + DNS_MSG.local_port, le),
    remotePort: dv.getUint16(off + DNS_MSG.remote_port, le),
    length: dv.getUint32(off + DNS_MSG.length, le),
    captured: dv.getUint32(off + DNS_MSG.captured, le),
    localAddr: Buffer.from(b.buf.subarray(off + DNS_MSG.local_addr, off + DNS_MSG.local_addr + 16)),
    remoteAddr: Buffer.from(b.buf.subarray(off + DNS_MSG.remote_addr, off + DNS_MSG.remote_addr + 16)),
  };
}

export function decodeData(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawData {
  const dv = b.dv;
  const len = dv.getUint16(off + DATA.len, le);
  const start = off + DATA.data;
  return {
    kind: 'data',
    head,
    ownerTs: dv.getBigUint64(off + DATA.owner_ts, le),
    offset: dv.getUint32(off + DATA.offset, le),
    len,
    dataKind: dv.getUint8(off + DATA.kind),
    dataFlags: dv.getUint8(off + DATA.flags),
    data: b.buf.subarray(start, start + Math.min(len, DATA_MAX)),
  };
}

export function decodeLoss(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawLoss {
  return {
    kind: 'loss',
    head,
    category: b.dv.getUint32(off + LOSS.category, le),
    count: b.dv.getBigUint64(off + LOSS.count, le),
  };
}

export function decodeFooter(b: Bytes, off: number, le: boolean, head = decodeHead(b, off, le)): RawFooter {
  const dv = b.dv;
  return {
    kind: 'footer',
    head,
    records: dv.getBigUint64(off + FOOTER.records, le),
    lost: dv.getBigUint64(off + FOOTER.lost, le),
    stop: decodeAnchor(b, off + FOOTER.stop, le),
    rootStatus: dv.getUint32(off + FOOTER.root_status, le),
    processes: dv.getUint32(off + FOOTER.processes, le),
    stillRunning: dv.getUint32(off + FOOTER.still_running, le),
    endFlags: dv.getUint32(off + FOOTER.end_flags, le),
  };
}

/** Decodes the 256-byte record at `off` (which must have RECORD_SIZE bytes available). */
export function decodeRecordAt(b: Bytes, off: number, le: boolean): RawRecord {
  const head = decodeHead(b, off, le);
  switch (head.type) {
    case RT.FORK:
      return decodeFork(b, off, le, head);
    case RT.THREAD:
      return decodeThread(b, off, le, head);
    case RT.EXEC:
      return decodeExec(b, off, le, head);
    case RT.EXEC_FAILED:
      return decodeExecFailed(b, off, le, head);
    case RT.EXIT:
      return decodeExit(b, off, le, head);
    case RT.OPEN:
      return decodeOpen(b, off, le, head);
    case RT.HIST:
      return decodeHist(b, off, le, head);
    case RT.TCP:
      return decodeTcp(b, off, le, head);
    case RT.DNS:
      return decodeDns(b, off, le, head);
    case RT.DNS_MSG:
      return decodeDnsMsg(b, off, le, head);
    case RT.DATA:
      return decodeData(b, off, le, head);
    case RT.LOSS:
      return decodeLoss(b, off, le, head);
    case RT.RUNNING:
      return { kind: 'running', head };
    case RT.FOOTER:
      return decodeFooter(b, off, le, head);
    default:
      return { kind: 'unknown', head, payload: b.buf.subarray(off + HEAD_SIZE, off + RECORD_SIZE) };
  }
}

/** Convenience: decodes one record from a buffer holding at least `off + 256` bytes. */
export function decodeRecord(buf: Buffer, le: boolean, off = 0): RawRecord {
  if (buf.length - off < RECORD_SIZE) {
    throw new RangeError(`a record needs ${RECORD_SIZE} bytes, ${buf.length - off} available`);
  }
  return decodeRecordAt(bytesOf(buf), off, le);
}
