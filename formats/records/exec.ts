// PT_EXEC: a traced process replaced its image; filename, interpreter, exe,
// cwd, argv and environment follow in chunks. The argv and environment are
// kept as the NUL-terminated areas they arrive in and split only when read.

import { type Bytes, decodeCString } from '../decode.ts';
import { setComm, setContainer } from '../encode.ts';
import { COMM_LEN, DK, EXEC, F, RT } from '../layout.ts';
import { countStrings, joinStrings, splitStrings, terminated } from '../nul-area.ts';
import type { CaptureHeader, ExecEvent } from '../types.ts';
import type { RawExec } from './raw.ts';
import { EMPTY, missing, type OwnedStrings, type RecordType } from './record.ts';

/**
 * The NUL-joined argv and environment areas of an exec event, kept beside its
 * `argv` / `env` lists: the lists are split from them only when read (most
 * consumers, the model among them, want the areas).
 */
class ExecStrings {
  /** The argv area as captured (the last string may lack its NUL when cut); null once `argv` was assigned. */
  argvArea: Buffer | null = null;
  /** The environment area; null when env was skipped or once `env` was assigned. */
  envArea: Buffer | null = null;
  argv: Buffer[] | null = null;
  env: Buffer[] | null | undefined = undefined;
}

const STRINGS = Symbol('ptrace.execStrings');

type WithStrings = ExecEvent & { [STRINGS]: ExecStrings };

// Shared accessor functions: every exec event gets the same ones, so V8 keeps one hidden class for them.
const ARGV: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: WithStrings): Buffer[] {
    const s = this[STRINGS];
    if (s.argv === null) s.argv = s.argvArea === null ? [] : splitStrings(s.argvArea);
    return s.argv;
  },
  set(this: WithStrings, v: Buffer[]): void {
    const s = this[STRINGS];
    s.argv = v;
    s.argvArea = null;
  },
};
const ENV: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: WithStrings): Buffer[] | null {
    const s = this[STRINGS];
    if (s.env === undefined) s.env = s.envArea === null ? null : splitStrings(s.envArea);
    return s.env;
  },
  set(this: WithStrings, v: Buffer[] | null): void {
    const s = this[STRINGS];
    s.env = v;
    s.envArea = null;
  },
};

/**
 * The argv and environment of an exec event as NUL-terminated areas (every
 * string followed by one NUL, the kernel's layout), without splitting them;
 * env null when the capture skipped it. Works on any ExecEvent (one built by
 * hand is joined from its lists).
 */
export function execAreas(e: ExecEvent): { argv: Buffer; argc: number; env: Buffer | null } {
  const s = (e as Partial<WithStrings>)[STRINGS];
  let argv: Buffer;
  let argc: number;
  if (s !== undefined && s.argv === null) {
    argv = s.argvArea === null ? EMPTY : terminated(s.argvArea);
    argc = countStrings(argv);
  } else {
    argv = joinStrings(e.argv);
    argc = e.argv.length;
  }
  let env: Buffer | null;
  if (s !== undefined && s.env === undefined) env = s.envArea === null ? null : terminated(s.envArea);
  else env = e.env === null ? null : joinStrings(e.env);
  return { argv, argc, env };
}

/** The fixed fields of an exec record; its strings are filled in once its chunks are in. */
function execEvent(b: Bytes, off: number, le: boolean, ts: bigint, pid: number, start: bigint, tid: number): ExecEvent {
  const dv = b.dv;
  const e = {
    kind: 'exec',
    ts,
    process: { pid, start },
    tid,
    parent: { pid: dv.getUint32(off + EXEC.ppid, le), start: dv.getBigUint64(off + EXEC.parent_start, le) },
    ppid: dv.getUint32(off + EXEC.ppid, le),
    oldTid: dv.getUint32(off + EXEC.old_tid, le),
    uid: dv.getUint32(off + EXEC.uid, le),
    gid: dv.getUint32(off + EXEC.gid, le),
    euid: dv.getUint32(off + EXEC.euid, le),
    egid: dv.getUint32(off + EXEC.egid, le),
    nsPid: dv.getUint32(off + EXEC.ns_pid, le),
    nsLevel: dv.getUint32(off + EXEC.ns_level, le),
    comm: decodeCString(b.buf, off + EXEC.comm, COMM_LEN),
    argc: dv.getUint32(off + EXEC.argc, le),
    envc: dv.getUint32(off + EXEC.envc, le),
    filename: missing(),
    interp: null,
    exe: missing(),
    cwd: missing(),
  } as Partial<WithStrings>;
  Object.defineProperty(e, STRINGS, { value: new ExecStrings() });
  Object.defineProperty(e, 'argv', ARGV);
  e.argvTruncated = true;
  Object.defineProperty(e, 'env', ENV);
  e.envTruncated = false;
  e.argvLen = dv.getUint32(off + EXEC.argv_len, le);
  e.envLen = dv.getUint32(off + EXEC.env_len, le);
  return e as ExecEvent;
}

/** Puts the strings of an exec record into its event once its chunks are in. */
function completeExec(e: ExecEvent, s: OwnedStrings, flags: number, header: CaptureHeader): void {
  const argv = s[DK.ARGV];
  const env = s[DK.ENV];
  const skipped = (flags & F.ENV_SKIPPED) !== 0 || (env === undefined && !header.options.env);
  e.filename = s[DK.FILENAME]?.captured() ?? missing();
  e.interp = s[DK.INTERP]?.captured() ?? null;
  e.exe = s[DK.EXE]?.captured() ?? missing();
  e.cwd = s[DK.CWD]?.captured() ?? missing();
  const strings = (e as WithStrings)[STRINGS];
  strings.argvArea = argv ? argv.bytes() : null;
  e.argvTruncated = (flags & F.ARGV_TRUNCATED) !== 0 || argv === undefined || argv.truncated;
  strings.envArea = skipped ? null : env ? env.bytes() : EMPTY;
  e.envTruncated = (flags & F.ENV_TRUNCATED) !== 0 || (!skipped && (env === undefined || env.truncated));
}

let kinds = 0;
for (let k = DK.FILENAME; k <= DK.ENV; k++) kinds |= 1 << k;

export const exec: RecordType<ExecEvent> = {
  type: RT.EXEC,
  owns: {
    kindMask: kinds,
    // The environment comes last, unless the capture skipped it.
    finalKind: (flags) => (flags & F.ENV_SKIPPED ? DK.ARGV : DK.ENV),
    complete: completeExec,
    announcedSize: (e, kind) => (kind === DK.ARGV ? e.argvLen : kind === DK.ENV ? e.envLen : 0) ?? 0,
    single: null,
  },
  read(c, b, off, at, ts, pid, start, tid) {
    const e = execEvent(b, off, c.le, ts, pid, start, tid);
    e.parent.start = c.identityTime(e.parent.start, at, RT.EXEC, pid, 'parent_start');
    e.container = c.container(b, off + EXEC.container, at, RT.EXEC, pid);
    return e;
  },
};

/** Writes the payload of a exec record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeExec(buf: Buffer, dv: DataView, off: number, rec: RawExec, le: boolean): void {
  dv.setBigUint64(off + EXEC.parent_start, rec.parentStart, le);
  dv.setUint32(off + EXEC.ppid, rec.ppid, le);
  dv.setUint32(off + EXEC.old_tid, rec.oldTid, le);
  dv.setUint32(off + EXEC.uid, rec.uid, le);
  dv.setUint32(off + EXEC.gid, rec.gid, le);
  dv.setUint32(off + EXEC.euid, rec.euid, le);
  dv.setUint32(off + EXEC.egid, rec.egid, le);
  dv.setUint32(off + EXEC.ns_pid, rec.nsPid, le);
  dv.setUint32(off + EXEC.ns_level, rec.nsLevel, le);
  dv.setUint32(off + EXEC.argc, rec.argc, le);
  dv.setUint32(off + EXEC.envc, rec.envc, le);
  dv.setUint32(off + EXEC.argv_len, rec.argvLen, le);
  dv.setUint32(off + EXEC.env_len, rec.envLen, le);
  setComm(buf, off + EXEC.comm, rec.comm);
  setContainer(dv, off + EXEC.container, rec.container, le);
}
