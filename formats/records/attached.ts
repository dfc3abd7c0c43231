// PT_ATTACHED (format 1.8): a process the capture did not see start (running
// when it attached, or come into the traced cgroup). The capture tool follows
// it with its exe, cwd, argv and environment read from /proc.
import { decodeCString } from '../decode.ts';
import { setComm, setContainer } from '../encode.ts';
import { ATTACH_REASON, ATTACHED, COMM_LEN, DK, F, RT } from '../layout.ts';
import { splitStrings } from '../nul-area.ts';
import type { AttachedEvent } from '../types.ts';
import type { RawAttached } from './raw.ts';
import { MISSING, missing, type OwnedStrings, type RecordType } from './record.ts';

const REASONS: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(ATTACH_REASON).map(([name, n]) => [n, name.toLowerCase()]),
);

/** running | joined | born, or `reason<N>` for one this reader does not know. */
export function attachReasonName(n: number): string {
  return REASONS[n] ?? `reason${n}`;
}

function complete(e: AttachedEvent, s: OwnedStrings, flags: number): void {
  e.exe = s[DK.EXE]?.captured() ?? missing();
  e.cwd = s[DK.CWD]?.captured() ?? missing();
  const argv = s[DK.ARGV];
  e.argv = argv ? splitStrings(argv.bytes()) : [];
  e.argvTruncated = (flags & F.ARGV_TRUNCATED) !== 0 || argv === undefined || argv.truncated;
  if (flags & F.ENV_SKIPPED) {
    e.env = null;
    e.envTruncated = false;
  } else {
    const env = s[DK.ENV];
    e.env = env ? splitStrings(env.bytes()) : [];
    e.envTruncated = (flags & F.ENV_TRUNCATED) !== 0 || env === undefined || env.truncated;
  }
}

export const attached: RecordType<AttachedEvent> = {
  type: RT.ATTACHED,
  owns: {
    kindMask: (1 << DK.EXE) | (1 << DK.CWD) | (1 << DK.ARGV) | (1 << DK.ENV),
    finalKind: (flags) => (flags & F.ENV_SKIPPED ? DK.ARGV : DK.ENV),
    announcedSize: (e, kind) => (kind === DK.ARGV ? e.argvLen : kind === DK.ENV ? e.envLen : 0),
    complete,
    single: null,
  },
  read(c, b, off, at, ts, pid, start, tid) {
    const dv = b.dv;
    const le = c.le;
    const ppid = dv.getUint32(off + ATTACHED.ppid, le);
    return {
      kind: 'attached',
      ts,
      process: { pid, start },
      tid,
      reason: attachReasonName(dv.getUint32(off + ATTACHED.reason, le)),
      parent: {
        pid: ppid,
        start: c.identityTime(dv.getBigUint64(off + ATTACHED.parent_start, le), at, RT.ATTACHED, pid, 'parent_start'),
      },
      ppid,
      uid: dv.getUint32(off + ATTACHED.uid, le),
      gid: dv.getUint32(off + ATTACHED.gid, le),
      euid: dv.getUint32(off + ATTACHED.euid, le),
      egid: dv.getUint32(off + ATTACHED.egid, le),
      nsPid: dv.getUint32(off + ATTACHED.ns_pid, le),
      nsLevel: dv.getUint32(off + ATTACHED.ns_level, le),
      comm: decodeCString(b.buf, off + ATTACHED.comm, COMM_LEN),
      exe: MISSING,
      cwd: MISSING,
      argv: [],
      argvTruncated: true,
      env: null,
      envTruncated: false,
      argvLen: dv.getUint32(off + ATTACHED.argv_len, le),
      envLen: dv.getUint32(off + ATTACHED.env_len, le),
      nrThreads: dv.getUint32(off + ATTACHED.nr_threads, le),
      container: c.container(b, off + ATTACHED.container, at, RT.ATTACHED, pid),
    };
  },
};

/** Writes the payload of an attached record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeAttached(buf: Buffer, dv: DataView, off: number, rec: RawAttached, le: boolean): void {
  dv.setBigUint64(off + ATTACHED.parent_start, rec.parentStart, le);
  dv.setUint32(off + ATTACHED.ppid, rec.ppid, le);
  dv.setUint32(off + ATTACHED.reason, rec.reason, le);
  dv.setUint32(off + ATTACHED.uid, rec.uid, le);
  dv.setUint32(off + ATTACHED.gid, rec.gid, le);
  dv.setUint32(off + ATTACHED.euid, rec.euid, le);
  dv.setUint32(off + ATTACHED.egid, rec.egid, le);
  dv.setUint32(off + ATTACHED.ns_pid, rec.nsPid, le);
  dv.setUint32(off + ATTACHED.ns_level, rec.nsLevel, le);
  dv.setUint32(off + ATTACHED.argv_len, rec.argvLen, le);
  dv.setUint32(off + ATTACHED.env_len, rec.envLen, le);
  setComm(buf, off + ATTACHED.comm, rec.comm);
  setContainer(dv, off + ATTACHED.container, rec.container, le);
  dv.setUint32(off + ATTACHED.nr_threads, rec.nrThreads, le);
}
