// PT_OPEN: a file open returned; its path follows in chunks.
import { DK, OPEN, RT } from '../layout.ts';
import { errnoName } from '../names.ts';
import type { OpenEvent } from '../types.ts';
import type { RawOpen } from './raw.ts';
import { MISSING, oneString, type RecordType } from './record.ts';

export const open: RecordType<OpenEvent> = {
  type: RT.OPEN,
  owns: oneString(DK.PATH, (e, s) => {
    e.path = s;
  }),
  read(c, b, off, at, ts, pid, start, tid) {
    const dv = b.dv;
    const le = c.le;
    const result = dv.getInt32(off + OPEN.result, le);
    const failed = result < 0;
    return {
      kind: 'open',
      ts,
      process: { pid, start },
      tid,
      dirfd: dv.getInt32(off + OPEN.dirfd, le),
      result,
      fd: failed ? null : result,
      errno: failed ? -result : null,
      errnoName: failed ? errnoName(-result) : null,
      flags: dv.getUint32(off + OPEN.flags, le),
      mode: dv.getUint32(off + OPEN.mode, le),
      syscallNr: dv.getUint32(off + OPEN.syscall_nr, le),
      latencyNs: c.amount(dv.getBigUint64(off + OPEN.latency_ns, le), at, RT.OPEN, pid, 'latency_ns'),
      path: MISSING,
    };
  },
};

/** Writes the payload of a open record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeOpen(_buf: Buffer, dv: DataView, off: number, rec: RawOpen, le: boolean): void {
  dv.setInt32(off + OPEN.dirfd, rec.dirfd, le);
  dv.setInt32(off + OPEN.result, rec.result, le);
  dv.setUint32(off + OPEN.flags, rec.flags, le);
  dv.setUint32(off + OPEN.mode, rec.mode, le);
  dv.setUint32(off + OPEN.syscall_nr, rec.syscallNr, le);
  dv.setBigUint64(off + OPEN.latency_ns, rec.latencyNs, le);
}
