// Records → logical events. Fed one 256-byte record at a time (from a whole
// buffer or from chunks of a stream), it hands each record to the module of
// its type (formats/records/), joins PT_DATA chunks back into the strings of
// their owner record (exec, failed exec, open, dns, dns_msg), and emits events
// in the order of their records in the file. No I/O.

import { type Bytes, decodeContainer } from './decode.ts';
import { DATA, DATA_MAX, DF, DK, HEAD, RECORD_SIZE, RECORD_TYPE_NAMES, RT } from './layout.ts';
import { EMPTY, type Owns, RECORD_TYPES, type RecordContext, readFooter } from './records/index.ts';
import type { CapturedBytes, CaptureEvent, CaptureFooter, CaptureHeader, ContainerIds, ReadWarning } from './types.ts';
import { MAX_AMOUNT, ValueChecker, type ValueSite } from './values.ts';

/**
 * A pending owner (exec, failed exec, open, dns, dns_msg) whose last chunk has not been
 * seen is completed anyway once this many records have followed its latest
 * chunk (the BPF program writes an owner's chunks right after it, so in
 * practice they are a few records away).
 */
export const CHUNK_WINDOW = 65536;

/** The highest record type this reader knows. */
const MAX_RECORD_TYPE = Math.max(...Object.values(RT));

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

/** A record with strings waiting for its chunks: its event is built, its strings not yet. */
class Pending {
  readonly event: CaptureEvent;
  readonly owns: Owns<CaptureEvent>;
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

  constructor(event: CaptureEvent, owns: Owns<CaptureEvent>, flags: number, at: number, tsLo: number, tsHi: number) {
    this.pid = event.process.pid;
    this.tsLo = tsLo;
    this.tsHi = tsHi;
    this.event = event;
    this.owns = owns;
    this.flags = flags;
    this.finalKind = owns.finalKind(flags);
    this.lastActivity = at;
  }

  /** Whether a chunk of this data kind can belong to this owner. */
  accepts(kind: number): boolean {
    return (this.owns.kindMask & (1 << kind)) !== 0;
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
 * A thread whose latest owner record is behind it (another record of the
 * thread followed). Set instead of deleting the thread's entry: a deletion
 * shrinks and reallocates the map's table, every few records. No chunk
 * matches it (no pid is -1).
 */
const NO_OWNER: Finished = Object.freeze({ pid: -1, tsLo: -1, tsHi: -1 });
/** Threads marked NO_OWNER are swept out of the map once it holds this many entries (and twice what the last sweep left). */
const OWNERS_SWEEP = 1 << 16;

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
export class Assembler implements RecordContext {
  readonly header: CaptureHeader;
  readonly le: boolean;
  readonly warnings: ReadWarning[];
  readonly onEvent: (e: CaptureEvent) => void;
  /** Complete records fed so far (the footer included). */
  records = 0;
  footer: CaptureFooter | null = null;
  #counts: number[] = new Array<number>(MAX_RECORD_TYPE + 1).fill(0);
  #unknown = new Map<number, number>();
  #orphans = 0;
  #unknownKinds = new Map<number, number>();
  /** tid → the thread's latest owner record (exec, failed exec, open), while no other record of the thread has followed. */
  #owners = new Map<number, Owner>();
  #sweepAt = OWNERS_SWEEP;
  #queue: Queued[] = [];
  #qHead = 0;
  /** PT_EXIT carries struct pt_rusage (format 1.1 and later); in 1.0 those bytes are unused. */
  readonly hasRusage: boolean;
  /** Clamps out-of-range u64 values (formats/values.ts). */
  readonly values: ValueChecker;

  constructor(header: CaptureHeader, onEvent: (e: CaptureEvent) => void, warnings: ReadWarning[] = []) {
    this.header = header;
    this.le = header.littleEndian;
    this.onEvent = onEvent;
    this.warnings = warnings;
    this.hasRusage = header.versionMajor > 1 || (header.versionMajor === 1 && header.versionMinor >= 1);
    this.values = new ValueChecker(header.start.boottime, warnings);
  }

  site(at: number, type: number, pid: number): ValueSite {
    return { record: at, type: RECORD_TYPE_NAMES[type] ?? `type${type}`, pid };
  }

  /** A duration, byte count or counter of record `at`, clamped to MAX_AMOUNT. */
  amount(v: bigint, at: number, type: number, pid: number, field: string): bigint {
    return v <= MAX_AMOUNT ? v : this.values.amount(v, this.site(at, type, pid), field);
  }

  /** A timestamp of record `at` (0: not recorded, kept), clamped near the capture start. */
  optionalTime(v: bigint, at: number, type: number, pid: number, field: string): bigint {
    const c = this.values;
    return v === 0n || (v >= c.earliest && v <= c.latest) ? v : c.time(v, this.site(at, type, pid), field);
  }

  identityTime(v: bigint, at: number, type: number, pid: number, field: string): bigint {
    return v <= this.values.latest ? v : this.values.time(v, this.site(at, type, pid), field);
  }

  container(b: Bytes, off: number, at: number, type: number, pid: number): ContainerIds | null {
    const c = decodeContainer(b, off, this.le);
    if (c === null) return null;
    c.ids.cgroupId = Number(this.amount(c.cgroupId, at, type, pid, 'cgroup_id'));
    return c.ids;
  }

  /** Queues an owner record until its chunks are in; its head.ts is kept as two 32-bit halves, as chunks name it. */
  #pending(event: CaptureEvent, owns: Owns<CaptureEvent>, dv: DataView, off: number, at: number): void {
    const le = this.le;
    const p = new Pending(
      event,
      owns,
      dv.getUint16(off + HEAD.flags, le),
      at,
      dv.getUint32(off + HEAD.ts + (le ? 0 : 4), le),
      dv.getUint32(off + HEAD.ts + (le ? 4 : 0), le),
    );
    this.#setOwner(event.tid, p);
    this.#queue.push(p);
  }

  /**
   * An owner with one string (failed exec, open, name lookup): when the next
   * record is that string's only chunk, as the capture writes it for short
   * strings, the event is completed at once (no queueing, no lookups by
   * thread); else it waits for its chunks. Returns the records used.
   */
  #owner(event: CaptureEvent, owns: Owns<CaptureEvent>, b: Bytes, off: number, at: number, end: number): number {
    const dv = b.dv;
    const le = this.le;
    const next = off + RECORD_SIZE;
    const single = owns.single;
    if (single === null) {
      this.#pending(event, owns, dv, off, at);
      return 1;
    }
    const kind = single.kind;
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
      this.#pending(event, owns, dv, off, at);
      return 1;
    }
    // The chunk's record, counted and windowed as if fed on its own.
    const chunkAt = ++this.records;
    this.#counts[RT.DATA]++;
    if (this.#qHead < this.#queue.length) this.#checkWindow(chunkAt);
    const acc = new StringAcc();
    acc.add(b.buf, next + DATA.data, 0, dv.getUint16(next + DATA.len, le), dv.getUint8(next + DATA.flags));
    single.set(event, acc.captured());
    // Kept until the thread's next record, as for any completed owner: a late chunk of it is an orphan.
    this.#setOwner(event.tid, {
      pid: event.process.pid,
      tsLo: dv.getUint32(off + HEAD.ts + (le ? 0 : 4), le),
      tsHi: dv.getUint32(off + HEAD.ts + (le ? 4 : 0), le),
    });
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
    if (type > MAX_RECORD_TYPE || RECORD_TYPE_NAMES[type] === undefined) {
      this.#unknown.set(type, (this.#unknown.get(type) ?? 0) + 1);
      return 1;
    }
    this.#counts[type]++;
    const tid = dv.getUint32(off + HEAD.tid, le);
    const open = this.#owners.get(tid);
    if (open !== undefined && open !== NO_OWNER) {
      if (open instanceof Pending && !open.done) this.#complete(open);
      this.#owners.set(tid, NO_OWNER);
    }
    let ts = dv.getBigUint64(off + HEAD.ts, le);
    const pid = dv.getUint32(off + HEAD.pid, le);
    let start = dv.getBigUint64(off + HEAD.start, le);
    const values = this.values;
    if (ts < values.earliest || ts > values.latest) ts = values.time(ts, this.site(at, type, pid), 'head.ts');
    if (start > values.latest) start = values.time(start, this.site(at, type, pid), 'head.start');
    if (type === RT.FOOTER) {
      this.footer = readFooter(this, b, off, at, pid);
      return 0;
    }
    const module = RECORD_TYPES[type];
    if (module === undefined) return 1;
    const event = module.read(this, b, off, at, ts, pid, start, tid);
    if (module.owns === null) {
      this.#emit(event);
      return 1;
    }
    return this.#owner(event, module.owns, b, off, at, end);
  }

  #data(b: Bytes, off: number, at: number): void {
    const dv = b.dv;
    const le = this.le;
    const kind = dv.getUint8(off + DATA.kind);
    if (kind < DK.FILENAME || kind > DK.CGROUP) {
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
    if (acc === undefined) acc = p.strings[kind] = new StringAcc(this.#expected(p, kind));
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

  /** The size the owner announces for a string (an exec's argv or env area), capped at the capture's args limit; else 0. */
  #expected(p: Pending, kind: number): number {
    const n = p.owns.announcedSize?.(p.event, kind) ?? 0;
    if (n === 0) return 0;
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

  #setOwner(tid: number, owner: Owner): void {
    const owners = this.#owners;
    if (owners.size >= this.#sweepAt && !owners.has(tid)) {
      for (const [t, o] of owners) if (o === NO_OWNER) owners.delete(t);
      this.#sweepAt = Math.max(OWNERS_SWEEP, 2 * owners.size);
    }
    owners.set(tid, owner);
  }

  /** No more chunks for `p`: build its event and let the queue move on. */
  #complete(p: Pending): void {
    const e = p.event;
    // Keep only what identifies the owner: its strings are done with.
    if (this.#owners.get(e.tid) === p) this.#owners.set(e.tid, { pid: p.pid, tsLo: p.tsLo, tsHi: p.tsHi });
    p.done = true;
    p.owns.complete(e, p.strings, p.flags, this.header);
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

  /** End of input: completes what is pending, emits everything, adds the summary warnings. */
  finish(): void {
    const q = this.#queue;
    while (this.#qHead < q.length) {
      const x = q[this.#qHead];
      if (x instanceof Pending && !x.done) this.#complete(x);
      else this.#flush();
    }
    this.#owners.clear();
    this.values.finish();
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
