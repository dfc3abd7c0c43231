// PT_LOSS: the cumulative count of records dropped in one category.
import { LOSS, RT } from '../layout.ts';
import { lossCategoryName } from '../names.ts';
import type { LossEvent } from '../types.ts';
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
