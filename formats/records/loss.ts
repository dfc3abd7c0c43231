// PT_LOSS: the cumulative count of records dropped in one category.
import { LOSS, RT } from '../layout.ts';
import { lossCategoryName } from '../names.ts';
import type { LossEvent } from '../types.ts';
import type { RawLoss } from './raw.ts';
import type { RecordType } from './record.ts';

export const loss: RecordType<LossEvent> = {
  type: RT.LOSS,
  owns: null,
  read(c, b, off, at, ts, pid, start, tid) {
    const category = b.dv.getUint32(off + LOSS.category, c.le);
    return {
      kind: 'loss',
      ts,
      process: { pid, start },
      tid,
      category,
      categoryName: lossCategoryName(category),
      count: c.amount(b.dv.getBigUint64(off + LOSS.count, c.le), at, RT.LOSS, pid, 'count'),
    };
  },
};

/** Writes the payload of a loss record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeLoss(_buf: Buffer, dv: DataView, off: number, rec: RawLoss, le: boolean): void {
  dv.setUint32(off + LOSS.category, rec.category, le);
  dv.setBigUint64(off + LOSS.count, rec.count, le);
}
