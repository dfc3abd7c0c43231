// PT_FORK: a traced process created a new process.
import { setContainer } from '../encode.ts';
import { FORK, RT } from '../layout.ts';
import type { ForkEvent } from '../types.ts';
import type { RawFork } from './raw.ts';
import type { RecordType } from './record.ts';

export const fork: RecordType<ForkEvent> = {
  type: RT.FORK,
  owns: null,
  read(c, b, off, at, ts, pid, start, tid) {
    const dv = b.dv;
    const le = c.le;
    return {
      kind: 'fork',
      ts,
      process: { pid, start },
      tid,
      child: {
        pid: dv.getUint32(off + FORK.child_pid, le),
        start: c.optionalTime(dv.getBigUint64(off + FORK.child_start, le), at, RT.FORK, pid, 'child_start'),
      },
      childPpid: dv.getUint32(off + FORK.child_ppid, le),
      childContainer: c.container(b, off + FORK.child_container, at, RT.FORK, pid),
    };
  },
};

/** Writes the payload of a fork record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeFork(_buf: Buffer, dv: DataView, off: number, rec: RawFork, le: boolean): void {
  dv.setBigUint64(off + FORK.child_start, rec.childStart, le);
  dv.setUint32(off + FORK.child_pid, rec.childPid, le);
  dv.setUint32(off + FORK.child_ppid, rec.childPpid, le);
  setContainer(dv, off + FORK.child_container, rec.childContainer, le);
}
