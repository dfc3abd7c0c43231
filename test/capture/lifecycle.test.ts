// Threads, exec storms, a killed capture, exit codes, signal forwarding,
// running as the sudo user, and the capture tool's own errors, all for real.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../../formats/reader.ts';
import type { ExecFailedEvent, ExitEvent, LossEvent, RunningEvent, ThreadEvent } from '../../formats/types.ts';
import {
  CAPTURE_BIN,
  CLI,
  captureAsync,
  captureSync,
  cc,
  execs,
  execWithArgv,
  ROOT,
  realCaptureTest,
  sameProcess,
  TEST_ENV,
  tempDir,
} from '../helpers/real-capture.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the capture has flushed at least `n` records to disk (it writes as it drains). */
async function waitForRecords(file: string, n: number): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 50) {
    if (existsSync(file) && statSync(file).size > 1024 + n * 256) return;
    await sleep(50);
  }
  throw new Error(`${file} did not reach ${n} records in 30 s`);
}

realCaptureTest('threads are not processes; exec from a non-leader thread belongs to the process', (t) => {
  const dir = tempDir();
  const bin = join(dir, 'threads');
  cc(t, join(ROOT, 'test/fixtures/threads.c'), bin, ['-pthread']);
  const { status, capture } = captureSync([bin]);
  t.is(status, 0, 'the exec of /bin/true replaced the program, which then exited 0');
  const first = execWithArgv(t, capture, [bin]);
  const second = execWithArgv(t, capture, ['/bin/true', 'exec-from-thread']);
  t.true(sameProcess(first.process, second.process), 'same process identity after exec from a thread');
  t.not(second.oldTid, second.process.pid, 'the exec came from a non-leader thread');
  const threads = capture.events.filter((e): e is ThreadEvent => e.kind === 'thread');
  t.is(threads.length, 3);
  t.true(
    threads.some((th) => th.newTid === second.oldTid),
    'the exec-ing thread was one of those created',
  );
  t.is(capture.events.filter((e) => e.kind === 'fork').length, 0, 'threads produce no fork records');
  t.is(capture.footer?.processes, 1);
  t.is(capture.events.filter((e) => e.kind === 'exit').length, 1, 'one exit for the thread group');
});

realCaptureTest('5000 execs in a tight loop: all recorded, or every loss counted', (t) => {
  const { status, capture } = captureSync(['sh', '-c', 'i=0; while [ $i -lt 5000 ]; do /bin/true; i=$((i+1)); done']);
  t.is(status, 0);
  const trueExecs = execs(capture).filter((e) => e.filename.bytes.toString() === '/bin/true').length;
  const losses = capture.events.filter((e): e is LossEvent => e.kind === 'loss');
  const lost = capture.footer!.lost;
  const latest = new Map<number, bigint>();
  for (const l of losses) latest.set(l.category, l.count);
  t.is(
    lost,
    [...latest.values()].reduce((sum, n) => sum + n, 0n),
    'footer total = latest cumulative count per category',
  );
  if (lost === 0n) {
    t.is(trueExecs, 5000, 'every exec recorded');
    t.is(capture.events.filter((e) => e.kind === 'exit').length, 5001, 'every exit recorded');
  } else {
    let lostExec = 0n;
    for (const l of losses) if (l.categoryName === 'exec' && l.count > lostExec) lostExec = l.count;
    t.true(trueExecs + Number(lostExec) >= 5000, `${trueExecs} execs + ${lostExec} lost`);
  }
});

realCaptureTest(
  'capture SIGKILLed mid-run: every complete record is recovered and info reports truncation',
  async (t) => {
    const { child, file, done } = captureAsync(['sh', '-c', 'while :; do /bin/true; sleep 0.01; done']);
    await waitForRecords(file, 200);
    process.kill(-child.pid!, 'SIGKILL'); // the capture and the traced loop (same process group)
    await done;
    const capture = readCapture(file);
    t.is(capture.footer, null);
    t.true(
      capture.warnings.some((w) => /footer/.test(w.message)),
      JSON.stringify(capture.warnings),
    );
    t.true(execs(capture).length >= 5, `recovered ${execs(capture).length} execs`);
    t.is(capture.completeRecords, Math.floor((statSync(file).size - capture.header.headerSize) / 256));
    const info = spawnSync(process.execPath, [CLI, 'info', file, '--json'], { encoding: 'utf8' });
    t.is(info.status, 0, info.stderr);
    const json = JSON.parse(info.stdout);
    t.is(json.end.clean, false);
    t.is(json.end.state, 'truncated');
    t.is(json.end.completeRecords, capture.completeRecords);
    t.is(json.execs, execs(capture).length);
  },
);

realCaptureTest('exit code and signal propagate; a missing command is one failed exec and exits 127', (t) => {
  t.is(captureSync(['sh', '-c', 'exit 42']).status, 42);
  t.is(captureSync(['sh', '-c', 'kill -TERM $$']).status, 143);
  const missing = captureSync(['ptrace-no-such-command-xyz']);
  t.is(missing.status, 127);
  t.regex(missing.stderr, /ptrace-no-such-command-xyz: command not found/);
  const failed = missing.capture.events.filter((e): e is ExecFailedEvent => e.kind === 'exec_failed');
  // the PATH search itself makes no failed exec; the command's failure is recorded once, at the first PATH entry
  t.deepEqual(
    failed.map((f) => f.filename.bytes.toString()),
    ['/usr/bin/ptrace-no-such-command-xyz'],
  );
  t.true(failed.every((f) => f.errnoName === 'ENOENT'));
  const exit = missing.capture.events.find((e): e is ExitEvent => e.kind === 'exit');
  t.is(exit?.exitCode, 127);
});

for (const viaCli of [false, true]) {
  realCaptureTest(
    `SIGTERM to ${viaCli ? 'ptrace capture' : 'the capture tool'} is forwarded and the file is complete`,
    async (t) => {
      const { child, file, done } = captureAsync(['sleep', '30'], { viaCli });
      await waitForRecords(file, 3);
      child.kill('SIGTERM');
      const { status } = await done;
      t.is(status, 143);
      const capture = readCapture(file);
      t.truthy(capture.footer, 'footer written');
      t.true(capture.footer!.signalled);
      const exit = capture.events.find((e): e is ExitEvent => e.kind === 'exit');
      t.is(exit?.signalName, 'SIGTERM');
    },
  );
}

realCaptureTest('daemons still running when the root exits are recorded as running, without waiting', async (t) => {
  const started = Date.now();
  // the daemon must not hold the test's stdout pipe open, or the test itself would wait for it
  const { status, capture } = captureSync(['sh', '-c', 'sleep 5 >/dev/null 2>&1 & sleep 0.3; exit 0']);
  t.is(status, 0);
  t.true(Date.now() - started < 4000, 'did not wait for the 5 s daemon');
  const sleeper = execWithArgv(t, capture, ['sleep', '5']);
  const running = capture.events.filter((e): e is RunningEvent => e.kind === 'running');
  t.is(running.length, 1);
  t.true(sameProcess(running[0].process, sleeper.process));
  t.is(capture.footer?.stillRunning, 1);
  spawnSync('pkill', ['-f', '^sleep 5$']);
});

realCaptureTest('under sudo the command runs as SUDO_UID/SUDO_GID and the file belongs to that user, 0600', (t) => {
  const dir = tempDir();
  chownSync(dir, 65534, 65534); // the output is created as the sudo user: in a directory of theirs
  const env = { ...TEST_ENV, SUDO_UID: '65534', SUDO_GID: '65534', SUDO_USER: 'nobody' };
  const { status, file, capture } = captureSync(['/bin/sh', '-c', 'exec /bin/true as-sudo-user'], {
    env,
    cwd: dir,
    file: join(dir, 'run.raw'),
  });
  t.is(status, 0);
  const exec = execWithArgv(t, capture, ['/bin/true', 'as-sudo-user']);
  t.is(exec.uid, 65534);
  t.is(exec.gid, 65534);
  const st = statSync(file);
  t.is(st.uid, 65534);
  t.is(st.mode & 0o777, 0o600);
  const kept = captureSync(['/bin/true', 'kept-root'], {
    env,
    flags: ['--keep-root'],
    cwd: dir,
    file: join(dir, 'kept.raw'),
  });
  t.is(execWithArgv(t, kept.capture, ['/bin/true', 'kept-root']).uid, 0);
  t.is(statSync(kept.file).uid, 0, "--keep-root: the file stays root's, like the command's own files");
});

realCaptureTest('capture errors are one line with a non-zero exit', (t) => {
  const dir = tempDir();
  const existing = join(dir, 'exists.raw');
  writeFileSync(existing, 'keep me');
  const run = (args: string[], extra: { uid?: number } = {}) =>
    spawnSync(CAPTURE_BIN, args, { encoding: 'utf8', env: TEST_ENV, ...extra });

  const exists = run(['-o', existing, '--', 'true']);
  t.is(exists.status, 1);
  t.is(exists.stderr, `ptrace: output exists: ${existing} (use --force to overwrite)\n`);
  t.is(spawnSync('cat', [existing], { encoding: 'utf8' }).stdout, 'keep me', 'nothing overwritten');

  const unwritable = run(['-o', '/nonexistent-dir/run.raw', '--', 'true']);
  t.is(unwritable.status, 1);
  t.is(unwritable.stderr, 'ptrace: cannot write /nonexistent-dir/run.raw: No such file or directory\n');

  const noCommand = run(['-o', join(dir, 'x.raw')]);
  t.is(noCommand.status, 2);
  t.regex(noCommand.stderr, /^ptrace: missing `--` before the command: .*\n$/);
  t.false(existsSync(join(dir, 'x.raw')));

  const notRoot = run(['-o', join(dir, 'y.raw'), '--', 'true'], { uid: 65534 });
  t.is(notRoot.status, 1);
  t.regex(
    notRoot.stderr,
    /^ptrace: loading BPF needs root or CAP_BPF and CAP_PERFMON \(euid is 65534\): run it with sudo\n$/,
  );

  const forced = run(['-o', existing, '--force', '-q', '--', 'true']);
  t.is(forced.status, 0);
  t.is(forced.stderr, '');
  t.is(readCapture(existing).footer?.rootStatus, 0);
});

realCaptureTest('a process in its own pid namespace records its namespace pid', (t) => {
  const { status, capture } = captureSync([
    'unshare',
    '--pid',
    '--fork',
    '/bin/sh',
    '-c',
    'exec /bin/true in-namespace',
  ]);
  t.is(status, 0);
  const exec = execWithArgv(t, capture, ['/bin/true', 'in-namespace']);
  t.is(exec.nsLevel, 1);
  t.is(exec.nsPid, 1, 'first process of the new namespace');
  t.not(exec.process.pid, 1);
});

realCaptureTest('no kernel BTF: one-line error, nothing written', (t) => {
  const dir = tempDir();
  const out = join(dir, 'run.raw');
  // A private mount namespace where /sys/kernel/btf is an empty tmpfs: the machine itself is untouched.
  const r = spawnSync(
    'unshare',
    ['--mount', 'sh', '-c', `mount -t tmpfs none /sys/kernel/btf && exec "$0" -o "$1" -- true`, CAPTURE_BIN, out],
    {
      encoding: 'utf8',
      env: TEST_ENV,
    },
  );
  t.is(r.status, 1);
  t.regex(
    r.stderr,
    /^ptrace: no kernel BTF at \/sys\/kernel\/btf\/vmlinux \(No such file or directory\): the kernel needs CONFIG_DEBUG_INFO_BTF=y\n$/,
  );
  t.false(existsSync(out));
});

realCaptureTest('--wait-all waits for daemons, and a signal ends the wait with a complete file', async (t) => {
  const { child, file, done } = captureAsync(['sh', '-c', 'sleep 30 >/dev/null 2>&1 & sleep 0.2; exit 5'], {
    flags: ['--wait-all'],
  });
  await waitForRecords(file, 10);
  await sleep(1000); // the root has exited; the capture keeps waiting for the sleeper
  t.is(child.exitCode, null, 'still waiting for the daemon');
  child.kill('SIGINT');
  const { status } = await done;
  t.is(status, 5, "the root command's exit code");
  const capture = readCapture(file);
  t.truthy(capture.footer);
  t.true(capture.footer!.waitedAll);
  const sleeper = execWithArgv(t, capture, ['sleep', '30']);
  t.true(
    capture.events.some((e) => e.kind === 'running' && sameProcess(e.process, sleeper.process)),
    'the daemon is recorded as running',
  );
  spawnSync('pkill', ['-f', '^sleep 30$']);
});
