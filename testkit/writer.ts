// Encoder for the raw format, the inverse of the reader (formats/).
// The capture tool (C) is the real writer; this one synthesizes files for
// tests, fuzzing and benchmarks, splitting strings into PT_DATA chunks the way
// the BPF program does.

import { writeSync } from 'node:fs';
import { encodeHeaderBytes, setAnchor, ZERO_RUSAGE } from '../formats/encode.ts';
import { SegmentedChecksum } from '../formats/integrity.ts';
import {
  ATTACH_REASON,
  BYTE_ORDER_MAGIC,
  DK,
  DNS_ANSWERS,
  DNSD,
  END,
  F,
  FILE_HEADER,
  FILE_HEADER_SIZE,
  FILE_MAGIC,
  OPT,
  RECORD_SIZE,
  RT,
  TLV,
  VERSION_MAJOR,
  VERSION_MINOR,
  WRITE_STOP,
  WRITE_STOP_SIZE,
} from '../formats/layout.ts';
import { histKindNumber, ipBytes, tcpEventNumber, tcpRoleNumber, tcpStateNumber } from '../formats/names.ts';
import { countStrings, joinStrings } from '../formats/nul-area.ts';
import { chunkString, encodeRecordInto } from '../formats/records/index.ts';
import type { CapturedBytes, ClockAnchor, ContainerIds, ProcessKey, Rusage } from '../formats/types.ts';
import type { RawHead, RawRecord } from './raw-records.ts';

export { ZERO_RUSAGE } from '../formats/encode.ts';
export { chunkString, encodeRecord, encodeRecordInto } from '../formats/records/index.ts';

// ---------------------------------------------------------------- header

export interface HeaderInit {
  versionMajor?: number;
  versionMinor?: number;
  /** Bytes before the first record; default: the fixed part + TLVs, rounded to 8. Must not be smaller. */
  headerSize?: number;
  /** Written as is (tests use a wrong value); default 256. */
  recordSize?: number;
  rootPid?: number;
  capturePid?: number;
  /** Flags, or `raw` for the exact 64-bit value. Default: env and failed execs captured, nothing else. */
  options?:
    | {
        env?: boolean;
        failedExecs?: boolean;
        keepRoot?: boolean;
        files?: boolean;
        io?: boolean;
        sched?: boolean;
        net?: boolean;
        dns?: boolean;
        dnsMessages?: boolean;
        attach?: boolean;
        raw?: bigint;
      }
    | bigint;
  start?: ClockAnchor;
  argsLimit?: number;
  ringbufSize?: number;
  kernelRelease?: string;
  kernelVersion?: string;
  hostname?: string;
  machine?: string;
  ptraceVersion?: string;
  captureArgv?: string[];
  commandArgv?: string[];
  bootId?: string;
  osRelease?: string;
  traceparent?: string;
  /** PT_TLV_ATTACH_PIDS (--pid). */
  attachPids?: number[];
  /** PT_TLV_ATTACH_CGROUP (--cgroup). */
  attachCgroup?: string;
  /** PT_TLV_WRITE_STOP: where the capture stopped writing (ts 0: the placeholder of a capture that did not stop). */
  writeStop?: { ts: bigint; errno: number; records: bigint };
  /** Extra TLVs written after the known ones (tags this reader may not know). */
  unknownTlvs?: { tag: number; value: Buffer }[];
}

export const DEFAULT_START: ClockAnchor = {
  realtime: 1_750_000_000_000_000_000n,
  boottime: 5_000_000_000_000n,
  monotonic: 4_900_000_000_000n,
};

function optionsValue(o: HeaderInit['options']): bigint {
  if (typeof o === 'bigint') return o;
  if (o?.raw !== undefined) return o.raw;
  return BigInt(
    (o?.env === false ? 0 : OPT.ENV) |
      (o?.failedExecs === false ? 0 : OPT.FAILED_EXECS) |
      (o?.keepRoot ? OPT.KEEP_ROOT : 0) |
      (o?.files ? OPT.FILES : 0) |
      (o?.io ? OPT.IO : 0) |
      (o?.sched ? OPT.SCHED : 0) |
      (o?.net ? OPT.NET : 0) |
      (o?.dns ? OPT.DNS : 0) |
      (o?.dnsMessages ? OPT.DNS_MSG : 0) |
      (o?.attach ? OPT.ATTACH : 0),
  );
}

const _pad8 = (n: number): number => (n + 7) & ~7;

function argvBytes(argv: readonly (string | Buffer)[]): Buffer {
  return joinStrings(argv.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)));
}

function writeStopValue(w: { ts: bigint; errno: number; records: bigint }, le: boolean): Buffer {
  const b = Buffer.alloc(WRITE_STOP_SIZE);
  if (le) {
    b.writeBigUInt64LE(w.ts, WRITE_STOP.ts);
    b.writeInt32LE(w.errno, WRITE_STOP.error);
    b.writeBigUInt64LE(w.records, WRITE_STOP.records);
  } else {
    b.writeBigUInt64BE(w.ts, WRITE_STOP.ts);
    b.writeInt32BE(w.errno, WRITE_STOP.error);
    b.writeBigUInt64BE(w.records, WRITE_STOP.records);
  }
  return b;
}

/** The header TLVs in the order the writer emits them (known tags ascending, then unknown ones). */
function headerTlvs(h: HeaderInit, le: boolean): { tag: number; value: Buffer }[] {
  const tlvs: { tag: number; value: Buffer }[] = [];
  const text = (tag: number, s: string | undefined): void => {
    if (s) tlvs.push({ tag, value: Buffer.from(s) });
  };
  const list = (tag: number, a: string[] | undefined): void => {
    if (a && a.length > 0) tlvs.push({ tag, value: argvBytes(a) });
  };
  text(TLV.KERNEL_RELEASE, h.kernelRelease);
  text(TLV.KERNEL_VERSION, h.kernelVersion);
  text(TLV.HOSTNAME, h.hostname);
  text(TLV.MACHINE, h.machine);
  text(TLV.PTRACE_VERSION, h.ptraceVersion);
  list(TLV.CAPTURE_ARGV, h.captureArgv);
  list(TLV.COMMAND_ARGV, h.commandArgv);
  text(TLV.BOOT_ID, h.bootId);
  text(TLV.OS_RELEASE, h.osRelease);
  text(TLV.TRACEPARENT, h.traceparent);
  if (h.writeStop) tlvs.push({ tag: TLV.WRITE_STOP, value: writeStopValue(h.writeStop, le) });
  if (h.attachPids && h.attachPids.length > 0) {
    const v = Buffer.alloc(4 * h.attachPids.length);
    h.attachPids.forEach((pid, i) => (le ? v.writeUInt32LE(pid, 4 * i) : v.writeUInt32BE(pid, 4 * i)));
    tlvs.push({ tag: TLV.ATTACH_PIDS, value: v });
  }
  text(TLV.ATTACH_CGROUP, h.attachCgroup);
  for (const t of h.unknownTlvs ?? []) tlvs.push(t);
  return tlvs;
}

/** The file header: fixed part, TLVs, an END TLV, zero padding to headerSize. */
export function encodeHeader(h: HeaderInit, opts: { littleEndian: boolean }): Buffer {
  const le = opts.littleEndian;
  const fixed = Buffer.alloc(FILE_HEADER_SIZE);
  const dv = new DataView(fixed.buffer, fixed.byteOffset, fixed.byteLength);
  fixed.write(FILE_MAGIC, FILE_HEADER.magic, 'latin1');
  dv.setUint32(FILE_HEADER.byte_order, BYTE_ORDER_MAGIC, le);
  dv.setUint16(FILE_HEADER.version_major, h.versionMajor ?? VERSION_MAJOR, le);
  dv.setUint16(FILE_HEADER.version_minor, h.versionMinor ?? VERSION_MINOR, le);
  dv.setUint32(FILE_HEADER.record_size, h.recordSize ?? RECORD_SIZE, le);
  dv.setUint32(FILE_HEADER.root_pid, h.rootPid ?? 0, le);
  dv.setUint32(FILE_HEADER.capture_pid, h.capturePid ?? 0, le);
  dv.setBigUint64(FILE_HEADER.options, optionsValue(h.options), le);
  setAnchor(dv, FILE_HEADER.start, h.start ?? DEFAULT_START, le);
  dv.setUint32(FILE_HEADER.args_limit, h.argsLimit ?? 256 * 1024, le);
  dv.setUint32(FILE_HEADER.ringbuf_size, h.ringbufSize ?? 16 * 1024 * 1024, le);
  return encodeHeaderBytes(fixed, headerTlvs(h, le), le, h.headerSize);
}

// ---------------------------------------------------------------- records

// ---------------------------------------------------------------- logical events

/** A string given as text, bytes, or bytes with a truncation mark. */
export type BytesInit = string | Buffer | CapturedBytes;
/** argv/env as strings (each gets its NUL) or as the raw NUL-separated area. */
export type StringListInit = readonly (string | Buffer)[] | Buffer;

interface WriterBase {
  /** CLOCK_BOOTTIME ns. */
  ts: bigint;
  /** Default {pid: 0, start: 0n} (capture-tool records). */
  process?: ProcessKey;
  /** Default 0 (capture-tool records). */
  tid?: number;
  cpu?: number;
  /** Extra head flags ORed into the ones the writer derives. */
  flags?: number;
}

export interface WriterFork extends WriterBase {
  kind: 'fork';
  child: ProcessKey;
  childPpid?: number;
  childContainer?: ContainerIds | null;
}
export interface WriterThread extends WriterBase {
  kind: 'thread';
  newTid: number;
}
export interface WriterExec extends WriterBase {
  kind: 'exec';
  parent: ProcessKey;
  ppid?: number;
  oldTid?: number;
  uid?: number;
  gid?: number;
  euid?: number;
  egid?: number;
  nsPid?: number;
  nsLevel?: number;
  comm?: string;
  argc?: number;
  envc?: number;
  argvLen?: number;
  envLen?: number;
  filename: BytesInit;
  interp?: BytesInit | null;
  exe?: BytesInit;
  cwd?: BytesInit;
  argv: StringListInit;
  argvTruncated?: boolean;
  /** null or absent: environment not captured (PT_F_ENV_SKIPPED). */
  env?: StringListInit | null;
  envTruncated?: boolean;
  container?: ContainerIds | null;
}
/** A process the capture attached to (format 1.8); its strings follow as the capture tool writes them. */
export interface WriterAttached extends WriterBase {
  kind: 'attached';
  /** running | joined | born (or reason<N>); default running. */
  reason?: string;
  parent: ProcessKey;
  ppid?: number;
  uid?: number;
  gid?: number;
  euid?: number;
  egid?: number;
  nsPid?: number;
  nsLevel?: number;
  comm?: string;
  exe?: BytesInit;
  cwd?: BytesInit;
  argv: StringListInit;
  argvTruncated?: boolean;
  /** null or absent: environment not captured (PT_F_ENV_SKIPPED). */
  env?: StringListInit | null;
  envTruncated?: boolean;
  argvLen?: number;
  envLen?: number;
  nrThreads?: number;
  container?: ContainerIds | null;
}
/** The path of a cgroup id (format 1.8), a capture-tool record. */
export interface WriterCgroup extends WriterBase {
  kind: 'cgroup';
  cgroupId: number;
  level?: number;
  path: BytesInit;
}
export interface WriterExecFailed extends WriterBase {
  kind: 'exec_failed';
  errno: number;
  syscallNr?: number;
  filename: BytesInit;
}
export interface WriterExit extends WriterBase {
  kind: 'exit';
  status: number;
  /** Sets PT_F_CORE_DUMPED (status bit 0x80 also means a core). */
  coreDumped?: boolean;
  comm?: string;
  nrThreadsSeen?: number;
  /** Absent or null: zeros (what a format 1.0 file has; a 1.1 reader then reads all-zero usage). */
  rusage?: Rusage | null;
}
export interface WriterOpen extends WriterBase {
  kind: 'open';
  /** Default AT_FDCWD (-100). */
  dirfd?: number;
  /** The new fd, or -errno. */
  result: number;
  flags?: number;
  mode?: number;
  /** Default 257 (openat on x86-64). */
  syscallNr?: number;
  latencyNs?: bigint;
  path: BytesInit;
}
export interface WriterHist extends WriterBase {
  kind: 'hist';
  /** A kind number, or a name as the reader gives it (read, write, fsync, offcpu, kind<N>). */
  histKind: number | string;
  /** Default: the sum of the buckets. */
  count?: bigint;
  totalNs?: bigint;
  maxNs?: bigint;
  /** Up to 32 counts; missing ones are 0. */
  buckets?: readonly number[];
}
export interface WriterTcp extends WriterBase {
  kind: 'tcp';
  /** connected | failed | accepted | closed (or event<N>). */
  event: string;
  /** client | server (or role<N>). */
  role: string;
  /** 4 or 6. */
  family: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  errno?: number | null;
  connId: number;
  startTs?: bigint;
  latencyNs?: bigint;
  bytesSent?: bigint;
  bytesReceived?: bigint;
  retransmits?: number;
  tcpState?: string | null;
  softErrno?: number | null;
}
export interface WriterDns extends WriterBase {
  kind: 'dns';
  name: BytesInit;
  /** 0 or an EAI_* code. */
  result: number;
  /** Default: the number of answers. */
  count?: number;
  /** Up to 8; family 4 or 6. */
  answers?: readonly { family: number; address: string }[];
  startTs?: bigint;
  latencyNs?: bigint;
}
export interface WriterDnsMessage extends WriterBase {
  kind: 'dns_msg';
  direction: 'sent' | 'received';
  /** 4 or 6. */
  family: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** The message bytes as captured (`truncated` when cut). */
  message: BytesInit;
  /** UDP payload bytes on the wire; default: the message's length. */
  length?: number;
}
export interface WriterLoss extends WriterBase {
  kind: 'loss';
  category: number;
  count: bigint;
}
export interface WriterRunning extends WriterBase {
  kind: 'running';
}
/** The logical events of formats/types.ts, without the fields the reader derives. Reader events are accepted as is. */
export type WriterEvent =
  | WriterFork
  | WriterThread
  | WriterExec
  | WriterAttached
  | WriterCgroup
  | WriterExecFailed
  | WriterExit
  | WriterOpen
  | WriterHist
  | WriterTcp
  | WriterDns
  | WriterDnsMessage
  | WriterLoss
  | WriterRunning;

export interface FooterInit {
  /** Default: the number of records written so far. */
  records?: bigint;
  /** Default: the sum of the last count written per loss category. */
  lost?: bigint;
  /** Default: the start anchor moved to the latest timestamp written. */
  stop?: ClockAnchor;
  rootStatus?: number;
  /** Default: forks written + 1 (the root). */
  processes?: number;
  /** Default: running records written. */
  stillRunning?: number;
  signalled?: boolean;
  waitedAll?: boolean;
  /** An attached capture stopped on a signal. */
  interrupted?: boolean;
  /** An attached capture stopped after --duration. */
  durationElapsed?: boolean;
  /** Exact end_flags (overrides signalled/waitedAll). */
  endFlags?: number;
  /** Set the checksums (format 1.7); default: when the header's minor version is 7 or more. */
  checksum?: boolean;
}

export interface WriterOptions {
  /** Default true. */
  littleEndian?: boolean;
  /** Stream to this file descriptor instead of collecting a buffer. */
  fd?: number;
  /** Output buffer size; default 4 MiB. */
  bufferSize?: number;
}

const toBytes = (b: BytesInit): CapturedBytes =>
  typeof b === 'string'
    ? { bytes: Buffer.from(b), truncated: false }
    : Buffer.isBuffer(b)
      ? { bytes: b, truncated: false }
      : b;
const toArea = (l: StringListInit): Buffer => (Buffer.isBuffer(l) ? l : argvBytes(l));
const stringCount = (l: StringListInit): number => (Buffer.isBuffer(l) ? countStrings(l) : l.length);

/**
 * Writes a raw file record by record: header on construction, then logical
 * events (split into records and chunks), raw records or raw bytes, then a
 * footer. Collects a Buffer (`finish()` returns it) or streams to `fd`.
 */
export class CaptureWriter {
  readonly littleEndian: boolean;
  readonly start: ClockAnchor;
  /** Records written after the header. */
  records = 0;
  #fd: number | undefined;
  #out: Buffer;
  #pos = 0;
  #parts: Buffer[] = [];
  #forks = 0;
  #running = 0;
  #attachedCount = 0;
  #losses = new Map<number, bigint>();
  #maxTs = 0n;
  #finished = false;
  #checksum = new SegmentedChecksum();
  #sealFooter = false;
  #minor: number;

  constructor(header: HeaderInit = {}, opts: WriterOptions = {}) {
    this.littleEndian = opts.littleEndian ?? true;
    this.start = header.start ?? DEFAULT_START;
    this.#fd = opts.fd;
    this.#out = Buffer.allocUnsafe(Math.max(opts.bufferSize ?? 4 << 20, RECORD_SIZE));
    this.#minor = header.versionMinor ?? VERSION_MINOR;
    const head = encodeHeader(header, { littleEndian: this.littleEndian });
    this.#checksum.header(head);
    this.writeBytes(head);
  }

  #flush(): void {
    if (this.#pos === 0) return;
    if (this.#fd !== undefined) {
      let done = 0;
      while (done < this.#pos) done += writeSync(this.#fd, this.#out, done, this.#pos - done);
    } else {
      this.#parts.push(this.#out.subarray(0, this.#pos));
      this.#out = Buffer.allocUnsafe(this.#out.length);
    }
    this.#pos = 0;
  }

  /** Raw bytes, as is (headers, garbage, partial records for tests). */
  writeBytes(bytes: Buffer): this {
    let done = 0;
    while (done < bytes.length) {
      if (this.#pos === this.#out.length) this.#flush();
      const n = bytes.copy(this.#out, this.#pos, done);
      this.#pos += n;
      done += n;
    }
    return this;
  }

  /** One already encoded record, as is (counted in `records`). */
  writeRecordBytes(record: Buffer): this {
    if (record.length !== RECORD_SIZE) throw new RangeError(`a record is ${RECORD_SIZE} bytes, not ${record.length}`);
    this.writeBytes(record);
    this.#checksum.records(record);
    this.records++;
    return this;
  }

  /** One raw record (counted in `records`). */
  writeRecord(rec: RawRecord): this {
    if (this.#out.length - this.#pos < RECORD_SIZE) this.#flush();
    encodeRecordInto(this.#out, this.#pos, rec, this.littleEndian);
    if (rec.kind !== 'footer') this.#checksum.records(this.#out.subarray(this.#pos, this.#pos + RECORD_SIZE));
    else if (this.#sealFooter)
      this.#checksum.seal(this.#out.subarray(this.#pos, this.#pos + RECORD_SIZE), this.littleEndian);
    this.#pos += RECORD_SIZE;
    this.records++;
    if (rec.head.ts > this.#maxTs) this.#maxTs = rec.head.ts;
    return this;
  }

  /** A logical event: its record, then its PT_DATA chunks. */
  write(e: WriterEvent): this {
    const head: RawHead = {
      type: 0,
      flags: e.flags ?? 0,
      tid: e.tid ?? 0,
      ts: e.ts,
      start: e.process?.start ?? 0n,
      pid: e.process?.pid ?? 0,
      cpu: e.cpu ?? 0,
    };
    switch (e.kind) {
      case 'fork':
        this.#forks++;
        return this.writeRecord({
          kind: 'fork',
          head: { ...head, type: RT.FORK },
          childStart: e.child.start,
          childPid: e.child.pid,
          childPpid: e.childPpid ?? head.pid,
          childContainer: e.childContainer ?? undefined,
        });
      case 'thread':
        return this.writeRecord({ kind: 'thread', head: { ...head, type: RT.THREAD }, newTid: e.newTid });
      case 'exec':
        return this.#exec(e, head);
      case 'attached':
        return this.#attached(e, head);
      case 'cgroup': {
        const h = { ...head, type: RT.CGROUP };
        this.writeRecord({ kind: 'cgroup', head: h, cgroupId: BigInt(e.cgroupId), level: e.level ?? 0 });
        const path = toBytes(e.path);
        for (const c of chunkString(h, DK.CGROUP, path.bytes, path.truncated)) this.writeRecord(c);
        return this;
      }
      case 'exec_failed': {
        const h = { ...head, type: RT.EXEC_FAILED };
        this.writeRecord({ kind: 'exec_failed', head: h, err: e.errno, syscallNr: e.syscallNr ?? 59 });
        const fn = toBytes(e.filename);
        for (const c of chunkString(h, DK.FILENAME, fn.bytes, fn.truncated)) this.writeRecord(c);
        return this;
      }
      case 'exit':
        return this.writeRecord({
          kind: 'exit',
          head: { ...head, type: RT.EXIT, flags: head.flags | (e.coreDumped ? F.CORE_DUMPED : 0) },
          status: e.status,
          nrThreadsSeen: e.nrThreadsSeen ?? 1,
          comm: e.comm ?? '',
          rusage: e.rusage ?? ZERO_RUSAGE,
        });
      case 'open': {
        const h = { ...head, type: RT.OPEN };
        this.writeRecord({
          kind: 'open',
          head: h,
          dirfd: e.dirfd ?? -100,
          result: e.result,
          flags: e.flags ?? 0,
          mode: e.mode ?? 0,
          syscallNr: e.syscallNr ?? 257,
          latencyNs: e.latencyNs ?? 0n,
        });
        const path = toBytes(e.path);
        for (const c of chunkString(h, DK.PATH, path.bytes, path.truncated)) this.writeRecord(c);
        return this;
      }
      case 'hist': {
        const buckets = e.buckets ?? [];
        let sum = 0n;
        for (const n of buckets) sum += BigInt(n);
        const kind = typeof e.histKind === 'number' ? e.histKind : histKindNumber(e.histKind);
        if (kind === undefined) throw new RangeError(`unknown histogram kind ${JSON.stringify(e.histKind)}`);
        return this.writeRecord({
          kind: 'hist',
          head: { ...head, type: RT.HIST },
          histKind: kind,
          count: e.count ?? sum,
          totalNs: e.totalNs ?? 0n,
          maxNs: e.maxNs ?? 0n,
          buckets: [...buckets],
        });
      }
      case 'tcp': {
        const event = tcpEventNumber(e.event);
        const role = tcpRoleNumber(e.role);
        if (event === undefined || role === undefined)
          throw new RangeError(`unknown tcp event or role ${e.event}/${e.role}`);
        const af = e.family === 4 ? 2 : e.family === 6 ? 10 : e.family;
        return this.writeRecord({
          kind: 'tcp',
          head: { ...head, type: RT.TCP },
          event,
          role,
          family: af,
          localPort: e.localPort,
          remotePort: e.remotePort,
          error: e.errno ?? 0,
          connId: e.connId,
          localAddr: ipBytes(af, e.localAddress),
          remoteAddr: ipBytes(af, e.remoteAddress),
          startTs: e.startTs ?? 0n,
          latencyNs: e.latencyNs ?? 0n,
          bytesSent: e.bytesSent ?? 0n,
          bytesReceived: e.bytesReceived ?? 0n,
          retransmits: e.retransmits ?? 0,
          tcpState: e.tcpState == null ? 0 : (tcpStateNumber(e.tcpState) ?? 0),
          softError: e.softErrno ?? 0,
        });
      }
      case 'dns': {
        const answers = (e.answers ?? []).slice(0, DNS_ANSWERS);
        const h: RawHead = { ...head, type: RT.DNS };
        this.writeRecord({
          kind: 'dns',
          head: h,
          result: e.result,
          count: e.count ?? answers.length,
          startTs: e.startTs ?? 0n,
          latencyNs: e.latencyNs ?? 0n,
          families: answers.map((a) => (a.family === 4 ? 2 : a.family === 6 ? 10 : a.family)),
          addrs: answers.map((a) => ipBytes(a.family === 4 ? 2 : 10, a.address)),
        });
        const name = toBytes(e.name);
        for (const c of chunkString(h, DK.NAME, name.bytes, name.truncated)) this.writeRecord(c);
        return this;
      }
      case 'dns_msg': {
        const af = e.family === 4 ? 2 : 10;
        const message = toBytes(e.message);
        const h: RawHead = { ...head, type: RT.DNS_MSG };
        this.writeRecord({
          kind: 'dns_msg',
          head: h,
          direction: e.direction === 'sent' ? DNSD.SENT : DNSD.RECEIVED,
          family: af,
          localPort: e.localPort,
          remotePort: e.remotePort,
          length: e.length ?? message.bytes.length,
          captured: message.bytes.length,
          localAddr: ipBytes(af, e.localAddress),
          remoteAddr: ipBytes(af, e.remoteAddress),
        });
        for (const c of chunkString(h, DK.DNS_MSG, message.bytes, message.truncated)) this.writeRecord(c);
        return this;
      }
      case 'loss':
        this.#losses.set(e.category, e.count);
        return this.writeRecord({
          kind: 'loss',
          head: { ...head, type: RT.LOSS },
          category: e.category,
          count: e.count,
        });
      case 'running':
        this.#running++;
        return this.writeRecord({ kind: 'running', head: { ...head, type: RT.RUNNING } });
    }
  }

  /**
   * What an exec and an attached record share: the head with its truncation
   * flags, the argv and env areas, and the identity and size fields.
   */
  #image(e: WriterExec | WriterAttached, base: RawHead, type: number) {
    const argv = toArea(e.argv);
    const env = e.env == null ? null : toArea(e.env);
    const head: RawHead = {
      ...base,
      type,
      flags:
        base.flags |
        (e.argvTruncated ? F.ARGV_TRUNCATED : 0) |
        (e.envTruncated ? F.ENV_TRUNCATED : 0) |
        (env === null ? F.ENV_SKIPPED : 0),
    };
    const fields = {
      head,
      parentStart: e.parent.start,
      ppid: e.ppid ?? e.parent.pid,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      euid: e.euid ?? e.uid ?? 0,
      egid: e.egid ?? e.gid ?? 0,
      nsPid: e.nsPid ?? head.pid,
      nsLevel: e.nsLevel ?? 0,
      argvLen: e.argvLen ?? argv.length,
      envLen: e.envLen ?? env?.length ?? 0,
      comm: e.comm ?? '',
      container: e.container ?? undefined,
    };
    return { argv, env, head, fields };
  }

  /** The image's strings after its record: `first` (by kind), then cwd, argv and env. */
  #imageStrings(
    e: WriterExec | WriterAttached,
    image: { argv: Buffer; env: Buffer | null; head: RawHead },
    first: [number, CapturedBytes][],
  ): this {
    const strings: [number, CapturedBytes][] = [
      ...first,
      [DK.CWD, toBytes(e.cwd ?? '/')],
      [DK.ARGV, { bytes: image.argv, truncated: e.argvTruncated ?? false }],
    ];
    if (image.env !== null) strings.push([DK.ENV, { bytes: image.env, truncated: e.envTruncated ?? false }]);
    for (const [kind, s] of strings) {
      for (const c of chunkString(image.head, kind, s.bytes, s.truncated)) this.writeRecord(c);
    }
    return this;
  }

  #exec(e: WriterExec, base: RawHead): this {
    const image = this.#image(e, base, RT.EXEC);
    this.writeRecord({
      kind: 'exec',
      ...image.fields,
      oldTid: e.oldTid ?? image.head.tid,
      argc: e.argc ?? stringCount(e.argv),
      envc: e.envc ?? (e.env == null ? 0 : stringCount(e.env)),
    });
    const filename = toBytes(e.filename);
    const first: [number, CapturedBytes][] = [[DK.FILENAME, filename]];
    if (e.interp != null) first.push([DK.INTERP, toBytes(e.interp)]);
    first.push([DK.EXE, toBytes(e.exe ?? filename)]);
    return this.#imageStrings(e, image, first);
  }

  #attached(e: WriterAttached, base: RawHead): this {
    const image = this.#image(e, base, RT.ATTACHED);
    const reason = e.reason ?? 'running';
    const known = Object.entries(ATTACH_REASON).find(([name]) => name.toLowerCase() === reason);
    const number = known ? known[1] : reason.startsWith('reason') ? Number(reason.slice(6)) : Number.NaN;
    if (!Number.isInteger(number)) throw new RangeError(`unknown attach reason ${JSON.stringify(reason)}`);
    this.#attachedCount++;
    this.writeRecord({ kind: 'attached', ...image.fields, reason: number, nrThreads: e.nrThreads ?? 1 });
    return this.#imageStrings(e, image, [[DK.EXE, toBytes(e.exe ?? '')]]);
  }

  /** The PT_FOOTER record; fields default to what was written. */
  writeFooter(f: FooterInit = {}): this {
    let lost = 0n;
    for (const n of this.#losses.values()) lost += n;
    const delta = this.#maxTs > this.start.boottime ? this.#maxTs - this.start.boottime : 0n;
    this.#sealFooter = f.checksum ?? this.#minor >= 7;
    return this.writeRecord({
      kind: 'footer',
      head: { type: RT.FOOTER, flags: 0, tid: 0, ts: this.start.boottime + delta, start: 0n, pid: 0, cpu: 0 },
      records: f.records ?? BigInt(this.records),
      lost: f.lost ?? lost,
      stop: f.stop ?? {
        realtime: this.start.realtime + delta,
        boottime: this.start.boottime + delta,
        monotonic: this.start.monotonic + delta,
      },
      rootStatus: f.rootStatus ?? 0,
      processes: f.processes ?? this.#forks + (this.#attachedCount > 0 ? this.#attachedCount : 1),
      stillRunning: f.stillRunning ?? this.#running,
      endFlags:
        f.endFlags ??
        (f.signalled ? END.SIGNALLED : 0) |
          ((f.waitedAll ?? true) ? END.WAITED_ALL : 0) |
          (f.interrupted ? END.INTERRUPTED : 0) |
          (f.durationElapsed ? END.DURATION : 0),
    });
  }

  /** Flushes. Buffer mode: returns the whole file; fd mode: returns an empty buffer (the fd stays open). */
  finish(): Buffer {
    if (this.#finished) throw new Error('CaptureWriter.finish() called twice');
    this.#finished = true;
    this.#flush();
    if (this.#fd !== undefined) return Buffer.alloc(0);
    const all = Buffer.concat(this.#parts);
    this.#parts = [];
    return all;
  }
}

/** Builds a whole file in memory: header, events, footer (pass `footer: null` to leave it out). */
export function writeCapture(
  header: HeaderInit,
  events: Iterable<WriterEvent>,
  opts: { littleEndian?: boolean; footer?: FooterInit | null } = {},
): Buffer {
  const w = new CaptureWriter(header, { littleEndian: opts.littleEndian });
  for (const e of events) w.write(e);
  if (opts.footer !== null) w.writeFooter(opts.footer ?? {});
  return w.finish();
}
