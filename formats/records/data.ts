// PT_DATA: the chunks strings are split into (FORMAT.md "Splitting"). The
// reading side is the assembler's (assemble.ts); this is the writing side.
import { DATA, DATA_MAX, DF, RT } from '../layout.ts';
import type { RawData, RawHead } from './raw.ts';

/** Writes the payload of a data record (the head and zero fill are the caller's). */
export function encodeData(buf: Buffer, dv: DataView, off: number, rec: RawData, le: boolean): void {
  dv.setBigUint64(off + DATA.owner_ts, rec.ownerTs, le);
  dv.setUint32(off + DATA.offset, rec.offset, le);
  dv.setUint16(off + DATA.len, rec.len, le);
  dv.setUint8(off + DATA.kind, rec.dataKind);
  dv.setUint8(off + DATA.flags, rec.dataFlags);
  rec.data.copy(buf, off + DATA.data, 0, Math.min(rec.data.length, DATA_MAX));
}

/** PT_DATA chunks of one string, split as the BPF program does (an empty string is one empty LAST chunk). */
export function chunkString(owner: RawHead, dataKind: number, bytes: Buffer, truncated: boolean): RawData[] {
  const out: RawData[] = [];
  let offset = 0;
  do {
    const len = Math.min(DATA_MAX, bytes.length - offset);
    const last = offset + len >= bytes.length;
    out.push({
      kind: 'data',
      head: { ...owner, type: RT.DATA, flags: 0 },
      ownerTs: owner.ts,
      offset,
      len,
      dataKind,
      dataFlags: last ? DF.LAST | (truncated ? DF.TRUNCATED : 0) : 0,
      data: bytes.subarray(offset, offset + len),
    });
    offset += len;
  } while (offset < bytes.length);
  return out;
}
