// PT_HIST: a latency histogram of one process, written at its exit.
import { decodeBuckets } from '../decode.ts';
import { HIST, HIST_BUCKETS, RT } from '../layout.ts';
import { histKindName } from '../names.ts';
import type { HistEvent } from '../types.ts';
import type { RawHist } from './raw.ts';
import type { RecordType } from './record.ts';

export const hist: RecordType<HistEvent> = {
  type: RT.HIST,
  owns: null,
  read(c, b, off, at, ts, pid, start, tid) {
    const dv = b.dv;
    const le = c.le;
    return {
      kind: 'hist',
      ts,
      process: { pid, start },
      tid,
      histKind: histKindName(dv.getUint32(off + HIST.kind, le)),
      count: c.amount(dv.getBigUint64(off + HIST.count, le), at, RT.HIST, pid, 'count'),
      totalNs: c.amount(dv.getBigUint64(off + HIST.total_ns, le), at, RT.HIST, pid, 'total_ns'),
      maxNs: c.amount(dv.getBigUint64(off + HIST.max_ns, le), at, RT.HIST, pid, 'max_ns'),
      buckets: decodeBuckets(b, off, le),
    };
  },
};

/** Writes the payload of a hist record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeHist(_buf: Buffer, dv: DataView, off: number, rec: RawHist, le: boolean): void {
  dv.setUint32(off + HIST.kind, rec.histKind, le);
  dv.setBigUint64(off + HIST.count, rec.count, le);
  dv.setBigUint64(off + HIST.total_ns, rec.totalNs, le);
  dv.setBigUint64(off + HIST.max_ns, rec.maxNs, le);
  for (let i = 0; i < HIST_BUCKETS && i < rec.buckets.length; i++)
    dv.setUint32(off + HIST.buckets + 4 * i, rec.buckets[i]!, le);
}
