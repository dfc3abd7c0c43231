// Rewriting a raw file record by record, in one streaming pass (memory:
// the strings of the owners still waiting for chunks, never the file): the
// writer behind `ptrace redact` and `capture --redact`. Records are copied
// in their order; each string of an owner record (exec, failed exec, open,
// lookup, DNS message) is put together from its PT_DATA chunks, handed to
// `hooks.string`, and split into chunks again (FORMAT.md "Splitting") where
// its last chunk was. The footer gets the new record count and fresh
// checksums (formats/integrity.ts). Garbage after the footer, a cut last
// record and chunks that match no owner (orphans) are not copied.

import { encodeHeaderBytes } from './encode.ts';
import { FormatError, UserError } from './errors.ts';
import { checkFixedHeader, MAX_HEADER_SIZE, parseHeader } from './header.ts';
import { SegmentedChecksum } from './integrity.ts';
import {
  DATA,
  DATA_MAX,
  DF,
  FILE_HEADER_SIZE,
  FOOTER,
  HEAD,
  RECORD_SIZE,
  RT,
  TLV,
  TLV_HEAD,
  TLV_HEAD_SIZE,
  VERSION_MAJOR,
  VERSION_MINOR,
} from './layout.ts';
import { chunkString, encodeRecordInto, RECORD_TYPES } from './records/index.ts';
import type { RawHead } from './records/raw.ts';
import type { CaptureHeader } from './types.ts';

export interface Tlv {
  tag: number;
  value: Buffer;
}

export interface RewriteHooks {
  /**
   * The header: `fixed` is its 72-byte fixed part (patch it in place, e.g. the
   * options), `tlvs` the TLVs read; returns the TLVs to write.
   */
  header(fixed: Buffer, tlvs: Tlv[], header: CaptureHeader): Tlv[];
  /** An owner record, before its strings: patch its 256 bytes in place. */
  owner(record: Buffer, type: number, le: boolean): void;
  /** A string of an owner (data kind `kind`, owner record type `ownerType`): the bytes to write instead, or null to drop it. */
  string(kind: number, bytes: Buffer, ownerType: number): Buffer | null;
  /**
   * Once every record is written, before the footer: the header to write in
   * place of the first one, the same size (a TLV reserved at the start
   * filled in). Return `header` itself for no change.
   */
  finalHeader(header: Buffer): Buffer;
}

export interface RewriteResult {
  /** The header as written first, and as it must end up (write it over the first at offset 0 when they differ). */
  firstHeader: Buffer;
  header: Buffer;
  recordsIn: number;
  /** Records written, the footer included. */
  recordsOut: number;
  /** Bytes written in all. */
  bytes: number;
  orphans: number;
  footer: boolean;
  /** Bytes of a cut last record (no footer), left out. */
  partialBytes: number;
}

/** The TLVs of a header, in order, up to the end tag or the end of the header. */
export function readTlvs(head: Buffer, headerSize: number, le: boolean): Tlv[] {
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const out: Tlv[] = [];
  for (let off = FILE_HEADER_SIZE; off + TLV_HEAD_SIZE <= headerSize; ) {
    const tag = dv.getUint16(off + TLV_HEAD.tag, le);
    if (tag === TLV.END) break;
    const len = dv.getUint32(off + TLV_HEAD.len, le);
    const start = off + TLV_HEAD_SIZE;
    if (len > headerSize - start) break;
    out.push({ tag, value: Buffer.from(head.subarray(start, start + len)) });
    off = start + ((len + 7) & ~7);
  }
  return out;
}

interface Part {
  offset: number;
  flags: number;
  data: Buffer;
}

interface Pending {
  type: number;
  head: RawHead;
  mask: number;
  finalKind: number;
  strings: Map<number, Part[]>;
}

const CHUNK_RECORDS = 16384;

/**
 * Reads a raw file through `read` (sequential: fills `buf[off, off+len)`,
 * returns the bytes read, fewer only at the end) and writes the rewritten
 * file through `write` (each buffer may be reused after the call).
 */
export function rewriteRaw(
  read: (buf: Buffer, off: number, len: number) => number,
  write: (bytes: Buffer) => void,
  hooks: RewriteHooks,
  name: string,
): RewriteResult {
  const readExactly = (buf: Buffer, off: number, len: number): number => {
    let done = 0;
    while (done < len) {
      const n = read(buf, off + done, len - done);
      if (n === 0) break;
      done += n;
    }
    return done;
  };

  // ---- header
  const fixedPart = Buffer.alloc(FILE_HEADER_SIZE);
  const gotFixed = readExactly(fixedPart, 0, FILE_HEADER_SIZE);
  const fixed = checkFixedHeader(
    fixedPart.subarray(0, gotFixed),
    name,
    gotFixed < FILE_HEADER_SIZE ? gotFixed : MAX_HEADER_SIZE,
  );
  const head = Buffer.alloc(fixed.headerSize);
  fixedPart.copy(head);
  if (readExactly(head, FILE_HEADER_SIZE, fixed.headerSize - FILE_HEADER_SIZE) < fixed.headerSize - FILE_HEADER_SIZE)
    throw new FormatError(
      'truncated-header',
      `${name}: truncated header: expected ${fixed.headerSize} bytes (header_size)`,
    );
  const parsed = parseHeader(head, name);
  if (parsed.versionMajor !== VERSION_MAJOR || parsed.versionMinor > VERSION_MINOR)
    throw new UserError(
      `${name}: format ${parsed.versionMajor}.${parsed.versionMinor} is newer than this ptrace writes (${VERSION_MAJOR}.${VERSION_MINOR}): its new records could hold strings it cannot rewrite; upgrade ptrace`,
    );
  const le = parsed.littleEndian;
  const newFixed = Buffer.from(head.subarray(0, FILE_HEADER_SIZE));
  const firstHeader = encodeHeaderBytes(
    newFixed,
    hooks.header(newFixed, readTlvs(head, fixed.headerSize, le), parsed),
    le,
  );

  // ---- output: whole records, checksummed as they go
  const checksum = new SegmentedChecksum();
  const out = Buffer.alloc(CHUNK_RECORDS * RECORD_SIZE);
  const outView = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let outPos = 0;
  let recordsOut = 0;
  let bytes = 0;
  const flush = (): void => {
    if (outPos === 0) return;
    const b = out.subarray(0, outPos);
    checksum.records(b);
    write(b);
    bytes += outPos;
    outPos = 0;
  };
  const slot = (): number => {
    if (outPos === out.length) flush();
    const at = outPos;
    outPos += RECORD_SIZE;
    recordsOut++;
    return at;
  };
  write(firstHeader);
  bytes += firstHeader.length;

  // ---- strings
  const pending = new Map<number, Pending>();
  let orphans = 0;
  const emitString = (p: Pending, kind: number, parts: Part[]): void => {
    parts.sort((a, b) => a.offset - b.offset);
    const pieces: Buffer[] = [];
    let expected = 0;
    let complete = false;
    let truncated = false;
    for (const part of parts) {
      if (part.offset !== expected) break; // a gap: the bytes after it are lost (as the reader does)
      pieces.push(part.data);
      expected += part.data.length;
      if ((part.flags & (DF.TRUNCATED | DF.FAULT)) !== 0) truncated = true;
      if ((part.flags & DF.LAST) !== 0) {
        complete = true;
        break;
      }
    }
    const replaced = hooks.string(kind, Buffer.concat(pieces), p.type);
    if (replaced === null) return;
    const chunks = chunkString(p.head, kind, replaced, truncated);
    if (!complete) chunks[chunks.length - 1]!.dataFlags &= ~DF.LAST; // still no final chunk: still truncated
    for (const c of chunks) encodeRecordInto(out, slot(), c, le, outView);
  };
  const flushPending = (tid: number): void => {
    const p = pending.get(tid);
    if (!p) return;
    pending.delete(tid);
    for (const [kind, parts] of p.strings) emitString(p, kind, parts);
  };

  // ---- records
  const input = Buffer.alloc(CHUNK_RECORDS * RECORD_SIZE);
  const dv = new DataView(input.buffer, input.byteOffset, input.byteLength);
  let recordsIn = 0;
  let footer: Buffer | null = null;
  let partialBytes = 0;
  records: for (;;) {
    const n = readExactly(input, 0, input.length);
    const whole = n - (n % RECORD_SIZE);
    partialBytes = n - whole;
    for (let off = 0; off < whole; off += RECORD_SIZE) {
      recordsIn++;
      const type = dv.getUint16(off + HEAD.type, le);
      const tid = dv.getUint32(off + HEAD.tid, le);
      if (type === RT.DATA) {
        const p = pending.get(tid);
        const kind = input[off + DATA.kind]!;
        if (
          !p ||
          (p.mask & (1 << kind)) === 0 ||
          dv.getUint32(off + HEAD.pid, le) !== p.head.pid ||
          dv.getBigUint64(off + DATA.owner_ts, le) !== p.head.ts
        ) {
          orphans++;
          continue;
        }
        const len = Math.min(dv.getUint16(off + DATA.len, le), DATA_MAX);
        const flags = input[off + DATA.flags]!;
        const part = {
          offset: dv.getUint32(off + DATA.offset, le),
          flags,
          data: Buffer.from(input.subarray(off + DATA.data, off + DATA.data + len)),
        };
        let parts = p.strings.get(kind);
        if (!parts) p.strings.set(kind, (parts = []));
        parts.push(part);
        if ((flags & DF.LAST) !== 0) {
          p.strings.delete(kind);
          emitString(p, kind, parts);
          if (kind === p.finalKind) flushPending(tid);
        }
        continue;
      }
      flushPending(tid);
      if (type === RT.FOOTER) {
        footer = Buffer.from(input.subarray(off, off + RECORD_SIZE));
        break records;
      }
      const at = slot();
      input.copy(out, at, off, off + RECORD_SIZE);
      const owns = RECORD_TYPES[type]?.owns;
      if (owns) {
        const record = out.subarray(at, at + RECORD_SIZE);
        const flags = dv.getUint16(off + HEAD.flags, le);
        hooks.owner(record, type, le);
        pending.set(tid, {
          type,
          head: {
            type,
            flags,
            tid,
            ts: dv.getBigUint64(off + HEAD.ts, le),
            start: dv.getBigUint64(off + HEAD.start, le),
            pid: dv.getUint32(off + HEAD.pid, le),
            cpu: dv.getUint32(off + HEAD.cpu, le),
          },
          mask: owns.kindMask,
          finalKind: owns.finalKind(flags),
          strings: new Map(),
        });
      }
    }
    if (n < input.length) break;
  }
  for (const tid of [...pending.keys()]) flushPending(tid);

  const header = hooks.finalHeader(firstHeader);
  if (header.length !== firstHeader.length) throw new Error('finalHeader must keep the header size');
  checksum.header(header);
  if (footer) {
    const at = slot();
    footer.copy(out, at);
    const f = out.subarray(at, at + RECORD_SIZE);
    new DataView(f.buffer, f.byteOffset, RECORD_SIZE).setBigUint64(FOOTER.records, BigInt(recordsOut - 1), le);
    // sealed after the records before it were checksummed
    const before = out.subarray(0, at);
    checksum.records(before);
    write(before);
    bytes += before.length;
    checksum.seal(f, le);
    write(f);
    bytes += RECORD_SIZE;
    outPos = 0;
  } else {
    flush();
  }
  return {
    firstHeader,
    header,
    recordsIn,
    recordsOut,
    bytes,
    orphans,
    footer: footer !== null,
    partialBytes: footer === null ? partialBytes : 0,
  };
}
