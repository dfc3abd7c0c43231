// Records → logical events. Fed one 256-byte record at a time (from a whole
// buffer or from chunks of a stream), it joins PT_DATA chunks back into the
// strings of their owner record (exec, failed exec, open), names numbers, and
// emits events in the order of their records in the file. No I/O.

import { decodeAnchor, decodeBuckets, decodeCString, decodeDns, decodeDnsMsg, decodeRusage, decodeTcp } from './decode.ts';
import type { Bytes } from './decode.ts';
import {
  COMM_LEN,
  DATA,
  DATA_MAX,
  DF,
  DK,
  DNSD,
  END,
  EXEC,
  EXEC_FAILED,
  EXIT,
  F,
  FOOTER,
  FORK,
  HEAD,
  HIST,
  LOSS,
  OPEN,
  RECORD_SIZE,
  RECORD_TYPE_NAMES,
  RT,
  THREAD,
} from './layout.ts';
import { decodeWaitStatus, eaiName, errnoName, histKindName, ipAddress, lossCategoryName, tcpEventName, tcpRoleName, tcpStateName } from './names.ts';
import type {
  CaptureEvent,
  DnsEvent,
  DnsMessageEvent,
  CaptureFooter,
  CaptureHeader,
  CapturedBytes,
  ExecEvent,
  ExecFailedEvent,
  OpenEvent,
  ReadWarning,
} from './types.ts';
import { MAX_AMOUNT, ValueChecker, checkedAnchor } from './values.ts';
import { countStrings, joinStrings, splitStrings, terminated } from './nul-area.ts';

/**
 * A pending owner (exec, failed exec, open) whose last chunk has not been
 * seen is completed anyway once this many records have followed its latest
 * chunk (the BPF program writes an owner's chunks right after it, so in
 * practice they are a few records away).
 */
export const CHUNK_WINDOW = 65536;

/** One string of an owner record, put together from its chunks by offset. */
class StringAcc {
  buf: Buffer;
  len = 0;
  /** A chunk started past the bytes so far: everything after the gap is dropped. */
  gap = false;
  last = false;
  /** PT_DF_TRUNCATED seen, or a chunk length over DATA_MAX. */
  cut = false;
  fault = false;

  /** `size`: the expected length (the exec record announces its argv and env areas'), to allocate once. */
  constructor(size = 0) {
    this.buf = size > 0 ? Buffer.allocUnsafe(size) : EMPTY;
  }

  /** Adds the chunk found at src[from .. from + min(len, DATA_MAX)) that starts at `offset` in the string. */
  add(src: Buffer, from: number, offset: number, len: number, flags: number): void {
    if (flags & DF.LAST) this.last = true;
    if (flags & DF.TRUNCATED) this.cut = true;
    if (flags & DF.FAULT) this.fault = true;
    let n = len;
    if (n > DATA_MAX) {
      this.cut = true;
      n = DATA_MAX;
    }
    if (this.gap) return;
    if (offset > this.len) {
      this.gap = true;
      return;
    }
    const skip = this.len - offset;
    if (skip >= n) return;
    const need = this.len + n - skip;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    src.copy(this.buf, this.len, from + skip, from + n);
    this.len = need;
  }

  get truncated(): boolean {
    return this.gap || !this.last || this.cut || this.fault;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  captured(): CapturedBytes {
    const c: CapturedBytes = { bytes: this.bytes(), truncated: this.truncated };
    if (this.fault) c.faulted = true;
    return c;
  }
}

const EMPTY = Buffer.alloc(0);
/** A string none of whose chunks arrived. */
const missing = (): CapturedBytes => ({ bytes: EMPTY, truncated: true });
/** Placeholder while an owner waits for its chunks (replaced when it completes, never emitted). */
const MISSING: CapturedBytes = Object.freeze(missing()) as CapturedBytes;

/** The events whose records are followed by data chunks. */
type Owned = ExecEvent | ExecFailedEvent | OpenEvent | DnsEvent | DnsMessageEvent;

/** A record with strings (exec, failed exec, open) waiting for its chunks: its event is built, its strings not yet. */
class Pending {
  readonly event: Owned;
  readonly flags: number;
  /** The kind whose LAST chunk completes the record. */
  readonly finalKind: number;
  readonly strings: (StringAcc | undefined)[] = [];
  lastActivity: number;
  done = false;
  /** The owner's head.ts as two 32-bit halves: chunks are matched without making a bigint each. */
  readonly tsLo: number;
  readonly tsHi: number;
  readonly pid: number;

  constructor(event: Owned, flags: number, at: number, tsLo: number, tsHi: number) {
    this.pid = event.process.pid;
    this.tsLo = tsLo;
    this.tsHi = tsHi;
    this.event = event;
    this.flags = flags;
    this.finalKind =
      event.kind === 'open'
        ? DK.PATH
        : event.kind === 'dns'
          ? DK.NAME
          : event.kind === 'dns_msg'
            ? DK.DNS_MSG
            : event.kind === 'exec_failed'
            ? DK.FILENAME
            : flags & F.ENV_SKIPPED
              ? DK.ARGV
              : DK.ENV;
    this.lastActivity = at;
  }

  /** Whether a chunk of this data kind can belong to this owner. */
  accepts(kind: number): boolean {
    const k = this.event.kind;
    if (k === 'exec') return kind >= DK.FILENAME && kind <= DK.ENV;
    if (k === 'open') return kind === DK.PATH;
    if (k === 'dns') return kind === DK.NAME;
    if (k === 'dns_msg') return kind === DK.DNS_MSG;
    return kind === DK.FILENAME;
  }
}

type Queued = CaptureEvent | Pending;

/** A completed owner, kept (small) until its thread's next record so that late chunks are recognised. */
interface Finished {
  pid: number;
  tsLo: number;
  tsHi: number;
}

/** The latest owner record of a thread. */
type Owner = Pending | Finished;

/**
 * The NUL-joined argv and environment areas of an exec event, kept beside its
 * `argv` / `env` lists: the lists are split from them only when read (most
 * consumers, the model among them, want the areas).
 */
class ExecStrings {
  /** The argv area as captured (the last string may lack its NUL when cut); null once `argv` was assigned. */
  argvArea: Buffer | null = null;
  /** The environment area; null when env was skipped or once `env` was assigned. */
  envArea: Buffer | null = null;
  argv: Buffer[] | null = null;
  env: Buffer[] | null | undefined = undefined;
}

const STRINGS = Symbol('ptrace.execStrings');

type WithStrings = ExecEvent & { [STRINGS]: ExecStrings };

// Shared accessor functions: every exec event gets the same ones, so V8 keeps one hidden class for them.
const ARGV: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: WithStrings): Buffer[] {
    const s = this[STRINGS];
    if (s.argv === null) s.argv = s.argvArea === null ? [] : splitStrings(s.argvArea);
    return s.argv;
  },
  set(this: WithStrings, v: Buffer[]): void {
    const s = this[STRINGS];
    s.argv = v;
    s.argvArea = null;
  },
};
const ENV: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: WithStrings): Buffer[] | null {
    const s = this[STRINGS];
    if (s.env === undefined) s.env = s.envArea === null ? null : splitStrings(s.envArea);
    return s.env;
  },
  set(this: WithStrings, v: Buffer[] | null): void {
    const s = this[STRINGS];
    s.env = v;
    s.envArea = null;
  },
};

/**
 * The argv and environment of an exec event as NUL-terminated areas (every
 * string followed by one NUL, the kernel's layout), without splitting them;
 * env null when the capture skipped it. Works on any ExecEvent (one built by
 * hand is joined from its lists).
 */
export function execAreas(e: ExecEvent): { argv: Buffer; argc: number; env: Buffer | null } {
  const s = (e as Partial<WithStrings>)[STRINGS];
  let argv: Buffer;
  let argc: number;
  if (s !== undefined && s.argv === null) {
    argv = s.argvArea === null ? EMPTY : terminated(s.argvArea);
    argc = countStrings(argv);
  } else {
    argv = joinStrings(e.argv);
    argc = e.argv.length;
  }
  let env: Buffer | null;
  if (s !== undefined && s.env === undefined) env = s.envArea === null ? null : terminated(s.envArea);
  else env = e.env === null ? null : joinStrings(e.env);
  return { argv, argc, env };
}

/** The fixed fields of an exec record; its strings are filled in once its chunks are in. */
function execEvent(b: Bytes, off: number, le: boolean, ts: bigint, pid: number, start: bigint, tid: number): ExecEvent {
  const dv = b.dv;
  const e = {
    kind: 'exec',
    ts,
    process: { pid, start },
    tid,
    parent: { pid: dv.getUint32(off + EXEC.ppid, le), start: dv.getBigUint64(off + EXEC.parent_start, le) },
    ppid: dv.getUint32(off + EXEC.ppid, le),
    oldTid: dv.getUint32(off + EXEC.old_tid, le),
    uid: dv.getUint32(off + EXEC.uid, le),
    gid: dv.getUint32(off + EXEC.gid, le),
    euid: dv.getUint32(off + EXEC.euid, le),
    egid: dv.getUint32(off + EXEC.egid, le),
    nsPid: dv.getUint32(off + EXEC.ns_pid, le),
    nsLevel: dv.getUint32(off + EXEC.ns_level, le),
    comm: decodeCString(b.buf, off + EXEC.comm, COMM_LEN),
    argc: dv.getUint32(off + EXEC.argc, le),
    envc: dv.getUint32(off + EXEC.envc, le),
    filename: missing(),
    interp: null,
    exe: missing(),
    cwd: missing(),
  } as Partial<WithStrings>;
  Object.defineProperty(e, STRINGS, { value: new ExecStrings() });
  Object.defineProperty(e, 'argv', ARGV);
  e.argvTruncated = true;
  Object.defineProperty(e, 'env', ENV);
  e.envTruncated = false;
  e.argvLen = dv.getUint32(off + EXEC.argv_len, le);
  e.envLen = dv.getUint32(off + EXEC.env_len, le);
  return e as ExecEvent;
}

/** `7 (3), 9 (1)` and the total, from a number → count map. */
function tally(m: Map<number, number>): { n: number; list: string } {
  let n = 0;
  const parts: string[] = [];
  for (const [k, c] of [...m].sort((a, b) => a[0] - b[0])) {
    n += c;
    parts.push(`${k} (${c})`);
  }
  return { n, list: parts.join(', ') };
}

/** Turns records into events; see the module comment. */
export class Assembler {
  readonly header: CaptureHeader;
  readonly le: boolean;
  readonly warnings: ReadWarning[];
  readonly onEvent: (e: CaptureEvent) => void;
  /** Complete records fed so far (the footer included). */
  records = 0;
  footer: CaptureFooter | null = null;
  #counts: number[] = new Array<number>(RT.FOOTER + 1).fill(0);
  #unknown = new Map<number, number>();
  #orphans = 0;
  #unknownKinds = new Map<number, number>();
  /** tid → the thread's latest owner record (exec, failed exec, open), while no other record of the thread has followed. */
  #owners = new Map<number, Owner>();
  #queue: Queued[] = [];
  #qHead = 0;
  /** PT_EXIT carries struct pt_rusage (format 1.1 and later); in 1.0 those bytes are unused. */
  readonly #hasRusage: boolean;
  /** Clamps out-of-range u64 values (formats/values.ts). */
  readonly #values: ValueChecker;

  constructor(header: CaptureHeader, onEvent: (e: CaptureEvent) => void, warnings: ReadWarning[] = []) {
    this.header = header;
    this.le = header.littleEndian;
    this.onEvent = onEvent;
    this.warnings = warnings;
    this.#hasRusage = header.versionMajor > 1 || (header.versionMajor === 1 && header.versionMinor >= 1);
    this.#values = new ValueChecker(header.start.boottime, warnings);
  }

  #site(at: number, type: number, pid: number): { record: number; type: string; pid: number } {
    return { record: at, type: RECORD_TYPE_NAMES[type] ?? `type${type}`, pid };
  }

  /** A duration, byte count or counter of record `at`, clamped to MAX_AMOUNT. */
  #amount(v: bigint, at: number, type: number, pid: number, field: string): bigint {
    return v <= MAX_AMOUNT ? v : this.#values.amount(v, this.#site(at, type, pid), field);
  }

  /** A timestamp of record `at` (0: not recorded, kept), clamped near the capture start. */
  #optionalTime(v: bigint, at: number, type: number, pid: number, field: string): bigint {
    const c = this.#values;
    return v === 0n || (v >= c.earliest && v <= c.latest) ? v : c.time(v, this.#site(at, type, pid), field);
  }

  /** Queues an owner record until its chunks are in; its head.ts is kept as two 32-bit halves, as chunks name it. */
  #pending(event: Owned, dv: DataView, off: number, at: number): void {
    const le = this.le;
    const p = new Pending(
      event,
      dv.getUint16(off + HEAD.flags, le),
      at,
      dv.getUint32(off + HEAD.ts + (le ? 0 : 4), le),
      dv.getUint32(off + HEAD.ts + (le ? 4 : 0), le),
    );
    this.#owners.set(event.tid, p);
    this.#queue.push(p);
  }

  /**
   * An owner with one string (failed exec, open, name lookup): when the next
   * record is that string's only chunk, as the capture writes it for short
   * strings, the event is completed at once (no queueing, no lookups by
   * thread); else it waits for its chunks. Returns the records used.
   */
  #owner(event: ExecFailedEvent | OpenEvent | DnsEvent, b: Bytes, off: number, at: number, end: number): number {
    const dv = b.dv;
    const le = this.le;
    const next = off + RECORD_SIZE;
    const kind = event.kind === 'open' ? DK.PATH : event.kind === 'dns' ? DK.NAME : DK.FILENAME;
    if (
      next + RECORD_SIZE > end ||
      dv.getUint16(next + HEAD.type, le) !== RT.DATA ||
      dv.getUint8(next + DATA.kind) !== kind ||
      (dv.getUint8(next + DATA.flags) & DF.LAST) === 0 ||
      dv.getUint32(next + DATA.offset, le) !== 0 ||
      dv.getUint32(next + HEAD.tid, le) !== event.tid ||
      dv.getUint32(next + HEAD.pid, le) !== event.process.pid ||
      dv.getUint32(next + DATA.owner_ts, le) !== dv.getUint32(off + HEAD.ts, le) ||
      dv.getUint32(next + DATA.owner_ts + 4, le) !== dv.getUint32(off + HEAD.ts + 4, le)
    ) {
      this.#pending(event, dv, off, at);
      return 1;
    }
    // The chunk's record, counted and windowed as if fed on its own.
    const chunkAt = ++this.records;
    this.#counts[RT.DATA]++;
    if (this.#qHead < this.#queue.length) this.#checkWindow(chunkAt);
    const acc = new StringAcc();
    acc.add(b.buf, next + DATA.data, 0, dv.getUint16(next + DATA.len, le), dv.getUint8(next + DATA.flags));
    if (event.kind === 'open') event.path = acc.captured();
    else if (event.kind === 'dns') event.name = acc.captured();
    else event.filename = acc.captured();
    // Kept until the thread's next record, as for any completed owner: a late chunk of it is an orphan.
    this.#owners.set(event.tid, { pid: event.process.pid, tsLo: dv.getUint32(off + HEAD.ts + (le ? 0 : 4), le), tsHi: dv.getUint32(off + HEAD.ts + (le ? 4 : 0), le) });
    this.#emit(event);
    return 2;
  }

  /**
   * Feeds the record at `off` of `b`, whose records are valid up to `end`
   * (it may look at the next one). Returns how many records it used (2 when
   * an owner took its chunk along), or 0 once it was the footer: stop
   * feeding then.
   */
  record(b: Bytes, off: number, end = off + RECORD_SIZE): number {
    const dv = b.dv;
    const le = this.le;
    const at = ++this.records;
    if (this.#qHead < this.#queue.length) this.#checkWindow(at);
    const type = dv.getUint16(off + HEAD.type, le);
    if (type === RT.DATA) {
      this.#counts[RT.DATA]++;
      this.#data(b, off, at);
      return 1;
    }
    if (type > RT.FOOTER || RECORD_TYPE_NAMES[type] === undefined) {
      this.#unknown.set(type, (this.#unknown.get(type) ?? 0) + 1);
      return 1;
    }
    this.#counts[type]++;
    const tid = dv.getUint32(off + HEAD.tid, le);
    const open = this.#owners.get(tid);
    if (open !== undefined) {
      if (open instanceof Pending && !open.done) this.#complete(open);
      this.#owners.delete(tid);
    }
    let ts = dv.getBigUint64(off + HEAD.ts, le);
    const pid = dv.getUint32(off + HEAD.pid, le);
    let start = dv.getBigUint64(off + HEAD.start, le);
    const values = this.#values;
    if (ts < values.earliest || ts > values.latest) ts = values.time(ts, this.#site(at, type, pid), 'head.ts');
    if (start < values.earliest || start > values.latest) start = values.time(start, this.#site(at, type, pid), 'head.start');
    switch (type) {
      case RT.FORK:
        this.#emit({
          kind: 'fork',
          ts,
          process: { pid, start },
          tid,
          child: {
            pid: dv.getUint32(off + FORK.child_pid, le),
            start: this.#optionalTime(dv.getBigUint64(off + FORK.child_start, le), at, type, pid, 'child_start'),
          },
          childPpid: dv.getUint32(off + FORK.child_ppid, le),
        });
        break;
      case RT.THREAD:
        this.#emit({ kind: 'thread', ts, process: { pid, start }, tid, newTid: dv.getUint32(off + THREAD.new_tid, le) });
        break;
      case RT.EXEC: {
        const e = execEvent(b, off, le, ts, pid, start, tid);
        e.parent.start = this.#optionalTime(e.parent.start, at, type, pid, 'parent_start');
        this.#pending(e, dv, off, at);
        break;
      }
      case RT.EXEC_FAILED: {
        const err = Math.abs(dv.getInt32(off + EXEC_FAILED.err, le));
        const event: ExecFailedEvent = {
          kind: 'exec_failed',
          ts,
          process: { pid, start },
          tid,
          errno: err,
          errnoName: errnoName(err),
          filename: missing(),
          syscallNr: dv.getUint32(off + EXEC_FAILED.syscall_nr, le),
        };
        return this.#owner(event, b, off, at, end);
      }
      case RT.OPEN: {
        const result = dv.getInt32(off + OPEN.result, le);
        const failed = result < 0;
        const event: OpenEvent = {
          kind: 'open',
          ts,
          process: { pid, start },
          tid,
          dirfd: dv.getInt32(off + OPEN.dirfd, le),
          result,
          fd: failed ? null : result,
          errno: failed ? -result : null,
          errnoName: failed ? errnoName(-result) : null,
          flags: dv.getUint32(off + OPEN.flags, le),
          mode: dv.getUint32(off + OPEN.mode, le),
          syscallNr: dv.getUint32(off + OPEN.syscall_nr, le),
          latencyNs: this.#amount(dv.getBigUint64(off + OPEN.latency_ns, le), at, type, pid, 'latency_ns'),
          path: MISSING,
        };
        return this.#owner(event, b, off, at, end);
      }
      case RT.DNS: {
        const r = decodeDns(b, off, le);
        const answers: { family: number; address: string }[] = [];
        for (let i = 0; i < r.families.length; i++) {
          const af = r.families[i]!;
          if (af === 2 || af === 10) answers.push({ family: af === 2 ? 4 : 6, address: ipAddress(af, r.addrs[i]!) });
        }
        const event: DnsEvent = {
          kind: 'dns',
          ts,
          process: { pid, start },
          tid,
          name: MISSING,
          result: r.result,
          resultName: eaiName(r.result),
          count: r.count,
          answers,
          startTs: this.#optionalTime(r.startTs, at, type, pid, 'start_ts'),
          latencyNs: this.#amount(r.latencyNs, at, type, pid, 'latency_ns'),
        };
        return this.#owner(event, b, off, at, end);
      }
      case RT.DNS_MSG: {
        const r = decodeDnsMsg(b, off, le);
        const event: DnsMessageEvent = {
          kind: 'dns_msg',
          ts,
          process: { pid, start },
          tid,
          direction: r.direction === DNSD.SENT ? 'sent' : 'received',
          family: r.family === 2 ? 4 : r.family === 10 ? 6 : r.family,
          localAddress: ipAddress(r.family, r.localAddr),
          localPort: r.localPort,
          remoteAddress: ipAddress(r.family, r.remoteAddr),
          remotePort: r.remotePort,
          length: r.length,
          message: MISSING,
        };
        this.#pending(event, dv, off, at);
        break;
      }
      case RT.TCP: {
        const r = decodeTcp(b, off, le);
        this.#emit({
          kind: 'tcp',
          ts,
          process: { pid, start },
          tid,
          event: tcpEventName(r.event),
          role: tcpRoleName(r.role),
          family: r.family === 2 ? 4 : r.family === 10 ? 6 : r.family,
          localAddress: ipAddress(r.family, r.localAddr),
          localPort: r.localPort,
          remoteAddress: ipAddress(r.family, r.remoteAddr),
          remotePort: r.remotePort,
          errno: r.error > 0 ? r.error : null,
          errnoName: r.error > 0 ? errnoName(r.error) : null,
          connId: r.connId,
          startTs: this.#optionalTime(r.startTs, at, type, pid, 'start_ts'),
          latencyNs: this.#amount(r.latencyNs, at, type, pid, 'latency_ns'),
          bytesSent: this.#amount(r.bytesSent, at, type, pid, 'bytes_sent'),
          bytesReceived: this.#amount(r.bytesReceived, at, type, pid, 'bytes_received'),
          retransmits: r.retransmits,
          tcpState: r.tcpState === 0 ? null : tcpStateName(r.tcpState),
          softErrno: r.softError > 0 ? r.softError : null,
          softErrnoName: r.softError > 0 ? errnoName(r.softError) : null,
        });
        break;
      }
      case RT.HIST:
        this.#emit({
          kind: 'hist',
          ts,
          process: { pid, start },
          tid,
          histKind: histKindName(dv.getUint32(off + HIST.kind, le)),
          count: this.#amount(dv.getBigUint64(off + HIST.count, le), at, type, pid, 'count'),
          totalNs: this.#amount(dv.getBigUint64(off + HIST.total_ns, le), at, type, pid, 'total_ns'),
          maxNs: this.#amount(dv.getBigUint64(off + HIST.max_ns, le), at, type, pid, 'max_ns'),
          buckets: decodeBuckets(b, off, le),
        });
        break;
      case RT.EXIT: {
        const status = dv.getUint32(off + EXIT.status, le);
        const flags = dv.getUint16(off + HEAD.flags, le);
        const ws = decodeWaitStatus(status, (flags & F.CORE_DUMPED) !== 0);
        this.#emit({
          kind: 'exit',
          ts,
          process: { pid, start },
          tid,
          status,
          exitCode: ws.exitCode,
          signal: ws.signal,
          signalName: ws.signalName,
          coreDumped: ws.coreDumped,
          comm: decodeCString(b.buf, off + EXIT.comm, COMM_LEN),
          nrThreadsSeen: dv.getUint32(off + EXIT.nr_threads_seen, le),
          rusage: this.#hasRusage ? values.rusage(decodeRusage(b, off + EXIT.rusage, le), this.#site(at, type, pid)) : null,
        });
        break;
      }
      case RT.LOSS: {
        const category = dv.getUint32(off + LOSS.category, le);
        this.#emit({
          kind: 'loss',
          ts,
          process: { pid, start },
          tid,
          category,
          categoryName: lossCategoryName(category),
          count: this.#amount(dv.getBigUint64(off + LOSS.count, le), at, type, pid, 'count'),
        });
        break;
      }
      case RT.RUNNING:
        this.#emit({ kind: 'running', ts, process: { pid, start }, tid });
        break;
      case RT.FOOTER: {
        const endFlags = dv.getUint32(off + FOOTER.end_flags, le);
        const stop = decodeAnchor(b, off + FOOTER.stop, le);
        if (stop.boottime < values.earliest || stop.boottime > values.latest) {
          stop.boottime = values.time(stop.boottime, this.#site(at, type, pid), 'stop.boottime');
        }
        const { realtime, monotonic } = checkedAnchor({ ...stop, boottime: 0n }, `record ${at} (footer, pid ${pid}): stop.`, this.warnings);
        stop.realtime = realtime;
        stop.monotonic = monotonic;
        this.footer = {
          records: this.#amount(dv.getBigUint64(off + FOOTER.records, le), at, type, pid, 'records'),
          lost: this.#amount(dv.getBigUint64(off + FOOTER.lost, le), at, type, pid, 'lost'),
          stop,
          rootStatus: dv.getUint32(off + FOOTER.root_status, le),
          processes: dv.getUint32(off + FOOTER.processes, le),
          stillRunning: dv.getUint32(off + FOOTER.still_running, le),
          signalled: (endFlags & END.SIGNALLED) !== 0,
          waitedAll: (endFlags & END.WAITED_ALL) !== 0,
        };
        const before = BigInt(at - 1);
        if (this.footer.records !== before) {
          this.warnings.push({
            code: 'footer-count',
            message: `the footer counts ${this.footer.records} records but ${before} precede it`,
          });
        }
        return 0;
      }
    }
    return 1;
  }

  #data(b: Bytes, off: number, at: number): void {
    const dv = b.dv;
    const le = this.le;
    const kind = dv.getUint8(off + DATA.kind);
    if (kind < DK.FILENAME || kind > DK.DNS_MSG) {
      // A kind from a newer minor version (possibly of a record type this reader skips), or damage: ignored.
      this.#unknownKinds.set(kind, (this.#unknownKinds.get(kind) ?? 0) + 1);
      return;
    }
    const p = this.#owners.get(dv.getUint32(off + HEAD.tid, le));
    if (
      p === undefined ||
      p.pid !== dv.getUint32(off + HEAD.pid, le) ||
      p.tsLo !== dv.getUint32(off + DATA.owner_ts + (le ? 0 : 4), le) ||
      p.tsHi !== dv.getUint32(off + DATA.owner_ts + (le ? 4 : 0), le)
    ) {
      this.#orphans++;
      return;
    }
    if (!(p instanceof Pending) || p.done || !p.accepts(kind)) {
      this.#orphans++;
      return;
    }
    let acc = p.strings[kind];
    if (acc === undefined) acc = p.strings[kind] = new StringAcc(this.#expected(p.event, kind));
    if (acc.last) {
      // A chunk after the string's final one belongs to nothing.
      this.#orphans++;
      return;
    }
    const len = dv.getUint16(off + DATA.len, le);
    const flags = dv.getUint8(off + DATA.flags);
    acc.add(b.buf, off + DATA.data, dv.getUint32(off + DATA.offset, le), len, flags);
    p.lastActivity = at;
    if (kind === p.finalKind && flags & DF.LAST) this.#complete(p);
  }

  /** The announced size of an exec's argv or env area, capped at the capture's args limit; else 0. */
  #expected(e: Owned, kind: number): number {
    if (e.kind !== 'exec' || (kind !== DK.ARGV && kind !== DK.ENV)) return 0;
    const n = (kind === DK.ARGV ? e.argvLen : e.envLen) ?? 0;
    const limit = this.header.argsLimit > 0 ? this.header.argsLimit : 1 << 20;
    return Math.min(n, limit, 1 << 20);
  }

  #checkWindow(at: number): void {
    const head = this.#queue[this.#qHead];
    if (head instanceof Pending && !head.done && at - head.lastActivity > CHUNK_WINDOW) this.#complete(head);
  }

  #emit(e: CaptureEvent): void {
    if (this.#qHead === this.#queue.length) this.onEvent(e);
    else this.#queue.push(e);
  }

  /** No more chunks for `p`: build its event and let the queue move on. */
  #complete(p: Pending): void {
    const e = p.event;
    // Keep only what identifies the owner: its strings are done with.
    if (this.#owners.get(e.tid) === p) this.#owners.set(e.tid, { pid: p.pid, tsLo: p.tsLo, tsHi: p.tsHi });
    p.done = true;
    if (e.kind === 'exec') this.#execStrings(e, p);
    else if (e.kind === 'open') e.path = p.strings[DK.PATH]?.captured() ?? missing();
    else if (e.kind === 'dns') e.name = p.strings[DK.NAME]?.captured() ?? missing();
    else if (e.kind === 'dns_msg') e.message = p.strings[DK.DNS_MSG]?.captured() ?? missing();
    else e.filename = p.strings[DK.FILENAME]?.captured() ?? missing();
    this.#flush();
  }

  #flush(): void {
    const q = this.#queue;
    let i = this.#qHead;
    while (i < q.length) {
      const x = q[i]!;
      if (x instanceof Pending) {
        if (!x.done) break;
        this.onEvent(x.event);
      } else {
        this.onEvent(x);
      }
      i++;
    }
    if (i === q.length) {
      q.length = 0;
      i = 0;
    } else if (i > 4096 && i * 2 > q.length) {
      q.splice(0, i);
      i = 0;
    }
    this.#qHead = i;
  }

  #execStrings(e: ExecEvent, p: Pending): void {
    const s = p.strings;
    const argv = s[DK.ARGV];
    const env = s[DK.ENV];
    const skipped = (p.flags & F.ENV_SKIPPED) !== 0 || (env === undefined && !this.header.options.env);
    e.filename = s[DK.FILENAME]?.captured() ?? missing();
    e.interp = s[DK.INTERP]?.captured() ?? null;
    e.exe = s[DK.EXE]?.captured() ?? missing();
    e.cwd = s[DK.CWD]?.captured() ?? missing();
    const strings = (e as WithStrings)[STRINGS];
    strings.argvArea = argv ? argv.bytes() : null;
    e.argvTruncated = (p.flags & F.ARGV_TRUNCATED) !== 0 || argv === undefined || argv.truncated;
    strings.envArea = skipped ? null : env ? env.bytes() : EMPTY;
    e.envTruncated = (p.flags & F.ENV_TRUNCATED) !== 0 || (!skipped && (env === undefined || env.truncated));
  }

  /** End of input: completes what is pending, emits everything, adds the summary warnings. */
  finish(): void {
    const q = this.#queue;
    while (this.#qHead < q.length) {
      const x = q[this.#qHead];
      if (x instanceof Pending && !x.done) this.#complete(x);
      else this.#flush();
    }
    this.#owners.clear();
    this.#values.finish();
    if (this.#orphans > 0) {
      this.warnings.push({
        code: 'orphan-data',
        message: `${this.#orphans} data chunk${this.#orphans === 1 ? '' : 's'} had no owner record (ignored)`,
      });
    }
    if (this.#unknownKinds.size > 0) {
      const { n, list } = tally(this.#unknownKinds);
      this.warnings.push({
        code: 'unknown-data-kind',
        message: `ignored ${n} data chunk${n === 1 ? '' : 's'} of unknown kind: ${list} (file format ${this.#version()})`,
      });
    }
    if (this.#unknown.size > 0) {
      const { n, list } = tally(this.#unknown);
      this.warnings.push({
        code: 'unknown-record-type',
        message: `skipped ${n} record${n === 1 ? '' : 's'} of unknown type: ${list} (file format ${this.#version()})`,
      });
    }
  }

  #version(): string {
    return `${this.header.versionMajor}.${this.header.versionMinor}`;
  }

  /** Record counts by type name; unknown types as `type<N>`. */
  recordCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [t, name] of Object.entries(RECORD_TYPE_NAMES)) out[name] = this.#counts[Number(t)] ?? 0;
    for (const [t, c] of [...this.#unknown].sort((a, b) => a[0] - b[0])) out[`type${t}`] = c;
    return out;
  }
}
