// The registry: record type number → the module that reads it. A new record
// type is one module here plus its struct in bpf/ptrace.h.
import { setHead } from '../encode.ts';
import { HEAD_SIZE, RECORD_SIZE, RT } from '../layout.ts';
import type { CaptureEvent } from '../types.ts';
import { attached, encodeAttached } from './attached.ts';
import { cgroup, encodeCgroup } from './cgroup.ts';
import { encodeData } from './data.ts';
import { dns, encodeDns } from './dns.ts';
import { dnsMsg, encodeDnsMsg } from './dns-msg.ts';
import { encodeExec, exec } from './exec.ts';
import { encodeExecFailed, execFailed } from './exec-failed.ts';
import { encodeExit, exit } from './exit.ts';
import { encodeFork, fork } from './fork.ts';
import { encodeHist, hist } from './hist.ts';
import { encodeLoss, loss } from './loss.ts';
import { encodeOpen, open } from './open.ts';
import type { RawRecord } from './raw.ts';
import type { RecordType } from './record.ts';
import { running } from './running.ts';
import { encodeTcp, tcp } from './tcp.ts';
import { encodeThread, thread } from './thread.ts';

export { attachReasonName } from './attached.ts';
export { execAreas } from './exec.ts';

import { encodeFooter } from './footer.ts';

export { chunkString } from './data.ts';
export { readFooter } from './footer.ts';
export type * from './raw.ts';
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

/**
 * Writes one record at `off` of `buf` (256 bytes, zero-filled first). The
 * head's `type` is written as given, so a payload can be paired with any
 * type number; `unknown` records carry their payload bytes. `dv`: a view of
 * all of `buf`, when the caller holds one.
 */
export function encodeRecordInto(
  buf: Buffer,
  off: number,
  rec: RawRecord,
  le: boolean,
  dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
): void {
  buf.fill(0, off, off + RECORD_SIZE);
  setHead(dv, off, rec.head, le);
  switch (rec.kind) {
    case 'fork':
      encodeFork(buf, dv, off, rec, le);
      return;
    case 'thread':
      encodeThread(buf, dv, off, rec, le);
      return;
    case 'exec':
      encodeExec(buf, dv, off, rec, le);
      return;
    case 'attached':
      encodeAttached(buf, dv, off, rec, le);
      return;
    case 'cgroup':
      encodeCgroup(buf, dv, off, rec, le);
      return;
    case 'exec_failed':
      encodeExecFailed(buf, dv, off, rec, le);
      return;
    case 'exit':
      encodeExit(buf, dv, off, rec, le);
      return;
    case 'open':
      encodeOpen(buf, dv, off, rec, le);
      return;
    case 'hist':
      encodeHist(buf, dv, off, rec, le);
      return;
    case 'tcp':
      encodeTcp(buf, dv, off, rec, le);
      return;
    case 'dns':
      encodeDns(buf, dv, off, rec, le);
      return;
    case 'dns_msg':
      encodeDnsMsg(buf, dv, off, rec, le);
      return;
    case 'data':
      encodeData(buf, dv, off, rec, le);
      return;
    case 'loss':
      encodeLoss(buf, dv, off, rec, le);
      return;
    case 'running':
      return;
    case 'footer':
      encodeFooter(buf, dv, off, rec, le);
      return;
    case 'unknown':
      rec.payload.copy(buf, off + HEAD_SIZE, 0, Math.min(rec.payload.length, RECORD_SIZE - HEAD_SIZE));
      return;
  }
}

/** One record as a new 256-byte buffer. */
export function encodeRecord(rec: RawRecord, le: boolean): Buffer {
  const buf = Buffer.alloc(RECORD_SIZE);
  encodeRecordInto(buf, 0, rec, le);
  return buf;
}
