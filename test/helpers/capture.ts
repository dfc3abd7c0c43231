// Building blocks for tests: complete logical events (as the reader returns
// them, so a writer → reader round trip can be compared with deepEqual) and a
// sample capture that uses every record type.

import { decodeWaitStatus, errnoName, lossCategoryName } from '../../formats/names.ts';
import type {
  CapturedBytes,
  CaptureEvent,
  ExecEvent,
  ExecFailedEvent,
  ExitEvent,
  ForkEvent,
  HistEvent,
  LossEvent,
  OpenEvent,
  ProcessKey,
  RunningEvent,
  Rusage,
  ThreadEvent,
} from '../../formats/types.ts';
import type { HeaderInit, WriterEvent } from '../../testkit/writer.ts';
import { DEFAULT_START, ZERO_RUSAGE } from '../../testkit/writer.ts';

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
  const env =
    i.env === undefined
      ? [Buffer.from('PATH=/usr/bin'), Buffer.from('HOME=/root')]
      : i.env === null
        ? null
        : i.env.map(buf);
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
    container: null,
  };
}

export const fork = (ts: bigint, process: ProcessKey, child: ProcessKey, tid = process.pid): ForkEvent => ({
  kind: 'fork',
  ts,
  process,
  tid,
  child,
  childPpid: process.pid,
  childContainer: null,
});

export const thread = (ts: bigint, process: ProcessKey, newTid: number, tid = process.pid): ThreadEvent => ({
  kind: 'thread',
  ts,
  process,
  tid,
  newTid,
});

export const execFailed = (
  ts: bigint,
  process: ProcessKey,
  errno: number,
  filename: string,
  tid = process.pid,
): ExecFailedEvent => ({
  kind: 'exec_failed',
  ts,
  process,
  tid,
  errno,
  errnoName: errnoName(errno),
  filename: cb(filename),
  syscallNr: 59,
});

/** All-zero resource usage: what a format 1.1 exit written without usage reads as. */
export const zeroRusage = (): Rusage => ({ ...ZERO_RUSAGE });

/** Distinct, non-zero values in every field (the largest one needs all 64 bits). */
export const someRusage = (): Rusage => ({
  utimeNs: 1_200_000n,
  stimeNs: 800_000n,
  runtimeNs: 2_345_678n,
  maxrssKb: 10_240n,
  minFlt: 321n,
  majFlt: 2n,
  nvcsw: 14n,
  nivcsw: 3n,
  rchar: 65_536n,
  wchar: 4_096n,
  readBytes: 8_192n,
  writeBytes: 2n ** 53n - 1n,
});

/** An exit as the reader returns it from a format 1.1 file (pass `rusage: null` for 1.0). */
export const exit = (
  ts: bigint,
  process: ProcessKey,
  status: number,
  comm = 'prog',
  tid = process.pid,
  rusage: Rusage | null = zeroRusage(),
): ExitEvent => ({
  kind: 'exit',
  ts,
  process,
  tid,
  status,
  ...decodeWaitStatus(status),
  comm,
  nrThreadsSeen: 1,
  rusage,
});

export interface OpenInit {
  ts: bigint;
  process: ProcessKey;
  tid?: number;
  path: string | Buffer;
  /** The new fd, or -errno. */
  result: number;
  dirfd?: number;
  flags?: number;
  mode?: number;
  syscallNr?: number;
  latencyNs?: bigint;
  truncated?: boolean;
}

/** A complete open event as the reader returns it. */
export const open = (i: OpenInit): OpenEvent => ({
  kind: 'open',
  ts: i.ts,
  process: i.process,
  tid: i.tid ?? i.process.pid,
  dirfd: i.dirfd ?? -100,
  result: i.result,
  fd: i.result >= 0 ? i.result : null,
  errno: i.result < 0 ? -i.result : null,
  errnoName: i.result < 0 ? errnoName(-i.result) : null,
  flags: i.flags ?? 0,
  mode: i.mode ?? 0,
  syscallNr: i.syscallNr ?? 257,
  latencyNs: i.latencyNs ?? 0n,
  path: cb(i.path, i.truncated ?? false),
});

/** A histogram event; count defaults to the sum of the buckets. */
export const hist = (
  ts: bigint,
  process: ProcessKey,
  histKind: string,
  buckets: Record<number, number>,
  totals: { totalNs?: bigint; maxNs?: bigint; count?: bigint } = {},
  tid = process.pid,
): HistEvent => {
  const b = new Array<number>(32).fill(0);
  for (const [i, n] of Object.entries(buckets)) b[Number(i)] = n;
  return {
    kind: 'hist',
    ts,
    process,
    tid,
    histKind,
    count: totals.count ?? BigInt(b.reduce((x, y) => x + y, 0)),
    totalNs: totals.totalNs ?? 0n,
    maxNs: totals.maxNs ?? 0n,
    buckets: b,
  };
};

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

/**
 * One event of every kind, in a plausible order: make forks sh, sh fails one
 * exec and runs cc, which opens a file and fails to open another, then dies
 * (its histograms follow its exit).
 */
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
    open({ ts: T0 + 6_100n, process: cc, path: 'x.c', result: 3, flags: 0o2000000, latencyNs: 2_500n }),
    open({
      ts: T0 + 6_200n,
      process: cc,
      path: '/usr/include/nope.h',
      result: -2,
      dirfd: 7,
      flags: 0o101,
      mode: 0o644,
      syscallNr: 437,
      latencyNs: 900n,
    }),
    exit(T0 + 7_000n, cc, 0x86, 'cc', cc.pid, someRusage()),
    hist(T0 + 7_001n, cc, 'read', { 0: 1, 10: 5, 31: 2 }, { totalNs: 9_000_000_000n, maxNs: 4_000_000_000n }),
    hist(T0 + 7_001n, cc, 'offcpu', { 20: 4_294_967_295 }, { totalNs: 2n ** 53n - 1n, maxNs: 3_000_000n }),
    loss(T0 + 7_500n, 1, 2n),
    exit(T0 + 8_000n, sh, 1 << 8, 'build.sh'),
    running(T0 + 9_000n, make),
  ];
}

/** Reader events are valid writer input. */
export const asWriterEvents = (events: CaptureEvent[]): WriterEvent[] => events;
