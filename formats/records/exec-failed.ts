// PT_EXEC_FAILED: an execve/execveat of a traced process failed; its filename follows in chunks.
import { DK, EXEC_FAILED, RT } from '../layout.ts';
import { errnoName } from '../names.ts';
import type { ExecFailedEvent } from '../types.ts';
import type { RawExecFailed } from './raw.ts';
import { missing, oneString, type RecordType } from './record.ts';

export const execFailed: RecordType<ExecFailedEvent> = {
  type: RT.EXEC_FAILED,
  owns: oneString(DK.FILENAME, (e, s) => {
    e.filename = s;
  }),
  read(c, b, off, _at, ts, pid, start, tid) {
    const err = Math.abs(b.dv.getInt32(off + EXEC_FAILED.err, c.le));
    return {
      kind: 'exec_failed',
      ts,
      process: { pid, start },
      tid,
      errno: err,
      errnoName: errnoName(err),
      filename: missing(),
      syscallNr: b.dv.getUint32(off + EXEC_FAILED.syscall_nr, c.le),
    };
  },
};

/** Writes the payload of a exec_failed record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeExecFailed(_buf: Buffer, dv: DataView, off: number, rec: RawExecFailed, le: boolean): void {
  dv.setInt32(off + EXEC_FAILED.err, rec.err, le);
  dv.setUint32(off + EXEC_FAILED.syscall_nr, rec.syscallNr, le);
}
