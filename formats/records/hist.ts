// PT_HIST: a latency histogram of one process, written at its exit.
import { decodeBuckets } from '../decode.ts';
import { HIST, RT } from '../layout.ts';
import { histKindName } from '../names.ts';
import type { HistEvent } from '../types.ts';
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
