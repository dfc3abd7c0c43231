// PT_RUNNING: a traced process still alive when the capture stopped.
import { RT } from '../layout.ts';
import type { RunningEvent } from '../types.ts';
import type { RecordType } from './record.ts';

export const running: RecordType<RunningEvent> = {
  type: RT.RUNNING,
  owns: null,
  read(_c, _b, _off, _at, ts, pid, start, tid) {
    return { kind: 'running', ts, process: { pid, start }, tid };
  },
};
