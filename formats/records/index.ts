// The registry: record type number → the module that reads it. A new record
// type is one module here plus its struct in bpf/ptrace.h.
import { RT } from '../layout.ts';
import type { CaptureEvent } from '../types.ts';
import { attached } from './attached.ts';
import { cgroup } from './cgroup.ts';
import { dns } from './dns.ts';
import { dnsMsg } from './dns-msg.ts';
import { exec } from './exec.ts';
import { execFailed } from './exec-failed.ts';
import { exit } from './exit.ts';
import { fork } from './fork.ts';
import { hist } from './hist.ts';
import { loss } from './loss.ts';
import { open } from './open.ts';
import type { RecordType } from './record.ts';
import { running } from './running.ts';
import { tcp } from './tcp.ts';
import { thread } from './thread.ts';

export { attachReasonName } from './attached.ts';
export { execAreas } from './exec.ts';
export { readFooter } from './footer.ts';
export type { ChunkedString, OwnedStrings, Owns, RecordContext, RecordType } from './record.ts';
export { EMPTY, missing } from './record.ts';

// Each module is typed by its own event; the registry hands them the events they made.
const MODULES = [
  fork,
  thread,
  exec,
  attached,
  execFailed,
  exit,
  open,
  hist,
  tcp,
  dns,
  dnsMsg,
  loss,
  running,
  cgroup,
] as unknown as readonly RecordType<CaptureEvent>[];

/** Indexed by record type: the module, or undefined (PT_DATA and PT_FOOTER are the assembler's own). */
export const RECORD_TYPES: readonly (RecordType<CaptureEvent> | undefined)[] = (() => {
  const out = new Array<RecordType<CaptureEvent> | undefined>(Math.max(...Object.values(RT)) + 1).fill(undefined);
  for (const m of MODULES) out[m.type] = m;
  return out;
})();
