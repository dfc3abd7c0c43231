// PT_CGROUP (format 1.8): the path of a cgroup id the records name, written
// by the capture tool the first time it sees the id; the path follows as one
// PT_D_CGROUP string.
import { CGROUP, DK, RT } from '../layout.ts';
import type { CgroupEvent } from '../types.ts';
import type { RawCgroup } from './raw.ts';
import { MISSING, oneString, type RecordType } from './record.ts';

export const cgroup: RecordType<CgroupEvent> = {
  type: RT.CGROUP,
  owns: oneString(DK.CGROUP, (e, s) => {
    e.path = s;
  }),
  read(c, b, off, at, ts, pid, start, tid) {
    const dv = b.dv;
    const le = c.le;
    return {
      kind: 'cgroup',
      ts,
      process: { pid, start },
      tid,
      cgroupId: Number(c.amount(dv.getBigUint64(off + CGROUP.cgroup_id, le), at, RT.CGROUP, pid, 'cgroup_id')),
      level: dv.getUint32(off + CGROUP.level, le),
      path: MISSING,
    };
  },
};

/** Writes the payload of a cgroup record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeCgroup(_buf: Buffer, dv: DataView, off: number, rec: RawCgroup, le: boolean): void {
  dv.setBigUint64(off + CGROUP.cgroup_id, rec.cgroupId, le);
  dv.setUint32(off + CGROUP.level, rec.level, le);
}
