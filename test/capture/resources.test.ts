// File opens, CPU, memory, I/O latency and off-CPU time, captured for real.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import type { Capture, ExecEvent, ExitEvent, HistEvent, OpenEvent } from '../../formats/types.ts';
import {
  CLI,
  captureSync,
  cc,
  execWithArgv,
  ROOT,
  realCaptureTest,
  sameProcess,
  TEST_ENV,
  tempDir,
} from '../helpers/real-capture.ts';

function build(t: ExecutionContext): { dir: string; bin: string } {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  const bin = join(dir, 'resources');
  cc(t, join(ROOT, 'test/fixtures/resources.c'), bin);
  return { dir, bin };
}
const exitOf = (capture: Capture, exec: ExecEvent) =>
  capture.events.find((e): e is ExitEvent => e.kind === 'exit' && sameProcess(e.process, exec.process));
const histsOf = (capture: Capture, exec: ExecEvent) =>
  capture.events.filter((e): e is HistEvent => e.kind === 'hist' && sameProcess(e.process, exec.process));

realCaptureTest('file opens: existing, ENOENT, EACCES as a non-root user, O_CREAT write', (t) => {
  const { dir, bin } = build(t);
  const files = join(dir, 'files');
  mkdirSync(files);
  chmodSync(files, 0o777);
  writeFileSync(join(files, 'existing'), 'hello', { mode: 0o644 });
  writeFileSync(join(files, 'secret'), 'root only', { mode: 0o600 });
  const env = { ...TEST_ENV, SUDO_UID: '65534', SUDO_GID: '65534', SUDO_USER: 'nobody' };
  const { status, capture } = captureSync([bin, 'opens', files], { env, file: join(files, 'run.raw') }); // created as the sudo user
  t.is(status, 0);
  const exec = execWithArgv(t, capture, [bin, 'opens', files]);
  t.is(exec.uid, 65534);
  const opens = capture.events.filter((e): e is OpenEvent => e.kind === 'open' && sameProcess(e.process, exec.process));
  const byPath = (name: string) => opens.filter((o) => o.path.bytes.toString() === join(files, name));
  const [existing] = byPath('existing');
  const [missing] = byPath('missing');
  const [secret] = byPath('secret');
  const [created] = byPath('created');
  t.true(existing?.result >= 0 && existing.errno === null, 'existing file opened');
  t.is(existing?.flags & 3, 0, 'O_RDONLY');
  t.is(missing?.errnoName, 'ENOENT');
  t.is(secret?.errnoName, 'EACCES');
  t.true(created?.result >= 0, 'created');
  t.is(created?.flags & 0o1103, 0o1101, 'O_CREAT|O_WRONLY|O_TRUNC');
  t.is(created?.mode, 0o640);
  t.is(created?.dirfd, -100, 'AT_FDCWD');
  t.true(
    opens.some((o) => /ld\.so\.cache|libc\.so/.test(o.path.bytes.toString())),
    'the dynamic loader opens are there too',
  );
});

realCaptureTest(
  'CPU time of a burning child (≥ 0.6 s runtime, most of it user) and max RSS of a child touching 200 MiB',
  (t) => {
    const { bin } = build(t);
    const { status, capture } = captureSync(['sh', '-c', `${bin} burn 0.6; ${bin} touch 200`]);
    t.is(status, 0);
    const burn = exitOf(capture, execWithArgv(t, capture, [bin, 'burn', '0.6']))!;
    const touch = exitOf(capture, execWithArgv(t, capture, [bin, 'touch', '200']))!;
    t.truthy(burn.rusage && touch.rusage);
    // utime/stime split the precise runtime by tick samples: on a busy machine some of the burn lands in stime
    t.true(burn.rusage!.utimeNs >= 400_000_000n, `user time ${burn.rusage!.utimeNs} ns`);
    t.true(burn.rusage!.runtimeNs >= 600_000_000n, `scheduler runtime ${burn.rusage!.runtimeNs} ns`);
    t.true(touch.rusage!.maxrssKb >= 200n * 1024n, `max RSS ${touch.rusage!.maxrssKb} KiB`);
    t.true(touch.rusage!.minFlt >= 50_000n, `minor faults ${touch.rusage!.minFlt} (200 MiB / 4 KiB pages = 51200)`);
    t.true(burn.rusage!.maxrssKb < 100n * 1024n, 'the burner stays small');
  },
);

realCaptureTest('--io: an fsync-heavy child has an fsync histogram with the right count', (t) => {
  const { dir, bin } = build(t);
  const file = join(dir, 'synced');
  const { status, capture } = captureSync([bin, 'fsync', '25', file], { flags: ['--io'] });
  t.is(status, 0);
  t.true(capture.header.options.io);
  const exec = execWithArgv(t, capture, [bin, 'fsync', '25', file]);
  const hists = histsOf(capture, exec);
  const fsync = hists.find((h) => h.histKind === 'fsync');
  t.is(fsync?.count, 25n);
  t.is(
    fsync!.buckets.reduce((a, b) => a + b, 0),
    25,
    'buckets add up to the count',
  );
  t.true(fsync!.maxNs > 0n && fsync!.totalNs >= fsync!.maxNs);
  t.is(hists.find((h) => h.histKind === 'write')?.count, 25n, '25 writes of the data');
  const noIo = captureSync([bin, 'fsync', '3', file]);
  t.false(noIo.capture.header.options.io);
  t.is(noIo.capture.events.filter((e) => e.kind === 'hist').length, 0, 'no histograms without --io');
});

realCaptureTest('--sched: a sleeping child spends about its sleep off CPU', (t) => {
  const { status, capture } = captureSync(['sleep', '0.5'], { flags: ['--sched'] });
  t.is(status, 0);
  const exec = execWithArgv(t, capture, ['sleep', '0.5']);
  const offcpu = histsOf(capture, exec).find((h) => h.histKind === 'offcpu');
  t.truthy(offcpu);
  const seconds = Number(offcpu!.totalNs) / 1e9;
  t.true(seconds >= 0.49 && seconds < 0.8, `off CPU ${seconds} s`);
  t.true(Number(offcpu!.maxNs) / 1e9 >= 0.49, 'one long block');
});

realCaptureTest('--no-files records no opens', (t) => {
  const { capture } = captureSync(['cat', '/etc/hostname'], { flags: ['--no-files'] });
  t.false(capture.header.options.files);
  t.is(capture.events.filter((e) => e.kind === 'open').length, 0);
});

realCaptureTest(
  'open paths: one of PATH_MAX-1 bytes is kept whole, a longer one is cut at PATH_MAX and flagged',
  (t) => {
    const exact = `/${'p/'.repeat(2047)}`; // 4095 bytes
    const tooLong = `/${'q/'.repeat(2500)}`;
    t.is(exact.length, 4095);
    const { capture } = captureSync(['cat', exact, tooLong]);
    const opens = capture.events.filter((e): e is OpenEvent => e.kind === 'open');
    const whole = opens.find((o) => o.path.bytes.toString() === exact);
    t.truthy(whole, 'the 4095-byte path is recorded exactly');
    t.false(whole!.path.truncated);
    t.is(whole!.errnoName, 'ENOENT');
    const cut = opens.find((o) => o.path.bytes.toString().startsWith('/q/q/'));
    t.truthy(cut);
    t.true(cut!.path.truncated);
    t.is(cut!.path.bytes.length, 4096);
    t.is(cut!.errnoName, 'ENAMETOOLONG');
  },
);

realCaptureTest(
  'user + system CPU = the precise runtime in db, tree --json and stats --json (kernel cputime_adjust split)',
  (t) => {
    const { bin } = build(t);
    const { status, capture, file } = captureSync(['sh', '-c', `${bin} burn 0.03; ${bin} burn 0.02`]);
    t.is(status, 0);
    const dbFile = join(tempDir(), 'run.db');
    const db = spawnSync(process.execPath, [CLI, 'db', file, '-o', dbFile], { encoding: 'utf8' });
    t.is(db.status, 0, db.stderr);
    const conn = new Database(dbFile, { readonly: true });
    const rows = conn
      .prepare('SELECT utime_ns AS u, stime_ns AS s, cpu_ns AS c, runtime_ns AS r FROM resources')
      .all() as { u: number; s: number; c: number; r: number }[];
    conn.close();
    t.true(rows.length >= 3, `${rows.length} resource rows`);
    for (const r of rows) {
      t.is(r.u + r.s, r.r, JSON.stringify(r));
      t.is(r.c, r.r);
    }
    const raw = capture.events
      .filter((e): e is ExitEvent => e.kind === 'exit' && e.rusage !== null)
      .map((e) => e.rusage!);
    t.true(
      raw.some((r) => r.utimeNs + r.stimeNs !== r.runtimeNs),
      'the raw tick-sampled values do not add up (else this test proves nothing)',
    );

    const tree = spawnSync(process.execPath, [CLI, 'tree', '--resources', '--json', file], { encoding: 'utf8' });
    t.is(tree.status, 0, tree.stderr);
    const usages: { cpuUserNs: number; cpuSystemNs: number; cpuRuntimeNs: number }[] = [];
    JSON.stringify(JSON.parse(tree.stdout), (_k, v) => {
      if (v && typeof v === 'object' && 'cpuUserNs' in v) usages.push(v);
      return v;
    });
    t.is(usages.length, rows.length);
    for (const u of usages) t.is(u.cpuUserNs + u.cpuSystemNs, u.cpuRuntimeNs, JSON.stringify(u));

    const stats = spawnSync(process.execPath, [CLI, 'stats', '--json', file], { encoding: 'utf8' });
    t.is(stats.status, 0, stats.stderr);
    const cpu = JSON.parse(stats.stdout).cpu as {
      totalNs: number;
      userNs: number;
      systemNs: number;
      topProcesses: { cpuNs: number; userNs: number; systemNs: number }[];
    };
    t.is(cpu.userNs + cpu.systemNs, cpu.totalNs);
    for (const p of cpu.topProcesses) t.is(p.userNs + p.systemNs, p.cpuNs, JSON.stringify(p));
  },
);
