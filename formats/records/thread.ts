// PT_THREAD: a traced process created a new thread.
import { RT, THREAD } from '../layout.ts';
import type { ThreadEvent } from '../types.ts';
import type { RawThread } from './raw.ts';
import type { RecordType } from './record.ts';

export const thread: RecordType<ThreadEvent> = {
  type: RT.THREAD,
  owns: null,
  read(c, b, off, _at, ts, pid, start, tid) {
    return { kind: 'thread', ts, process: { pid, start }, tid, newTid: b.dv.getUint32(off + THREAD.new_tid, c.le) };
  },
};

/** Writes the payload of a thread record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeThread(_buf: Buffer, dv: DataView, off: number, rec: RawThread, le: boolean): void {
  dv.setUint32(off + THREAD.new_tid, rec.newTid, le);
}
