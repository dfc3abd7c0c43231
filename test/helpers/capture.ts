// Building blocks for tests: complete logical events (as the reader returns
// them, so a writer → reader round trip can be compared with deepEqual) and a
// sample capture that uses every record type.

import { DEFAULT_START } from '../../formats/writer.ts';
import type { HeaderInit, WriterEvent } from '../../formats/writer.ts';
import type {
  CapturedBytes,
  CaptureEvent,
  ExecEvent,
  ExecFailedEvent,
  ExitEvent,
  ForkEvent,
  LossEvent,
  ProcessKey,
  RunningEvent,
  ThreadEvent,
} from '../../formats/types.ts';
import { decodeWaitStatus, errnoName, lossCategoryName } from '../../formats/names.ts';

export const T0 = DEFAULT_START.boottime;

export const key = (pid: number, start: bigint): ProcessKey => ({ pid, start });

export const cb = (s: string | Buffer, truncated = false): CapturedBytes => ({
  bytes: typeof s === 'string' ? Buffer.from(s) : s,
  truncated,
});

const buf = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s) : s);
const areaLen = (l: Buffer[]): number => l.reduce((n, b) => n + b.length + 1, 0);

export interface ExecInit {
  ts: bigint;
  process: ProcessKey;
  tid?: number;
  parent?: ProcessKey;
  filename?: string | Buffer;
  interp?: string | Buffer | null;
  exe?: string | Buffer;
  cwd?: string | Buffer;
  argv?: (string | Buffer)[];
  env?: (string | Buffer)[] | null;
  comm?: string;
}

/** A complete exec event as the reader returns it. */
export function exec(i: ExecInit): ExecEvent {
  const argv = (i.argv ?? ['prog']).map(buf);
  const env = i.env === undefined ? [Buffer.from('PATH=/usr/bin'), Buffer.from('HOME=/root')] : i.env === null ? null : i.env.map(buf);
  const filename = i.filename ?? '/usr/bin/prog';
  const parent = i.parent ?? key(1, 1_000n);
  return {
    kind: 'exec',
    ts: i.ts,
    process: i.process,
    tid: i.tid ?? i.process.pid,
    parent,
    ppid: parent.pid,
    oldTid: i.tid ?? i.process.pid,
    uid: 1000,
    gid: 1000,
    euid: 1000,
    egid: 1000,
    nsPid: i.process.pid,
    nsLevel: 0,
    comm: i.comm ?? 'prog',
    argc: argv.length,
    envc: env?.length ?? 0,
    filename: cb(filename),
    interp: i.interp == null ? null : cb(i.interp),
    exe: cb(i.exe ?? filename),
    cwd: cb(i.cwd ?? '/home/user'),
    argv,
    argvTruncated: false,
    env,
    envTruncated: false,
    argvLen: areaLen(argv),
    envLen: env ? areaLen(env) : 0,
  };
}

export const fork = (ts: bigint, process: ProcessKey, child: ProcessKey, tid = process.pid): ForkEvent => ({
  kind: 'fork',
  ts,
  process,
  tid,
  child,
  childPpid: process.pid,
});

export const thread = (ts: bigint, process: ProcessKey, newTid: number, tid = process.pid): ThreadEvent => ({
  kind: 'thread',
  ts,
  process,
  tid,
  newTid,
});

export const execFailed = (ts: bigint, process: ProcessKey, errno: number, filename: string, tid = process.pid): ExecFailedEvent => ({
  kind: 'exec_failed',
  ts,
  process,
  tid,
  errno,
  errnoName: errnoName(errno),
  filename: cb(filename),
  syscallNr: 59,
});

export const exit = (ts: bigint, process: ProcessKey, status: number, comm = 'prog', tid = process.pid): ExitEvent => ({
  kind: 'exit',
  ts,
  process,
  tid,
  status,
  ...decodeWaitStatus(status),
  comm,
  nrThreadsSeen: 1,
});

export const loss = (ts: bigint, category: number, count: bigint): LossEvent => ({
  kind: 'loss',
  ts,
  process: key(0, 0n),
  tid: 0,
  category,
  categoryName: lossCategoryName(category),
  count,
});

export const running = (ts: bigint, process: ProcessKey): RunningEvent => ({ kind: 'running', ts, process, tid: 0 });

export const SAMPLE_HEADER: HeaderInit = {
  rootPid: 100,
  capturePid: 99,
  kernelRelease: '6.8.0-45-generic',
  kernelVersion: '#45-Ubuntu SMP PREEMPT_DYNAMIC',
  hostname: 'buildbox',
  machine: 'x86_64',
  ptraceVersion: '0.1.0',
  captureArgv: ['ptrace-capture', '-o', 'run.raw', '--', 'make', '-j4'],
  commandArgv: ['make', '-j4'],
  bootId: '0b7c4a52-3f1e-4c8e-9d2a-6b1f0e5c7d11',
  osRelease: 'Ubuntu 24.04.1 LTS',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};

/** One event of every kind, in a plausible order: make forks sh, sh fails one exec and runs cc, cc dies. */
export function sampleEvents(): CaptureEvent[] {
  const make = key(100, T0 + 10n);
  const sh = key(101, T0 + 2_000n);
  const cc = key(102, T0 + 5_000n);
  return [
    exec({ ts: T0 + 1_000n, process: make, argv: ['make', '-j4'], filename: '/usr/bin/make', comm: 'make' }),
    fork(T0 + 2_000n, make, sh),
    thread(T0 + 2_500n, make, 103),
    execFailed(T0 + 3_000n, sh, 2, '/usr/local/bin/cc'),
    exec({
      ts: T0 + 4_000n,
      process: sh,
      filename: './build.sh',
      interp: '/bin/sh',
      exe: '/usr/bin/dash',
      argv: ['./build.sh', 'all'],
      comm: 'build.sh',
    }),
    fork(T0 + 5_000n, sh, cc),
    exec({ ts: T0 + 6_000n, process: cc, filename: '/usr/bin/cc', argv: ['cc', '-c', 'x.c'], env: null, comm: 'cc' }),
    exit(T0 + 7_000n, cc, 0x86, 'cc'),
    loss(T0 + 7_500n, 1, 2n),
    exit(T0 + 8_000n, sh, 1 << 8, 'build.sh'),
    running(T0 + 9_000n, make),
  ];
}

/** Reader events are valid writer input. */
export const asWriterEvents = (events: CaptureEvent[]): WriterEvent[] => events;
