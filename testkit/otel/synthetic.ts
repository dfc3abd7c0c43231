// Synthetic raw files for the otel tests and benchmark, written with
// testkit/writer.ts: one small capture that has every case the span model
// handles, and a big make-like build of any size.

import { CAT } from '../../formats/layout.ts';
import type { ProcessKey } from '../../formats/types.ts';
import { CaptureWriter, DEFAULT_START, type HeaderInit, type WriterEvent } from '../../testkit/writer.ts';

const MS = 1_000_000n;
const ts = (ms: number): bigint => DEFAULT_START.boottime + BigInt(Math.round(ms * 1000)) * (MS / 1000n);

export const SECRET_VALUE = 'hunter2-do-not-export';

export interface SampleOptions {
  /** TRACEPARENT in the traced command's environment. */
  commandTraceparent?: string;
  /** TRACEPARENT of the capture tool's environment (header). */
  captureTraceparent?: string;
  /** Leave the footer out (capture cut short). */
  noFooter?: boolean;
}

const BASE_ENV = [
  'PATH=/usr/local/bin:/usr/bin:/bin',
  'HOME=/home/builder',
  'USER=builder',
  'CI_JOB_ID=4242',
  `API_TOKEN=${SECRET_VALUE}`,
];

/**
 * make -j2 (root, pid 1000) with:
 * 1001 sh -c "cc -c a.c" → 1002 cc (exit 0); 1003 a fork that never execs
 * (a subshell) → 1004 true; 1005 tries /usr/local/bin/ld (ENOENT), runs sh,
 * then execs ld (two images), exits 1; 1006 sleep killed by SIGKILL with a
 * truncated argv; 1007 still running at the end; a loss record; make exits 2.
 */
export function sampleCapture(o: SampleOptions = {}): Buffer {
  const header: HeaderInit = {
    rootPid: 1000,
    capturePid: 999,
    hostname: 'buildhost',
    kernelRelease: '6.1.0-test',
    kernelVersion: '#1 SMP',
    machine: 'x86_64',
    ptraceVersion: '0.1.0',
    captureArgv: ['ptrace-capture', '-o', 'build.raw', '--', 'make', '-j2'],
    commandArgv: ['make', '-j2'],
    bootId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    osRelease: 'Debian GNU/Linux 12 (bookworm)',
    traceparent: o.captureTraceparent ?? '',
  };
  const env = o.commandTraceparent === undefined ? BASE_ENV : [...BASE_ENV, `TRACEPARENT=${o.commandTraceparent}`];
  const ev: WriterEvent[] = [];
  const key = (pid: number, ms: number): ProcessKey => ({ pid, start: ts(ms) });
  const root = key(1000, 0.5);
  const outside: ProcessKey = { pid: 999, start: ts(-100) };
  const exec = (
    p: ProcessKey,
    parent: ProcessKey,
    at: number,
    argv: string[],
    extra: Partial<Extract<WriterEvent, { kind: 'exec' }>> = {},
  ): void => {
    const exe = (extra.exe as string | undefined) ?? (argv[0]!.startsWith('/') ? argv[0]! : `/usr/bin/${argv[0]}`);
    ev.push({
      kind: 'exec',
      ts: ts(at),
      process: p,
      tid: p.pid,
      parent,
      uid: 1000,
      gid: 1000,
      comm: exe.slice(exe.lastIndexOf('/') + 1).slice(0, 15),
      filename: exe,
      exe,
      cwd: '/work/project',
      argv,
      env,
      ...extra,
    });
  };
  const fork = (parent: ProcessKey, child: ProcessKey): void => {
    ev.push({ kind: 'fork', ts: child.start, process: parent, tid: parent.pid, child });
  };
  const exit = (p: ProcessKey, at: number, status: number): void => {
    ev.push({ kind: 'exit', ts: ts(at), process: p, tid: p.pid, status });
  };

  exec(root, outside, 1, ['make', '-j2']);
  const sh = key(1001, 2);
  fork(root, sh);
  exec(sh, root, 2.5, ['/bin/sh', '-c', 'cc -c a.c']);
  const cc = key(1002, 3);
  fork(sh, cc);
  exec(cc, sh, 3.2, ['cc', '-c', 'a.c']);
  exit(cc, 40, 0);
  exit(sh, 41, 0);
  const sub = key(1003, 5);
  fork(root, sub);
  const tru = key(1004, 6);
  fork(sub, tru);
  exec(tru, sub, 6.5, ['true']);
  exit(tru, 7, 0);
  exit(sub, 8, 0);
  const ld = key(1005, 42);
  fork(root, ld);
  ev.push({ kind: 'exec_failed', ts: ts(42.2), process: ld, tid: ld.pid, errno: 2, filename: '/usr/local/bin/ld' });
  exec(ld, root, 42.5, ['/bin/sh', './link.sh']);
  exec(ld, root, 50, ['ld', '-o', 'app', 'a.o']);
  exit(ld, 60, 1 << 8);
  const sleeper = key(1006, 43);
  fork(root, sleeper);
  exec(sleeper, root, 43.5, ['sleep', '1000'], { argvTruncated: true });
  exit(sleeper, 70, 9);
  ev.push({ kind: 'loss', ts: ts(65), category: CAT.EXEC, count: 3n });
  const daemon = key(1007, 44);
  fork(root, daemon);
  exec(daemon, root, 44.5, ['sleepd']);
  exit(root, 80, 2 << 8);
  ev.push({ kind: 'running', ts: ts(81), process: daemon });

  const w = new CaptureWriter(header);
  const sorted = ev.map((e, i) => ({ e, i })).sort((a, b) => (a.e.ts < b.e.ts ? -1 : a.e.ts > b.e.ts ? 1 : a.i - b.i));
  for (const { e } of sorted) w.write(e);
  if (!o.noFooter) w.writeFooter({ rootStatus: 2 << 8 });
  return w.finish();
}

/**
 * A make-like build with `units` compile jobs, each `sh -c` → `cc` (two
 * spans per unit, plus make): 2 × units + 2 spans. Streams to `fd`.
 */
export function writeBigBuild(fd: number, units: number): { spans: number } {
  const header: HeaderInit = {
    rootPid: 100,
    capturePid: 99,
    hostname: 'bench',
    kernelRelease: '6.1.0-bench',
    machine: 'x86_64',
    ptraceVersion: '0.1.0',
    commandArgv: ['make', '-j8'],
    bootId: 'bench-boot',
  };
  const w = new CaptureWriter(header, { fd });
  const env = [...BASE_ENV, 'MAKEFLAGS=-j8', 'CFLAGS=-O2 -g'];
  const root: ProcessKey = { pid: 100, start: ts(0) };
  w.write({
    kind: 'exec',
    ts: ts(0.1),
    process: root,
    tid: 100,
    parent: { pid: 99, start: 0n },
    filename: '/usr/bin/make',
    argv: ['make', '-j8'],
    env,
    cwd: '/work/project',
  });
  let pid = 101;
  let t = 1;
  for (let u = 0; u < units; u++) {
    const sh: ProcessKey = { pid: pid++, start: ts(t) };
    const cc: ProcessKey = { pid: pid++, start: ts(t + 0.2) };
    if (pid > 4_000_000) pid = 101;
    const src = `src/unit${u}.c`;
    w.write({ kind: 'fork', ts: sh.start, process: root, tid: 100, child: sh });
    w.write({
      kind: 'exec',
      ts: ts(t + 0.1),
      process: sh,
      tid: sh.pid,
      parent: root,
      filename: '/bin/sh',
      argv: ['/bin/sh', '-c', `cc -O2 -c ${src}`],
      env,
      cwd: '/work/project',
    });
    w.write({ kind: 'fork', ts: cc.start, process: sh, tid: sh.pid, child: cc });
    w.write({
      kind: 'exec',
      ts: ts(t + 0.3),
      process: cc,
      tid: cc.pid,
      parent: sh,
      filename: '/usr/bin/cc',
      argv: ['cc', '-O2', '-c', src, '-o', `obj/unit${u}.o`],
      env,
      cwd: '/work/project',
    });
    w.write({ kind: 'exit', ts: ts(t + 5), process: cc, tid: cc.pid, status: u % 97 === 13 ? 1 << 8 : 0 });
    w.write({ kind: 'exit', ts: ts(t + 5.1), process: sh, tid: sh.pid, status: 0 });
    t += 5.2;
  }
  w.write({ kind: 'exit', ts: ts(t + 10), process: root, tid: 100, status: 0 });
  w.writeFooter();
  w.finish();
  return { spans: 2 * units + 2 };
}
