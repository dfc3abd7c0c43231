// Synthetic captures for tests and benchmarks, written with testkit/writer.ts
// (never by hand): a small builder for exact scenarios, and a streaming
// generator of big make-like builds.

import { closeSync, openSync } from 'node:fs';
import { ZERO_RUSAGE } from '../formats/encode.ts';
import type { ContainerIds, ProcessKey, Rusage } from '../formats/types.ts';
import { CaptureWriter, DEFAULT_START, type FooterInit, type HeaderInit, type WriterEvent } from '../testkit/writer.ts';

export const MS = 1_000_000;

/** Header options recording everything the capture can (a synthetic capture with every kind of record). */
export const EVERY_OPTION = {
  env: true,
  failedExecs: true,
  files: true,
  io: true,
  sched: true,
  net: true,
  dns: true,
  dnsMessages: true,
} as const;

export interface SynthProc {
  key: ProcessKey;
  env: string[];
  cwd: string;
  /** Its cgroup and namespaces (format 1.8): given to its fork children and recorded at its execs. */
  container?: ContainerIds;
}

export interface ExecOptions {
  /** ms since capture start. */
  at: number;
  exe?: string;
  env?: string[];
  cwd?: string;
  argvTruncated?: boolean;
  envTruncated?: boolean;
}

export interface ExitOptions {
  code?: number;
  signal?: number;
  core?: boolean;
  /** Resource usage at exit (partial: missing fields are 0). */
  rusage?: Partial<Rusage>;
}

export interface OpenOptions {
  /** Default AT_FDCWD. */
  dirfd?: number;
  /** O_* flags, default O_RDONLY|O_CLOEXEC. */
  flags?: number;
  mode?: number;
  /** Positive errno: the open failed. */
  errno?: number;
  /** Default 3. */
  fd?: number;
  latencyUs?: number;
  syscallNr?: number;
  /** The path's bytes were lost (as the reader shows a path whose chunk never arrived: empty, truncated). */
  pathLost?: boolean;
}

export interface TcpOptions {
  /** Default client. */
  role?: 'client' | 'server';
  remote: string;
  remotePort: number;
  /** Default 127.0.0.1 (or ::1 for an IPv6 remote). */
  local?: string;
  /** Default 40000 + connection id. */
  localPort?: number;
  family?: number;
  /** Connect latency, ms (default 1). */
  latencyMs?: number;
  /** Positive errno: the connect failed. */
  errno?: number;
  /** ms: the close; null or absent: still open at the end. */
  close?: number | null;
  sent?: bigint;
  received?: bigint;
  retransmits?: number;
}

/** Resource usage with the given fields, the others 0. */
export function rusage(r: Partial<Rusage>): Rusage {
  return { ...ZERO_RUSAGE, ...r };
}

const NO_ENV: string[] = [];

/** Builds a capture event by event; times are ms since the capture start. */
export class Synth {
  readonly header: HeaderInit;
  private readonly events: WriterEvent[] = [];
  private nextPid: number;
  private connIds = 0;

  constructor(opts: { rootPid?: number; header?: HeaderInit } = {}) {
    const rootPid = opts.rootPid ?? 1000;
    this.nextPid = rootPid + 1;
    this.header = {
      rootPid,
      capturePid: rootPid - 1,
      hostname: 'synth',
      kernelRelease: '6.1.0-synth',
      machine: 'x86_64',
      ptraceVersion: '0.1.0',
      captureArgv: ['ptrace-capture', '-o', 'synth.raw', '--', 'make'],
      commandArgv: ['make'],
      ...opts.header,
    };
  }

  ts(ms: number): bigint {
    return DEFAULT_START.boottime + BigInt(Math.round(ms * MS));
  }

  private push(e: WriterEvent): void {
    this.events.push(e);
  }

  /** The root process (its fork is outside the capture), exec'ing `argv` at `at`. */
  root(argv: string[], opts: ExecOptions & { env?: string[] }): SynthProc {
    const pid = this.header.rootPid ?? 1000;
    const p: SynthProc = {
      key: { pid, start: this.ts(opts.at - 0.05) },
      env: opts.env ?? NO_ENV,
      cwd: opts.cwd ?? '/work',
    };
    this.exec(p, argv, opts);
    return p;
  }

  fork(parent: SynthProc, at: number, pid = this.nextPid++): SynthProc {
    const child: SynthProc = {
      key: { pid, start: this.ts(at) },
      env: parent.env,
      cwd: parent.cwd,
      container: parent.container,
    };
    this.push({
      kind: 'fork',
      ts: this.ts(at),
      process: parent.key,
      tid: parent.key.pid,
      child: child.key,
      childContainer: parent.container ?? null,
    });
    return child;
  }

  /**
   * A process already running when the capture attached (format 1.8): started
   * `startMs` ms before the capture (its identity), attached at `at`.
   */
  attached(
    argv: string[],
    opts: {
      at: number;
      startMs?: number;
      pid?: number;
      parent?: ProcessKey;
      reason?: string;
      cwd?: string;
      env?: string[];
      exe?: string;
      container?: ContainerIds;
      threads?: number;
    },
  ): SynthProc {
    const pid = opts.pid ?? this.nextPid++;
    const p: SynthProc = {
      key: { pid, start: this.ts(-(opts.startMs ?? 60_000)) },
      env: opts.env ?? NO_ENV,
      cwd: opts.cwd ?? '/',
      container: opts.container,
    };
    const exe = opts.exe ?? (argv[0]!.startsWith('/') ? argv[0]! : `/usr/bin/${argv[0]}`);
    const parent = opts.parent ?? { pid: 1, start: 0n };
    this.push({
      kind: 'attached',
      ts: this.ts(opts.at),
      process: p.key,
      tid: pid,
      reason: opts.reason ?? 'running',
      parent,
      comm: exe.slice(exe.lastIndexOf('/') + 1).slice(0, 15),
      exe,
      cwd: p.cwd,
      argv,
      env: p.env,
      nrThreads: opts.threads ?? 1,
      container: opts.container ?? null,
    });
    return p;
  }

  /** The path of a cgroup id (the capture tool's record). */
  cgroup(cgroupId: number, path: string, at: number): void {
    const level = path.split('/').filter(Boolean).length;
    this.push({ kind: 'cgroup', ts: this.ts(at), cgroupId, level, path });
  }

  exec(p: SynthProc, argv: string[], opts: ExecOptions): void {
    if (opts.env !== undefined) p.env = opts.env;
    if (opts.cwd !== undefined) p.cwd = opts.cwd;
    const exe = opts.exe ?? (argv[0]!.startsWith('/') ? argv[0]! : `/usr/bin/${argv[0]}`);
    this.push({
      kind: 'exec',
      ts: this.ts(opts.at),
      process: p.key,
      tid: p.key.pid,
      parent: { pid: p.key.pid - 1, start: 0n },
      comm: exe.slice(exe.lastIndexOf('/') + 1).slice(0, 15),
      filename: exe,
      exe,
      cwd: p.cwd,
      argv,
      argvTruncated: opts.argvTruncated,
      env: p.env,
      envTruncated: opts.envTruncated,
      container: p.container ?? null,
    });
  }

  execFailed(p: SynthProc, path: string, errno: number, at: number): void {
    this.push({ kind: 'exec_failed', ts: this.ts(at), process: p.key, tid: p.key.pid, errno, filename: path });
  }

  thread(p: SynthProc, at: number, tid: number): void {
    this.push({ kind: 'thread', ts: this.ts(at), process: p.key, tid: p.key.pid, newTid: tid });
  }

  exit(p: SynthProc, at: number, o: ExitOptions = {}): void {
    const status = o.signal !== undefined ? (o.signal & 0x7f) | (o.core ? 0x80 : 0) : ((o.code ?? 0) & 0xff) << 8;
    this.push({
      kind: 'exit',
      ts: this.ts(at),
      process: p.key,
      tid: p.key.pid,
      status,
      coreDumped: o.core,
      rusage: o.rusage === undefined ? null : rusage(o.rusage),
    });
  }

  /** A file open returning at `at` ms. */
  open(p: SynthProc, path: string, at: number, o: OpenOptions = {}): void {
    this.push({
      kind: 'open',
      ts: this.ts(at),
      process: p.key,
      tid: p.key.pid,
      dirfd: o.dirfd,
      result: o.errno !== undefined ? -o.errno : (o.fd ?? 3),
      flags: o.flags ?? 0o2000000,
      mode: o.mode ?? 0,
      syscallNr: o.syscallNr,
      latencyNs: BigInt(Math.round((o.latencyUs ?? 5) * 1000)),
      path: o.pathLost === true ? { bytes: Buffer.alloc(0), truncated: true } : path,
    });
  }

  /** A latency histogram of `p` (written after its exit), from log2 bucket counts. */
  hist(p: SynthProc, kind: string, at: number, buckets: Record<number, number>, maxNs?: bigint): void {
    const b = new Array<number>(32).fill(0);
    let total = 0n;
    let max = 0n;
    for (const [i, n] of Object.entries(buckets)) {
      b[Number(i)] = n;
      total += (BigInt(n) * 3n * 2n ** BigInt(i)) / 2n; // bucket middle
      if (n > 0 && 2n ** BigInt(Number(i) + 1) - 1n > max) max = 2n ** BigInt(Number(i) + 1) - 1n;
    }
    this.push({
      kind: 'hist',
      ts: this.ts(at),
      process: p.key,
      tid: p.key.pid,
      histKind: kind,
      buckets: b,
      totalNs: total,
      maxNs: maxNs ?? max,
    });
  }

  /**
   * A TCP connection of `p` (format 1.2): connected (client) or accepted
   * (server) at `at` ms, closed at `close` ms (null: still open at the end);
   * `errno` makes a client connection fail at `at` + latency.
   */
  tcp(p: SynthProc, at: number, o: TcpOptions): void {
    const connId = ++this.connIds;
    const role = o.role ?? 'client';
    const latency = BigInt(Math.round((o.latencyMs ?? 1) * MS));
    const startTs = this.ts(at);
    const base = {
      kind: 'tcp' as const,
      process: p.key,
      tid: p.key.pid,
      role,
      family: o.family ?? (o.remote.includes(':') ? 6 : 4),
      localAddress: o.local ?? (o.remote.includes(':') ? '::1' : '127.0.0.1'),
      localPort: o.localPort ?? 40000 + connId,
      remoteAddress: o.remote,
      remotePort: o.remotePort,
      connId,
      startTs,
    };
    if (o.errno !== undefined) {
      this.push({ ...base, ts: startTs + latency, event: 'failed', localPort: 0, errno: o.errno, latencyNs: latency });
      return;
    }
    this.push({
      ...base,
      ts: role === 'client' ? startTs + latency : startTs,
      event: role === 'client' ? 'connected' : 'accepted',
      latencyNs: role === 'client' ? latency : 0n,
    });
    if (o.close === null || o.close === undefined) return;
    this.push({
      ...base,
      ts: this.ts(o.close),
      event: 'closed',
      bytesSent: o.sent ?? 0n,
      bytesReceived: o.received ?? 0n,
      retransmits: o.retransmits ?? 0,
    });
  }

  /** A getaddrinfo() call at `at` returning `answers` (strings: `:` makes IPv6), or failing with the EAI code `result` (negative). */
  dns(p: SynthProc, at: number, name: string, answers: string[] | number, latencyMs = 1): void {
    const latency = BigInt(Math.round(latencyMs * MS));
    const startTs = this.ts(at);
    const list =
      typeof answers === 'number' ? [] : answers.map((a) => ({ family: a.includes(':') ? 6 : 4, address: a }));
    this.push({
      kind: 'dns',
      ts: startTs + latency,
      process: p.key,
      tid: p.key.pid,
      name,
      result: typeof answers === 'number' ? answers : 0,
      answers: list,
      startTs,
      latencyNs: latency,
    });
  }

  /** A DNS message on UDP port 53 at `at` ms: sent to, or received from, `server` (the traced side on 127.0.0.1 / ::1, `localPort`). */
  dnsMessage(
    p: SynthProc,
    at: number,
    direction: 'sent' | 'received',
    server: string,
    localPort: number,
    message: Buffer,
  ): void {
    const v6 = server.includes(':');
    this.push({
      kind: 'dns_msg',
      ts: this.ts(at),
      process: p.key,
      tid: p.key.pid,
      direction,
      family: v6 ? 6 : 4,
      localAddress: v6 ? '::1' : '127.0.0.1',
      localPort,
      remoteAddress: server,
      remotePort: 53,
      message,
    });
  }

  running(p: SynthProc, at: number): void {
    this.push({ kind: 'running', ts: this.ts(at), process: p.key });
  }

  loss(category: number, count: bigint, at: number): void {
    this.push({ kind: 'loss', ts: this.ts(at), category, count });
  }

  /** fork + exec + exit in one go: a child running `argv` from `at` for `dur` ms. */
  run(
    parent: SynthProc,
    argv: string[],
    at: number,
    dur: number,
    o: ExitOptions & Partial<ExecOptions> = {},
  ): SynthProc {
    const p = this.fork(parent, at, undefined);
    this.exec(p, argv, { ...o, at: at + 0.01 });
    this.exit(p, at + dur, o);
    return p;
  }

  /** The raw file: events in time order (stable), then a footer unless `footer` is null. */
  buffer(footer: FooterInit | null = {}): Buffer {
    const w = new CaptureWriter(this.header);
    const sorted = this.events
      .map((e, i) => ({ e, i }))
      .sort((a, b) => (a.e.ts < b.e.ts ? -1 : a.e.ts > b.e.ts ? 1 : a.i - b.i));
    for (const { e } of sorted) w.write(e);
    if (footer !== null) w.writeFooter(footer);
    return w.finish();
  }
}

// ---------------------------------------------------------------- big builds

/** A typical CI environment: ~40 variables, ~2.5 KiB. */
export function baseEnv(): string[] {
  const env = [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOME=/home/builder',
    'USER=builder',
    'LOGNAME=builder',
    'SHELL=/bin/bash',
    'LANG=C.UTF-8',
    'LC_ALL=C.UTF-8',
    'TERM=xterm-256color',
    'PWD=/work/project',
    'SHLVL=1',
    'CI=true',
    'CI_JOB_ID=123456789',
    'CI_PIPELINE_ID=987654321',
    'CI_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567',
    'CI_COMMIT_REF_NAME=feature/faster-builds',
    'CI_PROJECT_DIR=/work/project',
    'CI_REGISTRY_PASSWORD=not-a-real-password',
    'CI_JOB_TOKEN=not-a-real-token',
    'GITHUB_TOKEN=ghp_notarealtokennotarealtoken0000',
    'CC=cc',
    'CXX=c++',
    'CFLAGS=-O2 -g -pipe -fstack-protector-strong',
    'LDFLAGS=-Wl,-O1 -Wl,--as-needed',
    'MAKEFLAGS=-j8 --jobserver-auth=3,4',
    'MAKELEVEL=1',
    'MFLAGS=-j8',
    'XDG_RUNTIME_DIR=/run/user/1000',
    'XDG_CACHE_HOME=/home/builder/.cache',
    'PKG_CONFIG_PATH=/usr/local/lib/pkgconfig:/usr/lib/x86_64-linux-gnu/pkgconfig',
    'LD_LIBRARY_PATH=/usr/local/lib',
    'EDITOR=vi',
    'PAGER=less',
    'LESS=-FRX',
    'TZ=UTC',
    'HOSTNAME=runner-7f9c',
    'RUNNER_OS=Linux',
    'RUNNER_TEMP=/tmp/runner',
    'SOURCE_DATE_EPOCH=1700000000',
    'DEBIAN_FRONTEND=noninteractive',
    `OLDPWD=/work`,
  ];
  return env;
}

const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin'];

// ---------------------------------------------------------------- file opens of a compile

const O_CLOEXEC = 0o2000000;
const O_RDONLY_CLOEXEC = O_CLOEXEC;
const O_RDONLY_NOCTTY = 0o400;
const O_RDWR_CREAT_EXCL = 0o302;
const O_WRONLY_CREAT_TRUNC = 0o1101;
const O_RDWR_CREAT_TRUNC = 0o1102;
const ENOENT = 2;

/** One open of a compile: the path as given, O_* flags, mode, and ENOENT when it misses. */
interface CompileOpen {
  path: string;
  flags: number;
  mode?: number;
  missing?: boolean;
}

const lib = (name: string): CompileOpen => ({ path: `/lib/x86_64-linux-gnu/${name}`, flags: O_RDONLY_CLOEXEC });

/** The locale set-up every gcc-12 tool does at start (samples/make-build.raw): C.UTF-8 misses, C.utf8 hits. */
function localeOpens(first: 'LC_CTYPE' | 'LC_MESSAGES', domain: string): CompileOpen[] {
  const cat = (c: string): CompileOpen[] => [
    { path: `/usr/lib/locale/C.UTF-8/${c}`, flags: O_RDONLY_CLOEXEC, missing: true },
    { path: `/usr/lib/locale/C.utf8/${c}`, flags: O_RDONLY_CLOEXEC },
    ...(c === 'LC_MESSAGES'
      ? [{ path: '/usr/lib/locale/C.utf8/LC_MESSAGES/SYS_LC_MESSAGES', flags: O_RDONLY_CLOEXEC }]
      : []),
  ];
  const gconv = { path: '/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache', flags: 0 };
  return [
    { path: '/usr/lib/locale/locale-archive', flags: O_RDONLY_CLOEXEC, missing: true },
    { path: '/usr/share/locale/locale.alias', flags: O_RDONLY_CLOEXEC },
    ...(first === 'LC_CTYPE'
      ? [...cat('LC_CTYPE'), gconv, ...cat('LC_MESSAGES')]
      : [...cat('LC_MESSAGES'), gconv, ...cat('LC_CTYPE')]),
    ...['C.UTF-8', 'C.utf8', 'C'].map((l) => ({
      path: `/usr/share/locale/${l}/LC_MESSAGES/${domain}.mo`,
      flags: 0,
      missing: true,
    })),
  ];
}

const SYSTEM_INCLUDE = [
  'include',
  '/usr/lib/gcc/x86_64-linux-gnu/12/include',
  '/usr/local/include',
  '/usr/include/x86_64-linux-gnu',
  '/usr/include',
];

/** `#include <name>` found in SYSTEM_INCLUDE[found]: a miss in every directory before it (cc1 tries them in order). */
function systemHeader(name: string, found: number): CompileOpen[] {
  return SYSTEM_INCLUDE.slice(0, found + 1).map((d, i) => ({
    path: `${d}/${name}`,
    flags: O_RDONLY_NOCTTY,
    missing: i < found,
  }));
}

/** cc (the driver): loader, locale, its temporary assembly file. */
function ccOpens(tmp: string): CompileOpen[] {
  return [
    { path: '/etc/ld.so.cache', flags: O_RDONLY_CLOEXEC },
    lib('libc.so.6'),
    ...localeOpens('LC_CTYPE', 'gcc-12'),
    { path: tmp, flags: O_RDWR_CREAT_EXCL, mode: 0o600 },
  ];
}

/**
 * cc1: loader (eight libraries), locale, the source and its output, then the
 * headers along the include path: stdc-predef.h (implicit), the unit's own
 * header next to it, "config.h" (a miss next to the source, found in
 * include/), and <stdio.h> with two of its nested headers.
 */
function cc1Opens(dir: string, file: string, tmp: string): CompileOpen[] {
  return [
    { path: '/etc/ld.so.cache', flags: O_RDONLY_CLOEXEC },
    ...[
      'libisl.so.23',
      'libmpc.so.3',
      'libmpfr.so.6',
      'libgmp.so.10',
      'libz.so.1',
      'libzstd.so.1',
      'libm.so.6',
      'libc.so.6',
    ].map(lib),
    ...localeOpens('LC_CTYPE', 'gcc-12'),
    { path: `src/${dir}/${file}.c`, flags: O_RDONLY_NOCTTY },
    { path: tmp, flags: O_WRONLY_CREAT_TRUNC, mode: 0o666 },
    ...systemHeader('stdc-predef.h', 4).slice(1),
    { path: `src/${dir}/${file}.h`, flags: O_RDONLY_NOCTTY },
    { path: `src/${dir}/config.h`, flags: O_RDONLY_NOCTTY, missing: true },
    { path: 'include/config.h', flags: O_RDONLY_NOCTTY },
    ...systemHeader('stdio.h', 4),
    ...systemHeader('bits/libc-header-start.h', 3),
    ...systemHeader('stddef.h', 1),
  ];
}

/** as: loader (binutils' libraries), locale, the object it writes, the assembly it reads, its message catalogue. */
function asOpens(file: string, tmp: string): CompileOpen[] {
  const locale = localeOpens('LC_MESSAGES', 'gas');
  return [
    { path: '/etc/ld.so.cache', flags: O_RDONLY_CLOEXEC },
    ...['libbfd-2.40-system.so', 'libz.so.1', 'libzstd.so.1', 'libc.so.6', 'libsframe.so.0'].map(lib),
    ...locale.slice(0, -3),
    { path: `obj/${file}.o`, flags: O_RDWR_CREAT_TRUNC, mode: 0o666 },
    { path: tmp, flags: 0 },
    ...locale.slice(-3),
  ];
}

export interface BuildOptions {
  /** Compile units; each makes 3 processes (cc, cc1, as). */
  units: number;
  /** Every n-th unit fails (cc1 exit 1, cc exit 1); 0: none. */
  failEvery?: number;
  /** Threads reported per cc1 (adds thread events). */
  threadsPerCc1?: number;
  /** Write PATH-search failed execs before cc and as (3 each). */
  pathSearch?: boolean;
  /**
   * Write the file opens of each compile (format 1.1 `files`), shaped like
   * samples/make-build.raw: cc 14, cc1 40, as 19 (31 of the 73 fail with
   * ENOENT: locale fallbacks, message catalogues, include-path misses).
   */
  opens?: boolean;
  /** Temp names like mkstemp's (/tmp/ccXXXXXX.s, six letters and digits drawn from this seed) instead of /tmp/ccN.s: two runs with other seeds differ as real reruns do. */
  tmpSeed?: number;
  /** The root's pid (default 10,000). */
  rootPid?: number;
}

const TMP_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Six mkstemp-like characters for unit `u` of a run seeded `seed` (always a digit and a capital among them). */
function mkstempSuffix(seed: number, u: number): string {
  let x = (Math.imul(seed + 1, 2654435761) ^ Math.imul(u + 1, 40503)) >>> 0;
  let out = '';
  for (let k = 0; k < 4; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += TMP_CHARS[(x >>> 8) % TMP_CHARS.length];
  }
  return `${out}Q${(x >>> 4) % 10}`;
}

/**
 * Streams a make-like build to `path`: `make -j8 all` forks, for each unit,
 * `cc -O2 -c src/dK/fileK.c -o obj/fileK.o`, which forks cc1 (environment
 * plus COLLECT_GCC_OPTIONS, different per unit) and as; then one link.
 * Returns the number of logical events written.
 */
export function writeSyntheticBuild(path: string, o: BuildOptions): { events: number; processes: number } {
  const fd = openSync(path, 'w');
  let events = 0;
  let processes = 1;
  try {
    const rootPid = o.rootPid ?? 10_000;
    const w = new CaptureWriter(
      {
        rootPid,
        capturePid: rootPid - 1,
        hostname: 'bench',
        kernelRelease: '6.1.0-bench',
        machine: 'x86_64',
        ptraceVersion: '0.1.0',
        commandArgv: ['make', '-j8', 'all'],
        options: { files: o.opens === true },
      },
      { fd },
    );
    const start = DEFAULT_START.boottime;
    const env = baseEnv();
    const put = (e: WriterEvent): void => {
      w.write(e);
      events++;
    };
    let t = start + 1_000_000n;
    const root: ProcessKey = { pid: rootPid, start: start + 500_000n };
    const cwd = '/work/project';
    put({
      kind: 'exec',
      ts: t,
      process: root,
      tid: rootPid,
      parent: { pid: rootPid - 1, start: 1n },
      comm: 'make',
      filename: '/usr/bin/make',
      exe: '/usr/bin/make',
      cwd,
      argv: ['make', '-j8', 'all'],
      env,
    });
    let pid = rootPid + 1;
    const ccEnv = env;
    const searched = (p: ProcessKey, name: string): void => {
      if (!o.pathSearch) return;
      for (const d of PATH_DIRS) {
        t += 2_000n;
        put({ kind: 'exec_failed', ts: t, process: p, tid: p.pid, errno: ENOENT, filename: `${d}/${name}` });
      }
    };
    const opened = (p: ProcessKey, list: readonly CompileOpen[]): void => {
      if (!o.opens) return;
      for (const f of list) {
        t += 4_000n;
        const latencyNs = BigInt(2_000 + ((events * 7919) % 8_000));
        put({
          kind: 'open',
          ts: t,
          process: p,
          tid: p.pid,
          path: f.path,
          result: f.missing ? -ENOENT : 3,
          flags: f.flags,
          mode: f.mode ?? 0,
          latencyNs,
        });
      }
    };
    for (let u = 0; u < o.units; u++) {
      const dir = `d${u % 97}`;
      const file = `file${u}`;
      const fails = o.failEvery !== undefined && o.failEvery > 0 && u % o.failEvery === o.failEvery - 1;
      // cc
      t += 50_000n;
      const cc: ProcessKey = { pid: pid++, start: t };
      put({ kind: 'fork', ts: t, process: root, tid: rootPid, child: cc });
      searched(cc, 'cc');
      t += 20_000n;
      const ccArgv = ['cc', '-O2', '-g', '-Wall', '-Iinclude', '-c', `src/${dir}/${file}.c`, '-o', `obj/${file}.o`];
      put({
        kind: 'exec',
        ts: t,
        process: cc,
        tid: cc.pid,
        parent: root,
        comm: 'cc',
        filename: '/usr/bin/cc',
        exe: '/usr/bin/x86_64-linux-gnu-gcc-12',
        cwd,
        argv: ccArgv,
        env: ccEnv,
      });
      const tmp = o.tmpSeed === undefined ? `/tmp/cc${u.toString(36)}.s` : `/tmp/cc${mkstempSuffix(o.tmpSeed, u)}.s`;
      opened(cc, ccOpens(tmp));
      const gccOptions = `COLLECT_GCC_OPTIONS='-O2' '-g' '-Wall' '-I' 'include' '-c' '-o' 'obj/${file}.o' '-mtune=generic' '-march=x86-64'`;
      const subEnv = [...env, 'COLLECT_GCC=cc', gccOptions];
      // cc1
      t += 30_000n;
      const cc1: ProcessKey = { pid: pid++, start: t };
      put({ kind: 'fork', ts: t, process: cc, tid: cc.pid, child: cc1 });
      t += 20_000n;
      put({
        kind: 'exec',
        ts: t,
        process: cc1,
        tid: cc1.pid,
        parent: cc,
        comm: 'cc1',
        filename: '/usr/lib/gcc/x86_64-linux-gnu/12/cc1',
        exe: '/usr/lib/gcc/x86_64-linux-gnu/12/cc1',
        cwd,
        argv: [
          '/usr/lib/gcc/x86_64-linux-gnu/12/cc1',
          '-quiet',
          '-Iinclude',
          '-imultiarch',
          'x86_64-linux-gnu',
          `src/${dir}/${file}.c`,
          '-quiet',
          '-dumpdir',
          'obj/',
          '-dumpbase',
          `${file}.c`,
          '-dumpbase-ext',
          '.c',
          '-mtune=generic',
          '-march=x86-64',
          '-g',
          '-O2',
          '-Wall',
          '-o',
          tmp,
        ],
        env: subEnv,
      });
      opened(cc1, cc1Opens(dir, file, tmp));
      for (let k = 0; k < (o.threadsPerCc1 ?? 0); k++) {
        t += 1_000n;
        put({ kind: 'thread', ts: t, process: cc1, tid: cc1.pid, newTid: pid++ });
      }
      t += 3_000_000n + BigInt((u * 7919) % 2_000_000);
      put({ kind: 'exit', ts: t, process: cc1, tid: cc1.pid, status: fails ? 1 << 8 : 0, comm: 'cc1' });
      processes += 2;
      if (!fails) {
        // as
        t += 30_000n;
        const as: ProcessKey = { pid: pid++, start: t };
        put({ kind: 'fork', ts: t, process: cc, tid: cc.pid, child: as });
        searched(as, 'as');
        t += 20_000n;
        put({
          kind: 'exec',
          ts: t,
          process: as,
          tid: as.pid,
          parent: cc,
          comm: 'as',
          filename: '/usr/bin/as',
          exe: '/usr/bin/x86_64-linux-gnu-as',
          cwd,
          argv: ['as', '--64', '-o', `obj/${file}.o`, tmp],
          env: subEnv,
        });
        opened(as, asOpens(file, tmp));
        t += 800_000n;
        put({ kind: 'exit', ts: t, process: as, tid: as.pid, status: 0, comm: 'as' });
        processes++;
      }
      t += 40_000n;
      put({ kind: 'exit', ts: t, process: cc, tid: cc.pid, status: fails ? 1 << 8 : 0, comm: 'cc' });
    }
    t += 100_000n;
    put({ kind: 'exit', ts: t, process: root, tid: rootPid, status: o.failEvery ? 2 << 8 : 0, comm: 'make' });
    w.writeFooter({ rootStatus: o.failEvery ? 2 << 8 : 0 });
    w.finish();
  } finally {
    closeSync(fd);
  }
  return { events, processes };
}

// ---------------------------------------------------------------- scenarios for tests and golden files

const SCENARIO_ENV = [
  'PATH=/usr/local/bin:/usr/bin:/bin',
  'HOME=/home/dev',
  'LANG=C.UTF-8',
  'CI=true',
  'API_TOKEN=tok-1234567890',
  'DATABASE_URL=postgres://app:hunter2@db.internal:5432/app',
  'GIT_AUTHOR_NAME=Dev Eloper',
  'MAKEFLAGS=-j4',
];

/**
 * A small build with everything the replay shows: 12 compiles (one failing),
 * PATH-search failed execs, a command not found, `sh -c` that execs, a
 * subshell (fork without exec) with children, a crash with a core dump, a
 * process still running at the end, threads, a loss record, cut argv.
 */
export function buildScenario(): Synth {
  const s = new Synth({ rootPid: 4000, header: { commandArgv: ['make', '-j4', 'all'] } });
  const make = s.root(['make', '-j4', 'all'], { at: 1, env: SCENARIO_ENV, cwd: '/src/app' });
  const files = ['main', 'util', 'net', 'db', 'log', 'cfg', 'cli', 'http', 'json', 'auth', 'cache', 'queue'];
  let t = 2;
  files.forEach((f, i) => {
    const cc = s.fork(make, t);
    s.execFailed(cc, '/usr/local/bin/cc', 2, t + 0.01);
    s.exec(cc, ['cc', '-O2', '-c', `${f}.c`, '-o', `${f}.o`], {
      at: t + 0.02,
      exe: '/usr/bin/x86_64-linux-gnu-gcc-12',
    });
    const ccEnv = [...cc.env, `COLLECT_GCC_OPTIONS='-O2' '-c' '-o' '${f}.o'`];
    const cc1 = s.fork(cc, t + 0.1);
    s.exec(cc1, ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1', '-quiet', `${f}.c`, '-O2', '-o', `/tmp/cc${i}.s`], {
      at: t + 0.11,
      env: ccEnv,
    });
    const failing = f === 'net';
    const dur = 20 + ((i * 7) % 11);
    s.exit(cc1, t + dur, { code: failing ? 1 : 0 });
    if (!failing) {
      const as = s.fork(cc, t + dur + 0.1);
      s.execFailed(as, '/usr/local/bin/as', 2, t + dur + 0.11);
      s.exec(as, ['as', '--64', '-o', `${f}.o`, `/tmp/cc${i}.s`], { at: t + dur + 0.12, env: ccEnv });
      s.exit(as, t + dur + 3);
    }
    s.exit(cc, t + dur + 3.5, { code: failing ? 1 : 0 });
    t += 5;
  });
  // sh -c that execs its command (one process, two images), and a missing command.
  const sh = s.fork(make, 70);
  s.exec(sh, ['/bin/sh', '-c', 'exec ./gen-version.sh > version.h'], { at: 70.01 });
  s.exec(sh, ['/bin/bash', './gen-version.sh'], { at: 70.5, exe: '/usr/bin/bash' });
  const sub = s.fork(sh, 71);
  s.run(sub, ['git', 'describe', '--tags', '--always'], 71.2, 4);
  s.run(sub, ['date', '+%Y-%m-%d'], 75.5, 1);
  s.exit(sub, 77);
  s.exit(sh, 78);
  const missing = s.fork(make, 80);
  s.execFailed(missing, '/usr/local/bin/lint-headers', 2, 80.01);
  s.execFailed(missing, '/usr/bin/lint-headers', 2, 80.02);
  s.execFailed(missing, '/bin/lint-headers', 2, 80.03);
  s.exit(missing, 80.1, { code: 127 });
  // A test binary that crashes, with threads.
  const test = s.fork(make, 85);
  s.exec(test, ['./unit-tests', '--gtest_filter=*', '--gtest_color=no'], { at: 85.01, exe: '/src/app/unit-tests' });
  s.thread(test, 86, 5001);
  s.thread(test, 86.5, 5002);
  s.exit(test, 140, { signal: 11, core: true });
  // A long argv that was cut, and a server still running when the capture stopped.
  const long = s.fork(make, 90);
  s.exec(long, ['ar', 'rcs', 'libapp.a', ...files.map((f) => `${f}.o`)], { at: 90.01, argvTruncated: true });
  s.exit(long, 93);
  const server = s.fork(make, 95);
  s.exec(server, ['./dev-server', '--port', '8080'], {
    at: 95.01,
    exe: '/src/app/dev-server',
    env: [...SCENARIO_ENV, 'SESSION_SECRET=abc', 'PORT=8080'],
  });
  s.running(server, 150);
  s.loss(1, 2n, 100);
  s.exit(make, 149, { code: 2 });
  return s;
}

/** 200 identical-shape compiles under one make, two of them failing: the --dedup case. */
export function manyCompilesScenario(n = 200, failing: readonly number[] = [57, 143]): Synth {
  const s = new Synth({ rootPid: 6000, header: { commandArgv: ['make', '-j8'] } });
  const make = s.root(['make', '-j8'], { at: 1, env: ['PATH=/usr/bin:/bin', 'HOME=/home/ci'], cwd: '/w' });
  for (let i = 0; i < n; i++) {
    const t = 2 + i * 0.5;
    const fails = failing.includes(i);
    const cc = s.fork(make, t);
    s.exec(cc, ['cc', '-c', `f${i}.c`, '-o', `f${i}.o`], { at: t + 0.01 });
    s.run(cc, ['/usr/lib/gcc/cc1', `f${i}.c`, '-o', `/tmp/f${i}.s`], t + 0.05, 1 + (i % 3), { code: fails ? 1 : 0 });
    if (!fails) s.run(cc, ['as', '-o', `f${i}.o`, `/tmp/f${i}.s`], t + 4, 0.5);
    s.exit(cc, t + 5, { code: fails ? 1 : 0 });
  }
  s.exit(make, 2 + n * 0.5 + 10, { code: 2 });
  return s;
}

/**
 * A small build with file opens, resource usage and histograms (format 1.1,
 * files + io + sched): relative, absolute and dirfd-relative paths, failed
 * opens, files written, a header opened by every compile.
 */
export function filesScenario(): Synth {
  const s = new Synth({
    rootPid: 8000,
    header: { commandArgv: ['sh', 'build.sh'], options: { files: true, io: true, sched: true } },
  });
  const MB = 1024n;
  const sh = s.root(['sh', 'build.sh'], { at: 1, cwd: '/src/app' });
  s.open(sh, 'build.sh', 1.1);
  s.open(sh, '/etc/ld.so.cache', 1.2);
  for (let i = 0; i < 3; i++) {
    const cc = s.fork(sh, 2 + i * 10);
    s.exec(cc, ['cc', '-c', `m${i}.c`], { at: 2.01 + i * 10 });
    s.open(cc, '/etc/ld.so.cache', 2.1 + i * 10);
    s.open(cc, `m${i}.c`, 2.2 + i * 10);
    s.open(cc, './include/../include/app.h', 2.3 + i * 10);
    s.open(cc, '/usr/include/missing.h', 2.4 + i * 10, { errno: 2 });
    s.open(cc, `m${i}.o`, 2.5 + i * 10, { flags: O_WRONLY_CREAT_TRUNC | O_CLOEXEC, mode: 0o666, fd: 4 });
    s.exit(cc, 9 + i * 10, {
      rusage: {
        utimeNs: BigInt(4 + i) * 1_000_000n,
        stimeNs: 1_000_000n,
        runtimeNs: BigInt(5 + i) * 1_000_000n + 1234n,
        maxrssKb: BigInt(10 + i) * MB,
        minFlt: 900n,
        nvcsw: 3n,
        nivcsw: 1n,
        rchar: 40_000n,
        wchar: 8_000n,
      },
    });
  }
  // A subshell in another directory: relative paths against its exec's cwd, a dirfd-relative open, permission errors.
  const sub = s.fork(sh, 40);
  s.exec(sub, ['find', '.', '-name', '*.log'], { at: 40.01, cwd: '/var/log' });
  s.open(sub, '.', 40.1, { flags: 0o200000 | O_CLOEXEC, fd: 5 });
  s.open(sub, 'syslog', 40.2, { dirfd: 5, syscallNr: 257 });
  s.open(sub, 'private', 40.3, { errno: 13, flags: 0o200000 });
  s.open(sub, 'secret.log', 40.4, { errno: 13 });
  s.exit(sub, 45, {
    code: 1,
    rusage: { utimeNs: 500_000n, stimeNs: 2_000_000n, runtimeNs: 2_600_000n, maxrssKb: 3n * MB, minFlt: 200n },
  });
  // dd writing with fsync: I/O histograms.
  const dd = s.fork(sh, 50);
  s.exec(dd, ['dd', 'if=/dev/zero', 'of=out.bin', 'bs=4k', 'count=100', 'conv=fsync'], { at: 50.01 });
  s.open(dd, '/dev/zero', 50.1);
  s.open(dd, 'out.bin', 50.2, { flags: 0o1101, mode: 0o666, fd: 1 });
  s.exit(dd, 180, {
    rusage: {
      utimeNs: 1_000_000n,
      stimeNs: 30_000_000n,
      runtimeNs: 31_500_000n,
      maxrssKb: 2n * MB,
      minFlt: 150n,
      majFlt: 2n,
      nvcsw: 104n,
      nivcsw: 2n,
      rchar: 409_600n,
      wchar: 409_600n,
      writeBytes: 409_600n,
    },
  });
  s.hist(dd, 'read', 180, { 10: 90, 11: 10 });
  s.hist(dd, 'write', 180, { 12: 60, 13: 39, 14: 1 });
  s.hist(dd, 'fsync', 180, { 26: 1 }, 120_000_000n);
  s.hist(dd, 'offcpu', 180, { 14: 50, 20: 50, 26: 4 });
  s.exit(sh, 190, {
    rusage: {
      utimeNs: 2_000_000n,
      stimeNs: 1_000_000n,
      runtimeNs: 3_100_000n,
      maxrssKb: 4n * MB,
      minFlt: 300n,
      nvcsw: 12n,
    },
  });
  s.hist(sh, 'offcpu', 190, { 20: 10, 24: 8, 25: 2 });
  return s;
}

/**
 * A capture with TCP connections (format 1.2, net): a client fetching from
 * two peers (one repeatedly), a refused connect, a timed-out one, a local
 * server accepting three connections, one still open at the end, retransmits.
 */
export function netScenario(): Synth {
  const s = new Synth({ rootPid: 9000, header: { commandArgv: ['sh', 'fetch.sh'], options: { net: true } } });
  const sh = s.root(['sh', 'fetch.sh'], { at: 1, cwd: '/app' });
  const server = s.fork(sh, 2);
  s.exec(server, ['node', 'server.js', '--port', '8080'], { at: 2.01 });
  const curl = s.fork(sh, 10);
  s.exec(curl, ['curl', '-s', 'https://10.1.2.3/data'], { at: 10.01 });
  s.tcp(curl, 10.5, {
    remote: '10.1.2.3',
    remotePort: 443,
    local: '192.168.1.5',
    latencyMs: 12,
    close: 60,
    sent: 1024n,
    received: 5120n,
  });
  s.tcp(curl, 61, {
    remote: '10.1.2.3',
    remotePort: 443,
    local: '192.168.1.5',
    latencyMs: 8,
    close: 90,
    sent: 512n,
    received: 2048n,
    retransmits: 3,
  });
  s.tcp(curl, 91, {
    remote: '10.9.9.9',
    remotePort: 80,
    local: '192.168.1.5',
    latencyMs: 30,
    close: 95,
    sent: 100n,
    received: 200n,
  });
  s.exit(curl, 96);
  const client = s.fork(sh, 100);
  s.exec(client, ['node', 'client.js'], { at: 100.01 });
  s.tcp(client, 101, { remote: '::1', remotePort: 8766, errno: 111, latencyMs: 0.1 });
  s.tcp(client, 102, { remote: '::1', remotePort: 8766, errno: 111, latencyMs: 0.1 });
  s.tcp(client, 103, { remote: '192.0.2.1', remotePort: 5432, errno: 110, latencyMs: 1000 });
  for (let i = 0; i < 3; i++) {
    const at = 1110 + i * 10;
    s.tcp(client, at, {
      remote: '127.0.0.1',
      remotePort: 8080,
      localPort: 50000 + i,
      latencyMs: 0.2,
      close: i === 2 ? null : at + 5,
      sent: 300n,
      received: 1500n,
    });
    s.tcp(server, at + 0.1, {
      role: 'server',
      remote: '127.0.0.1',
      remotePort: 50000 + i,
      localPort: 8080,
      close: i === 2 ? null : at + 5,
      sent: 1500n,
      received: 300n,
    });
  }
  s.exit(client, 1150, { code: 1 });
  s.running(server, 1200);
  s.exit(sh, 1160, { code: 1 });
  return s;
}

/**
 * Name lookups (format 1.3) with TCP connections: a shell resolves
 * api.example.com twice (old answer first), a child curl connects to its
 * address, resolves localhost (four times) and connects over IPv4-mapped IPv6
 * and ::1, fails to resolve foo.invalid twice, connects to 10.9.9.9 before
 * resolving the name that gives it; a sibling wget connects to 127.0.0.1
 * (nobody of its lineage resolved it) after a lookup that fails with EAI_AGAIN.
 */
export function dnsScenario(): Synth {
  const s = new Synth({ rootPid: 9500, header: { commandArgv: ['sh', 'get.sh'], options: { net: true, dns: true } } });
  const sh = s.root(['sh', 'get.sh'], { at: 1, cwd: '/app' });
  s.dns(sh, 2, 'old.example.com', ['10.1.2.3'], 2);
  s.dns(sh, 5, 'api.example.com', ['10.1.2.3', '2001:db8::1'], 3.5);
  const curl = s.fork(sh, 10);
  s.exec(curl, ['curl', '-s', 'https://api.example.com/data'], { at: 10.01 });
  s.tcp(curl, 11, {
    remote: '10.1.2.3',
    remotePort: 443,
    local: '192.168.1.5',
    latencyMs: 12,
    close: 19,
    sent: 1024n,
    received: 5120n,
  });
  for (let i = 0; i < 4; i++) s.dns(curl, 20 + i * 10, 'localhost', ['127.0.0.1', '::1'], 0.6 + i * 0.1);
  s.tcp(curl, 21, {
    remote: '::ffff:127.0.0.1',
    remotePort: 8080,
    local: '::ffff:127.0.0.1',
    latencyMs: 0.2,
    close: 25,
    sent: 100n,
    received: 200n,
  });
  s.tcp(curl, 22, { remote: '::1', remotePort: 8080, latencyMs: 0.2, close: 26, sent: 100n, received: 200n });
  s.dns(curl, 60, 'foo.invalid', -2, 4);
  s.dns(curl, 61, 'foo.invalid', -2, 5);
  s.tcp(curl, 70, { remote: '10.9.9.9', remotePort: 80, latencyMs: 30, close: 72, sent: 10n, received: 20n });
  s.dns(curl, 75, 'late.example', ['10.9.9.9'], 1);
  s.exit(curl, 80, { code: 6 });
  const wget = s.fork(sh, 100);
  s.exec(wget, ['wget', 'http://127.0.0.1:8080/'], { at: 100.01 });
  s.dns(wget, 100.5, 'slow.example', -3, 5000);
  s.tcp(wget, 5101, { remote: '127.0.0.1', remotePort: 8080, latencyMs: 0.3, close: 5102, sent: 50n, received: 60n });
  s.exit(wget, 5103);
  s.exit(sh, 5104, { code: 6 });
  return s;
}

/** DNS wire format (RFC 1035), uncompressed: enough to synthesize queries and replies. */
const DNS_TYPES: Readonly<Record<string, number>> = { A: 1, CNAME: 5, AAAA: 28 };

function dnsName(name: string): Buffer {
  const parts = name.split('.').filter((l) => l !== '');
  return Buffer.concat([
    ...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0]),
  ]);
}

function dnsHeader(id: number, flags: number, qd: number, an: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  return h;
}

function dnsQuestion(name: string, type: string): Buffer {
  const t = Buffer.alloc(4);
  t.writeUInt16BE(DNS_TYPES[type]!, 0);
  t.writeUInt16BE(1, 2);
  return Buffer.concat([dnsName(name), t]);
}

export function dnsQueryBytes(id: number, name: string, type: string): Buffer {
  return Buffer.concat([dnsHeader(id, 0x0100, 1, 0), dnsQuestion(name, type)]);
}

/** A reply: `answers` are [owner, type, data] with data an address (A/AAAA) or a name (CNAME). */
export function dnsReplyBytes(
  id: number,
  name: string,
  type: string,
  rcode: number,
  answers: [string, string, string][] = [],
): Buffer {
  const records = answers.map(([owner, t, data]) => {
    const rdata = t === 'A' ? Buffer.from(data.split('.').map(Number)) : t === 'AAAA' ? ipv6Bytes(data) : dnsName(data);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(DNS_TYPES[t]!, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(300, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([dnsName(owner), fixed, rdata]);
  });
  return Buffer.concat([dnsHeader(id, 0x8180 | rcode, 1, answers.length), dnsQuestion(name, type), ...records]);
}

function ipv6Bytes(text: string): Buffer {
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), 2 * i));
  return b;
}

/**
 * DNS messages on the wire (format 1.4) from a resolver that bypasses libc
 * (no getaddrinfo records): `./fetcher` resolves api.example.com (A through a
 * CNAME, AAAA with no address) and connects to the answer; gets NXDOMAIN for
 * nope.example; asks flaky.example twice with the same id (the first goes
 * unanswered, the retry gets SERVFAIL); receives a reply nobody asked for and
 * one that does not parse (a compression loop). Three `./worker` siblings
 * each resolve cache.example through ::1.
 */
export function dnsWireScenario(): Synth {
  const s = new Synth({
    rootPid: 9700,
    header: { commandArgv: ['./fetch.sh'], options: { net: true, dnsMessages: true } },
  });
  const sh = s.root(['sh', './fetch.sh'], { at: 1, cwd: '/app' });
  const fetcher = s.fork(sh, 2);
  s.exec(fetcher, ['./fetcher', 'api.example.com'], { at: 2.01, exe: '/app/fetcher' });
  const server = '127.0.0.53';
  s.dnsMessage(fetcher, 3, 'sent', server, 41000, dnsQueryBytes(0x1001, 'api.example.com', 'A'));
  s.dnsMessage(fetcher, 3.01, 'sent', server, 41000, dnsQueryBytes(0x1002, 'api.example.com', 'AAAA'));
  s.dnsMessage(
    fetcher,
    4.5,
    'received',
    server,
    41000,
    dnsReplyBytes(0x1001, 'api.example.com', 'A', 0, [
      ['api.example.com', 'CNAME', 'edge.example.net'],
      ['edge.example.net', 'A', '10.1.2.3'],
    ]),
  );
  s.dnsMessage(
    fetcher,
    4.8,
    'received',
    server,
    41000,
    dnsReplyBytes(0x1002, 'api.example.com', 'AAAA', 0, [['api.example.com', 'CNAME', 'edge.example.net']]),
  );
  s.tcp(fetcher, 5, {
    remote: '10.1.2.3',
    remotePort: 443,
    local: '192.168.1.5',
    latencyMs: 10,
    close: 20,
    sent: 500n,
    received: 4000n,
  });
  s.dnsMessage(fetcher, 30, 'sent', server, 41001, dnsQueryBytes(0x2001, 'nope.example', 'A'));
  s.dnsMessage(fetcher, 30.4, 'received', server, 41001, dnsReplyBytes(0x2001, 'nope.example', 'A', 3));
  s.dnsMessage(fetcher, 40, 'sent', server, 41002, dnsQueryBytes(0x3001, 'flaky.example', 'A'));
  s.dnsMessage(fetcher, 5040, 'sent', server, 41002, dnsQueryBytes(0x3001, 'flaky.example', 'A'));
  s.dnsMessage(fetcher, 5041, 'received', server, 41002, dnsReplyBytes(0x3001, 'flaky.example', 'A', 2));
  s.dnsMessage(
    fetcher,
    5050,
    'received',
    server,
    41003,
    dnsReplyBytes(0x4001, 'stray.example', 'A', 0, [['stray.example', 'A', '10.0.0.9']]),
  );
  const loop = dnsQueryBytes(0x5001, 'bad.example', 'A');
  s.dnsMessage(fetcher, 5060, 'sent', server, 41004, loop);
  s.dnsMessage(
    fetcher,
    5061,
    'received',
    server,
    41004,
    Buffer.concat([dnsHeader(0x5001, 0x8180, 1, 0), Buffer.from([0xc0, 12, 0, 1, 0, 1])]),
  );
  s.exit(fetcher, 5070, { code: 1 });
  for (let i = 0; i < 3; i++) {
    const w = s.fork(sh, 6000 + i * 10);
    s.exec(w, ['./worker', String(i)], { at: 6000.01 + i * 10, exe: '/app/worker' });
    s.dnsMessage(w, 6001 + i * 10, 'sent', '::1', 42000 + i, dnsQueryBytes(0x6000 + i, 'cache.example', 'A'));
    s.dnsMessage(
      w,
      6001.2 + i * 10 + i * 0.1,
      'received',
      '::1',
      42000 + i,
      dnsReplyBytes(0x6000 + i, 'cache.example', 'A', 0, [['cache.example', 'A', '10.7.7.7']]),
    );
    s.exit(w, 6005 + i * 10);
  }
  s.exit(sh, 6100, { code: 1 });
  return s;
}

/**
 * Strings a hostile traced program or a doctored raw file can carry to a
 * terminal: cursor moves and screen clears, a window title (OSC 0), a hidden
 * link (OSC 8), fake lines (LF, CR), backspace and DEL, C1 controls (U+009B
 * is a CSI, U+0085 a newline on some terminals), bidi overrides, isolates and
 * marks, zero-width and line-separator characters.
 */
export const HOSTILE_STRINGS: readonly string[] = [
  '\x1b[2J\x1b[Hcleared',
  '\x1b]0;pwned title\x07',
  '\x1b]8;;http://evil.invalid/\x1b\\click me\x1b]8;;\x1b\\',
  'line1\nFAKE: root exit 0',
  'cr\rFAKE: overwritten',
  'tab\there bs\bX del\x7f bel\x07 vt\x0b ff\x0c',
  'rtl \u202eexe.txt\u202c done',
  'iso \u2066x\u2069 lrm\u200e rlm\u200f alm\u061c lre\u202a rle\u202b pdf\u202c lro\u202d',
  'csi \u009b31mred nel\u0085next',
  'ls\u2028ps\u2029zw\u200bzwnj\u200cbom\ufeff',
];

/**
 * Every text a renderer prints from the file, made of HOSTILE_STRINGS: the
 * header (hostname, commands, traceparent, OS), argv, env names and values,
 * cwd, exe, failed exec paths, opened paths, name lookups and the peer names
 * they give, DNS names on the wire, and the comm of exits.
 */
export function hostileScenario(): Synth {
  const h = HOSTILE_STRINGS;
  const s = new Synth({
    rootPid: 9900,
    header: {
      hostname: `host${h[0]}`,
      kernelRelease: `6.1${h[6]}`,
      osRelease: `os${h[3]}`,
      captureArgv: ['ptrace-capture', '-o', 'x.raw', '--', 'sh', h[1]!],
      commandArgv: ['sh', h[1]!, h[3]!],
      traceparent: `00-${h[2]}`,
      options: { files: true, net: true, dns: true, dnsMessages: true },
    },
  });
  const env = ['PATH=/usr/bin', ...h.map((x, i) => `V${i}=${x}`), `N${h[8]}${h[4]}=name`];
  const sh = s.root(['sh', h[1]!, h[3]!], { at: 1, cwd: `/w/${h[0]}`, env });
  h.forEach((x, i) => {
    const at = 2 + i * 10;
    const child = s.fork(sh, at);
    s.execFailed(child, `/usr/local/bin/${x}`, 2, at + 0.01);
    s.exec(child, [`./${x}`, x, `--opt=${x}`], { at: at + 0.02, exe: `/w/bin/${x}`, cwd: `/w/${x}` });
    s.open(child, `/etc/${x}`, at + 1);
    s.open(child, `missing/${x}`, at + 1.5, { errno: 2 });
    s.open(child, `rel${x}`, at + 1.6, { dirfd: 5, flags: 0o1101 });
    s.dns(child, at + 2, `${x}.example`, ['10.0.0.1'], 0.5);
    s.tcp(child, at + 3, {
      remote: '10.0.0.1',
      remotePort: 443,
      latencyMs: 0.5,
      close: at + 4,
      sent: 1n,
      received: 2n,
    });
    s.dns(child, at + 4.5, `bad${x}`, -2, 0.5);
    s.dnsMessage(child, at + 5, 'sent', '127.0.0.53', 41000 + i, dnsQueryBytes(0x100 + i, `q${x}.example`, 'A'));
    s.dnsMessage(
      child,
      at + 5.2,
      'received',
      '127.0.0.53',
      41000 + i,
      dnsReplyBytes(0x100 + i, `q${x}.example`, 'A', 3),
    );
    s.exit(child, at + 6, { code: i % 2 });
  });
  // A fork without exec: its label is the forking image's argv[0].
  const forked = s.fork(sh, 200);
  s.exit(forked, 201, { code: 1 });
  s.exit(sh, 210, { code: 1 });
  return s;
}
