// Integrity of a raw file (format 1.7, FORMAT.md "Integrity"): the footer
// holds a crc32 of the header, of each segment of records and of the whole
// file. `SegmentedChecksum` computes them while a file is written (the TS
// writers; capture/rawfile.c is its C twin); `verifyIntegrity` reads a file
// again and says whether it is intact, or where it was damaged.

import { crc32 } from 'node:zlib';
import { FormatError, UserError } from './errors.ts';
import { openByteStream } from './input.ts';
import { END, FOOTER, RECORD_SIZE, SEGMENT_RECORDS_MIN, SEGMENTS_MAX } from './layout.ts';
import type { CaptureFooter, CaptureHeader, FooterChecksum } from './types.ts';

const POLY = 0xedb88320;

/** a(x) · b(x) modulo the CRC-32 polynomial (reflected), as zlib's multmodp. */
function multmodp(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  let bb = b >>> 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= bb;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    bb = bb & 1 ? (bb >>> 1) ^ POLY : bb >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..31. */
const X2N: readonly number[] = (() => {
  const t = [1 << 30];
  for (let k = 1; k < 32; k++) t.push(multmodp(t[k - 1]!, t[k - 1]!));
  return t;
})();

/** x^(n · 2^k) modulo the polynomial. */
function x2nmodp(n: number, k: number): number {
  let p = 0x80000000;
  let kk = k;
  for (let nn = n; nn > 0; nn = Math.floor(nn / 2)) {
    if (nn % 2 === 1) p = multmodp(X2N[kk & 31]!, p);
    kk++;
  }
  return p;
}

/** crc32(A ‖ B) from crc32(A), crc32(B) and B's length: zlib's crc32_combine. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multmodp(x2nmodp(lengthB, 3), crcA) ^ crcB) >>> 0;
}

/** The footer's checksum fields, computed as a file is written: header, then each record in turn. */
export class SegmentedChecksum {
  #header = 0;
  #segmentRecords = SEGMENT_RECORDS_MIN;
  #segments: number[] = [];
  #open = 0;
  #openRecords = 0;

  header(bytes: Uint8Array): void {
    this.#header = crc32(bytes);
  }

  /** Whole records (a multiple of 256 bytes), in file order, the footer not included. */
  records(bytes: Uint8Array): void {
    for (let off = 0; off < bytes.length; ) {
      const n = Math.min((this.#segmentRecords - this.#openRecords) * RECORD_SIZE, bytes.length - off);
      this.#open = crc32(bytes.subarray(off, off + n), this.#open);
      this.#openRecords += n / RECORD_SIZE;
      off += n;
      if (this.#openRecords < this.#segmentRecords) continue;
      this.#segments.push(this.#open);
      this.#open = 0;
      this.#openRecords = 0;
      if (this.#segments.length < SEGMENTS_MAX) continue;
      const half = this.#segmentRecords * RECORD_SIZE;
      const merged: number[] = [];
      for (let i = 0; i < SEGMENTS_MAX; i += 2)
        merged.push(crc32Combine(this.#segments[i]!, this.#segments[i + 1]!, half));
      this.#segments = merged;
      this.#segmentRecords *= 2;
    }
  }

  /** Sets the checksum fields (and PT_END_CHECKSUM) of the footer record `footer` (256 bytes, its other fields set). */
  seal(footer: Buffer, le: boolean): void {
    const dv = new DataView(footer.buffer, footer.byteOffset, RECORD_SIZE);
    const segments = [...this.#segments];
    if (this.#openRecords > 0) segments.push(this.#open);
    dv.setUint32(FOOTER.end_flags, dv.getUint32(FOOTER.end_flags, le) | END.CHECKSUM, le);
    dv.setUint32(FOOTER.header_crc32, this.#header, le);
    dv.setUint32(FOOTER.segment_records, this.#segmentRecords, le);
    dv.setUint32(FOOTER.segments, segments.length, le);
    for (let i = 0; i < SEGMENTS_MAX; i++) dv.setUint32(FOOTER.segment_crc32 + 4 * i, segments[i] ?? 0, le);
    let total = this.#header;
    segments.forEach((c, i) => {
      const n = i < this.#segments.length ? this.#segmentRecords : this.#openRecords;
      total = crc32Combine(total, c, n * RECORD_SIZE);
    });
    dv.setUint32(FOOTER.crc32, 0, le);
    dv.setUint32(FOOTER.crc32, crc32(footer.subarray(0, RECORD_SIZE), total), le);
  }
}

export type Integrity =
  | { state: 'intact'; crc32: number }
  | {
      state: 'damaged';
      /** Where the stored checksums disagree with the bytes. */
      where: 'header' | 'records' | 'footer';
      /** For `records`: the ranges [first, last] of record numbers (0 = the first record after the header). */
      records: [number, number][];
    }
  | { state: 'no-checksum'; reason: 'older-format' | 'no-footer' };

/** One line for `ptrace info`: "intact", "damaged at records A–B", "no checksum (older format)". */
export function integrityText(i: Integrity): string {
  if (i.state === 'intact') return `intact (crc32 ${i.crc32.toString(16).padStart(8, '0')})`;
  if (i.state === 'no-checksum')
    return i.reason === 'older-format'
      ? 'no checksum (older format)'
      : 'no checksum (no footer: the capture did not finish)';
  if (i.where === 'header') return 'damaged in the header';
  if (i.where === 'footer') return 'damaged in the footer';
  const ranges = i.records.map(([a, b]) => (a === b ? `record ${a}` : `records ${a}–${b}`));
  return `damaged at ${ranges.slice(0, 4).join(', ')}${ranges.length > 4 ? `, … (${ranges.length} ranges)` : ''}`;
}

/**
 * Reads the file again and checks it against its footer's checksums.
 * `header` and `footer` come from reading it; the footer is record
 * `footerIndex` (0 = the first record after the header).
 */
export function verifyIntegrity(
  path: string,
  header: CaptureHeader,
  footer: CaptureFooter | null,
  footerIndex: number,
): Integrity {
  if (!footer) return { state: 'no-checksum', reason: 'no-footer' };
  const sum: FooterChecksum | null = footer.checksum;
  if (!sum) {
    // a 1.7 writer always sets it: its absence in a 1.7 file is damage (a flipped flag bit)
    return header.versionMinor >= 7 || header.versionMajor > 1
      ? { state: 'damaged', where: 'footer', records: [] }
      : { state: 'no-checksum', reason: 'older-format' };
  }
  let stream: ReturnType<typeof openByteStream>;
  try {
    stream = openByteStream(path);
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const read = (n: number): Buffer => {
      const b = Buffer.allocUnsafe(n);
      const got = stream.read(b, 0, n);
      if (got < n) throw new FormatError('truncated', `${path}: the file changed while it was checked`);
      return b;
    };
    const head = read(header.headerSize);
    let total = crc32(head);
    const headerOk = crc32(head) === sum.headerCrc32;
    const bad: [number, number][] = [];
    const S = sum.segmentRecords;
    const expectedSegments = S > 0 ? Math.ceil(footerIndex / S) : -1;
    const layoutOk = S >= SEGMENT_RECORDS_MIN && expectedSegments === sum.segments.length;
    const step = 4096;
    for (let first = 0, seg = 0; first < footerIndex; seg++) {
      const last = Math.min(footerIndex, S > 0 ? first + S : footerIndex);
      let crc = 0;
      for (let at = first; at < last; at += step) {
        const b = read(Math.min(step, last - at) * RECORD_SIZE);
        crc = crc32(b, crc);
        total = crc32(b, total);
      }
      if (layoutOk && crc !== sum.segments[seg]) bad.push([first, last - 1]);
      first = last;
    }
    const foot = read(RECORD_SIZE);
    foot.writeUInt32LE(0, FOOTER.crc32);
    total = crc32(foot, total);
    if (!headerOk) return { state: 'damaged', where: 'header', records: [] };
    if (!layoutOk) return { state: 'damaged', where: 'footer', records: [] };
    if (bad.length > 0) return { state: 'damaged', where: 'records', records: bad };
    if (total !== sum.crc32) return { state: 'damaged', where: 'footer', records: [] };
    return { state: 'intact', crc32: total };
  } finally {
    stream.close();
  }
}
