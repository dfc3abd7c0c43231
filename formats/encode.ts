// Encoding the parts records share (the inverse of decode.ts): the head,
// clock anchors, resource usage, comm, container ids; and the file header around its TLVs. Each record module of records/ encodes
// its own payload with these; records/index.ts encodeRecordInto puts a whole
// record together.

import { ANCHOR, COMM_LEN, CONTAINER, FILE_HEADER, FILE_HEADER_SIZE, HEAD, RUSAGE, TLV_HEAD_SIZE } from './layout.ts';
import type { RawHead } from './records/raw.ts';
import type { ClockAnchor, ContainerIds, Rusage } from './types.ts';

export function setHead(dv: DataView, off: number, h: RawHead, le: boolean): void {
  dv.setUint16(off + HEAD.type, h.type, le);
  dv.setUint16(off + HEAD.flags, h.flags, le);
  dv.setUint32(off + HEAD.tid, h.tid, le);
  dv.setBigUint64(off + HEAD.ts, h.ts, le);
  dv.setBigUint64(off + HEAD.start, h.start, le);
  dv.setUint32(off + HEAD.pid, h.pid, le);
  dv.setUint32(off + HEAD.cpu, h.cpu, le);
}

export function setAnchor(dv: DataView, off: number, a: ClockAnchor, le: boolean): void {
  dv.setBigUint64(off + ANCHOR.realtime, a.realtime, le);
  dv.setBigUint64(off + ANCHOR.boottime, a.boottime, le);
  dv.setBigUint64(off + ANCHOR.monotonic, a.monotonic, le);
}

export function setRusage(dv: DataView, off: number, r: Rusage, le: boolean): void {
  dv.setBigUint64(off + RUSAGE.utime_ns, r.utimeNs, le);
  dv.setBigUint64(off + RUSAGE.stime_ns, r.stimeNs, le);
  dv.setBigUint64(off + RUSAGE.runtime_ns, r.runtimeNs, le);
  dv.setBigUint64(off + RUSAGE.maxrss_kb, r.maxrssKb, le);
  dv.setBigUint64(off + RUSAGE.min_flt, r.minFlt, le);
  dv.setBigUint64(off + RUSAGE.maj_flt, r.majFlt, le);
  dv.setBigUint64(off + RUSAGE.nvcsw, r.nvcsw, le);
  dv.setBigUint64(off + RUSAGE.nivcsw, r.nivcsw, le);
  dv.setBigUint64(off + RUSAGE.rchar, r.rchar, le);
  dv.setBigUint64(off + RUSAGE.wchar, r.wchar, le);
  dv.setBigUint64(off + RUSAGE.read_bytes, r.readBytes, le);
  dv.setBigUint64(off + RUSAGE.write_bytes, r.writeBytes, le);
}

/** All-zero resource usage: what a format 1.0 exit record holds, and what the writer writes for `rusage: null`. */
export const ZERO_RUSAGE: Readonly<Rusage> = Object.freeze({
  utimeNs: 0n,
  stimeNs: 0n,
  runtimeNs: 0n,
  maxrssKb: 0n,
  minFlt: 0n,
  majFlt: 0n,
  nvcsw: 0n,
  nivcsw: 0n,
  rchar: 0n,
  wchar: 0n,
  readBytes: 0n,
  writeBytes: 0n,
});

/** A process's cgroup and namespace ids (format 1.8); absent: left zero (not recorded). */
export function setContainer(dv: DataView, off: number, c: ContainerIds | undefined, le: boolean): void {
  if (c === undefined) return;
  dv.setBigUint64(off + CONTAINER.cgroup_id, BigInt(c.cgroupId), le);
  dv.setUint32(off + CONTAINER.pid_ns, c.pidNs, le);
  dv.setUint32(off + CONTAINER.mnt_ns, c.mntNs, le);
  dv.setUint32(off + CONTAINER.net_ns, c.netNs, le);
  dv.setUint32(off + CONTAINER.uts_ns, c.utsNs, le);
}

/** A task name into its 16-byte field (cut at 16 bytes; the rest stays zero). */
export function setComm(buf: Buffer, off: number, comm: string): void {
  const b = Buffer.from(comm);
  b.copy(buf, off, 0, Math.min(b.length, COMM_LEN));
}

const pad8 = (n: number): number => (n + 7) & ~7;

/**
 * The file header: `fixed` (its 72-byte fixed part; header_size is set
 * here), the TLVs in order, an END TLV, zero padding to `headerSize`
 * (default: what they need).
 */
export function encodeHeaderBytes(
  fixed: Uint8Array,
  tlvs: readonly { tag: number; value: Uint8Array }[],
  le: boolean,
  headerSize?: number,
): Buffer {
  let need = FILE_HEADER_SIZE;
  for (const t of tlvs) need += TLV_HEAD_SIZE + pad8(t.value.length);
  need += TLV_HEAD_SIZE; // END
  const size = headerSize ?? need;
  if (size < need) throw new RangeError(`headerSize ${size} is smaller than the ${need} bytes the TLVs need`);
  const buf = Buffer.alloc(size);
  buf.set(fixed.subarray(0, FILE_HEADER_SIZE), 0);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setUint32(FILE_HEADER.header_size, size, le);
  let off = FILE_HEADER_SIZE;
  for (const t of tlvs) {
    dv.setUint16(off, t.tag, le);
    dv.setUint32(off + 4, t.value.length, le);
    buf.set(t.value, off + TLV_HEAD_SIZE);
    off += TLV_HEAD_SIZE + pad8(t.value.length);
  }
  // END TLV: already zero.
  return buf;
}
