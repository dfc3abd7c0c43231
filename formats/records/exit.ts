// PT_EXIT: the last thread of a traced process exited.

import { decodeCString, decodeRusage } from '../decode.ts';
import { setComm, setRusage } from '../encode.ts';
import { COMM_LEN, EXIT, F, HEAD, RT } from '../layout.ts';
import { decodeWaitStatus } from '../names.ts';
import type { ExitEvent } from '../types.ts';
import type { RawExit } from './raw.ts';
import type { RecordType } from './record.ts';

export const exit: RecordType<ExitEvent> = {
  type: RT.EXIT,
  owns: null,
  read(c, b, off, at, ts, pid, start, tid) {
    const dv = b.dv;
    const le = c.le;
    const status = dv.getUint32(off + EXIT.status, le);
    const flags = dv.getUint16(off + HEAD.flags, le);
    const ws = decodeWaitStatus(status, (flags & F.CORE_DUMPED) !== 0);
    return {
      kind: 'exit',
      ts,
      process: { pid, start },
      tid,
      status,
      exitCode: ws.exitCode,
      signal: ws.signal,
      signalName: ws.signalName,
      coreDumped: ws.coreDumped,
      comm: decodeCString(b.buf, off + EXIT.comm, COMM_LEN),
      nrThreadsSeen: dv.getUint32(off + EXIT.nr_threads_seen, le),
      rusage: c.hasRusage ? c.values.rusage(decodeRusage(b, off + EXIT.rusage, le), c.site(at, RT.EXIT, pid)) : null,
    };
  },
};

/** Writes the payload of a exit record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeExit(buf: Buffer, dv: DataView, off: number, rec: RawExit, le: boolean): void {
  dv.setUint32(off + EXIT.status, rec.status, le);
  dv.setUint32(off + EXIT.nr_threads_seen, rec.nrThreadsSeen, le);
  setComm(buf, off + EXIT.comm, rec.comm);
  setRusage(dv, off + EXIT.rusage, rec.rusage, le);
}
