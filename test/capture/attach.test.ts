// Attaching to what already runs, for real: --pid on a shell loop, a tree
// whose leaf forks during the attach window (repeated), a process that exits
// while the capture starts, a pid namespace, SIGINT/SIGTERM to the capture;
// --cgroup on a cgroup made by the test.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionContext } from 'ava';
import { load } from '../../analyze/replay/load.ts';
import { readCapture } from '../../formats/reader.ts';
import type { AttachedEvent, Capture, ExecEvent, ForkEvent } from '../../formats/types.ts';
import { attachAsync, cgroup2Root, ownCgroup, waitAttached, waitStarted } from '../helpers/attach.ts';
import { CAPTURE_BIN, realCaptureTest, sameProcess, TEST_ENV, tempDir, text } from '../helpers/real-capture.ts';

const attachedOf = (c: Capture): AttachedEvent[] => c.events.filter((e): e is AttachedEvent => e.kind === 'attached');
const forksOf = (c: Capture): ForkEvent[] => c.events.filter((e): e is ForkEvent => e.kind === 'fork');
const execsOf = (c: Capture): ExecEvent[] => c.events.filter((e): e is ExecEvent => e.kind === 'exec');

/** A background process in its own process group; `exited` resolves with how it ended. */
function background(argv: string[], opts: { cwd?: string } = {}) {
  const child = spawn(argv[0]!, argv.slice(1), { env: TEST_ENV, detached: true, stdio: 'ignore', cwd: opts.cwd });
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (status, signal) => resolve({ status, signal })),
  );
  return { child, pid: child.pid!, exited };
}

function kill(c: ChildProcess, sig: NodeJS.Signals): void {
  try {
    process.kill(c.pid!, sig);
  } catch {}
}

/** Every process of the capture came in through an attached record or a fork record: none is unexplained. */
function everyProcessExplained(t: ExecutionContext, c: Capture): void {
  const known = new Set<string>();
  for (const a of attachedOf(c)) known.add(`${a.process.pid}@${a.process.start}`);
  for (const f of forksOf(c)) known.add(`${f.child.pid}@${f.child.start}`);
  for (const e of c.events) {
    if (e.kind === 'loss' || e.kind === 'cgroup' || e.kind === 'tcp') continue;
    const k = `${e.process.pid}@${e.process.start}`;
    if (!known.has(k)) t.fail(`${e.kind} record of ${k}, which no attached or fork record announced`);
  }
}

realCaptureTest(
  '--pid on a shell loop: the loop as already running, its children forked live, --duration',
  async (t) => {
    const dir = tempDir();
    const loop = background(['sh', '-c', 'while :; do sleep 0.1; done'], { cwd: dir });
    await sleep(150);
    const exe = readlinkSync(`/proc/${loop.pid}/exe`);
    const cap = attachAsync(['--pid', String(loop.pid), '--duration', '1500ms']);
    const r = await cap.done;
    t.is(r.status, 0, r.stderr);
    t.true(existsSync(`/proc/${loop.pid}`), 'the loop still runs');
    kill(loop.child, 'SIGTERM');
    t.deepEqual(
      await loop.exited,
      { status: null, signal: 'SIGTERM' },
      'the loop ends by the test signal, nothing else',
    );

    const c = readCapture(cap.file);
    t.deepEqual(c.warnings, []);
    t.truthy(c.footer);
    t.true(c.footer!.durationElapsed);
    t.false(c.footer!.interrupted);
    t.true(c.header.options.attach);
    t.deepEqual(c.header.attachPids, [loop.pid]);
    t.is(c.header.rootPid, 0);
    const duration = Number(c.footer!.stop.boottime - c.header.start.boottime) / 1e9;
    t.true(duration >= 1.5 && duration < 3, `stopped after ${duration} s`);

    const me = attachedOf(c).find((a) => a.process.pid === loop.pid);
    t.truthy(me, 'the loop has its attached record');
    t.is(me!.reason, 'running');
    t.deepEqual(me!.argv.map(text), ['sh', '-c', 'while :; do sleep 0.1; done']);
    t.is(text(me!.exe.bytes), exe);
    t.is(text(me!.cwd.bytes), dir);
    t.is(me!.ppid, process.pid);
    t.true(me!.env!.some((v) => text(v) === 'PATH=/usr/bin:/bin'));
    t.true(me!.process.start < c.header.start.boottime, 'its start is its own, before the capture');
    t.false(
      forksOf(c).some((f) => sameProcess(f.child, me!.process)),
      'never presented as a fork seen live',
    );
    const children = forksOf(c).filter((f) => sameProcess(f.process, me!.process));
    t.true(children.length >= 10, `${children.length} children forked by the loop`);
    const sleeps = execsOf(c).filter((e) => children.some((f) => sameProcess(f.child, e.process)));
    t.true(sleeps.length >= 10 && sleeps.every((e) => e.argv.map(text).join(' ') === 'sleep 0.1'));
    t.true(me!.container !== null && me!.container.pidNs !== 0 && me!.container.cgroupId !== 0);
    everyProcessExplained(t, c);

    // replay: one root, the loop, with its attached image and its children
    const { model } = await load(cap.file);
    const roots = model.processes.filter((p) => p.parentId === null);
    t.true(roots.length >= 1);
    const row = model.processes.find((p) => p.pid === loop.pid)!;
    t.is(row.parentId, null);
    t.is(row.attached, 'running');
    t.is(row.execCount, 1, 'its one image: the one it had when attached');
    t.true(model.execs.some((x) => x.processId === row.id && x.attached && x.seq === 0));
    // its children: those it forked while traced, and the one running when the capture attached
    const attachedChildren = attachedOf(c).filter((a) => a.ppid === loop.pid).length;
    t.true(attachedChildren <= 1);
    t.is(model.processes.filter((p) => p.parentId === row.id).length, children.length + attachedChildren);
  },
);

realCaptureTest(
  'a leaf that forks during the attach window: no process lost (repeated)',
  async (t) => {
    const dir = tempDir();
    const pids = join(dir, 'pids');
    // top → middle → leaf; the leaf forks /bin/true as fast as it can and logs each child's pid
    const top = background(['sh', '-c', `sh -c 'while :; do /bin/true & echo $! >> ${pids}; wait; done' & wait`]);
    await sleep(100);
    try {
      for (let run = 0; run < 15; run++) {
        writeFileSync(pids, '');
        const cap = attachAsync([
          '--pid',
          String(top.pid),
          '--duration',
          '200ms',
          '--no-files',
          '--no-net',
          '--no-dns',
        ]);
        const r = await cap.done;
        t.is(r.status, 0, r.stderr);
        const c = readCapture(cap.file);
        t.deepEqual(c.warnings, [], `run ${run}`);
        everyProcessExplained(t, c);
        const seen = new Set<number>();
        for (const a of attachedOf(c)) seen.add(a.process.pid);
        for (const f of forksOf(c)) seen.add(f.child.pid);
        t.true(seen.has(top.pid), `run ${run}: the top process is attached`);
        t.true(seen.size >= 3, `run ${run}: top, middle and leaf`);
        // once one child of the leaf is in the capture, every later one is
        const logged = readFileSync(pids, 'utf8').split('\n').filter(Boolean).map(Number);
        const first = logged.findIndex((p) => seen.has(p));
        t.true(first >= 0, `run ${run}: a child of the leaf was seen`);
        const stop = c.footer!.stop.boottime;
        const exits = new Set(c.events.filter((e) => e.kind === 'exit').map((e) => e.process.pid));
        const missing = logged.slice(first).filter((p) => !seen.has(p));
        // a child forked after the capture stopped is not in it: only those logged before the last one it saw count
        const lastSeen = logged.findLastIndex((p) => seen.has(p));
        const lost = missing.filter((p) => logged.indexOf(p) < lastSeen);
        t.deepEqual(
          lost,
          [],
          `run ${run}: children of the leaf missing from the capture (stop ${stop}, ${exits.size} exits)`,
        );
        // every traced process's parent is in the capture, so the tree has one root: the top process
        const { model } = await load(cap.file);
        const roots = model.processes.filter((p) => p.parentId === null).map((p) => p.pid);
        t.deepEqual(roots, [top.pid], `run ${run}: one root`);
      }
    } finally {
      process.kill(-top.pid, 'SIGKILL');
    }
  },
  { serial: true },
);

realCaptureTest('a process that exits while the capture starts: a clean capture that ends by itself', async (t) => {
  for (const delay of [0, 50, 100, 150, 200]) {
    const short = background(['sleep', '0.15']);
    if (delay) await sleep(delay);
    const started = Date.now();
    const cap = attachAsync(['--pid', String(short.pid)]);
    const r = await cap.done;
    await short.exited;
    if (r.status === 2) {
      t.regex(r.stderr, new RegExp(`--pid ${short.pid}: no such process`), 'gone before the capture looked');
      t.false(existsSync(cap.file), 'no file left');
      continue;
    }
    t.is(r.status, 0, r.stderr);
    t.true(Date.now() - started < 10_000, 'the capture ended when its only process did');
    const c = readCapture(cap.file);
    t.deepEqual(c.warnings, []);
    t.truthy(c.footer);
    t.false(c.footer!.interrupted || c.footer!.durationElapsed);
    const attached = attachedOf(c);
    const exits = c.events.filter((e) => e.kind === 'exit');
    // attached and its exit recorded, or it was already exiting: neither
    t.is(attached.length, exits.length, `delay ${delay}: one exit per attached process`);
    t.is(c.footer!.stillRunning, 0);
  }
});

realCaptureTest('--pid refuses a process that does not exist, and a command', (t) => {
  const r = spawnSync(CAPTURE_BIN, ['-o', join(tempDir(), 'x.raw'), '--pid', '999999999'], { encoding: 'utf8' });
  t.is(r.status, 2);
  t.is(r.stderr, 'ptrace: --pid 999999999: no such process\n');
  const c = spawnSync(CAPTURE_BIN, ['-o', join(tempDir(), 'x.raw'), '--pid', '1', '--', 'true'], { encoding: 'utf8' });
  t.is(c.status, 2);
  t.regex(c.stderr, /^ptrace: --pid traces running processes: no command is run/);
  const d = spawnSync(CAPTURE_BIN, ['-o', join(tempDir(), 'x.raw'), '--duration', '1s', '--', 'true'], {
    encoding: 'utf8',
  });
  t.is(d.status, 2);
  t.regex(d.stderr, /^ptrace: --duration stops a capture of running processes/);
});

realCaptureTest('a new pid namespace (unshare -p -f): its processes and their namespace ids', async (t) => {
  const dir = tempDir();
  const nsFile = join(dir, 'ns');
  const go = join(dir, 'go');
  // waits for the capture, then starts a pid namespace whose first process records its namespaces
  const parent = background([
    'sh',
    '-c',
    `while [ ! -e ${go} ]; do sleep 0.02; done; unshare -p -f sh -c 'for n in pid mnt net uts; do readlink /proc/self/ns/$n; done > ${nsFile}; sleep 0.2'`,
  ]);
  const cap = attachAsync(['--pid', String(parent.pid)]);
  await waitAttached(cap.file);
  writeFileSync(go, '');
  const r = await cap.done;
  t.is(r.status, 0, r.stderr);
  t.deepEqual(await parent.exited, { status: 0, signal: null });
  const c = readCapture(cap.file);
  t.deepEqual(c.warnings, []);
  const inside = execsOf(c).find((e) => e.argv.map(text).join(' ').startsWith('sh -c for n in'));
  t.truthy(inside, 'the namespace shell exec');
  t.is(inside!.nsLevel, 1);
  t.is(inside!.nsPid, 1, 'pid 1 of its namespace');
  const ns = readFileSync(nsFile, 'utf8').trim().split('\n');
  const inode = (s: string) => Number(/\[(\d+)\]/.exec(s)![1]);
  t.deepEqual(
    [inside!.container!.pidNs, inside!.container!.mntNs, inside!.container!.netNs, inside!.container!.utsNs],
    ns.map(inode),
  );
  const outside = execsOf(c).find((e) => e.argv.map(text)[0] === 'unshare')!;
  t.not(outside.container!.pidNs, inside!.container!.pidNs);
  t.is(outside.container!.pidNs, inode(readlinkSync('/proc/self/ns/pid')));
  t.is(outside.container!.netNs, inside!.container!.netNs, 'only the pid namespace is new');
  // replay: the namespace shell's row carries them
  const { model } = await load(cap.file);
  const row = model.processes.find((p) => p.pid === inside!.process.pid)!;
  t.is(row.pidNs, inside!.container!.pidNs);
  t.is(row.cgroupId, inside!.container!.cgroupId);
  t.is(row.cgroup, ownCgroup(), 'the test runs in the same cgroup');
});

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  realCaptureTest(`${sig} to the capture ends it cleanly; the attached process is not disturbed`, async (t) => {
    const dir = tempDir();
    const got = join(dir, 'got');
    const target = background([
      'sh',
      '-c',
      `trap 'echo INT >> ${got}' INT; trap 'echo TERM >> ${got}' TERM; trap 'echo HUP >> ${got}' HUP; while :; do sleep 0.05; done`,
    ]);
    const cap = attachAsync(['--pid', String(target.pid)]);
    await waitAttached(cap.file);
    await sleep(200);
    process.kill(cap.child.pid!, sig);
    const r = await cap.done;
    t.is(r.status, 0, r.stderr);
    await sleep(300);
    t.false(existsSync(got), 'the attached process got no signal');
    t.true(existsSync(`/proc/${target.pid}`), 'and still runs');
    process.kill(-target.pid, 'SIGKILL');
    t.deepEqual(await target.exited, { status: null, signal: 'SIGKILL' });
    const c = readCapture(cap.file);
    t.deepEqual(c.warnings, []);
    t.truthy(c.footer, 'footer written');
    t.true(c.footer!.interrupted);
    t.true(c.footer!.stillRunning >= 1);
    t.true(c.events.some((e) => e.kind === 'running' && e.process.pid === target.pid));
  });
}

realCaptureTest(
  '--cgroup: what is in it, a process moved into it after the start, and its children; not what is outside',
  async (t) => {
    const cg = `${cgroup2Root()}/ptrace-test-${process.pid}-${Date.now()}`;
    mkdirSync(cg);
    const inside = background(['sh', '-c', 'while :; do sleep 0.1; done']);
    const later = background(['sh', '-c', 'while :; do sleep 0.1; done']);
    const outside = background(['sh', '-c', 'while :; do sleep 0.1; done']);
    try {
      writeFileSync(join(cg, 'cgroup.procs'), String(inside.pid));
      const cap = attachAsync(['--cgroup', cg, '--duration', '1500ms']);
      await waitAttached(cap.file);
      writeFileSync(join(cg, 'cgroup.procs'), String(later.pid));
      const r = await cap.done;
      t.is(r.status, 0, r.stderr);
      const c = readCapture(cap.file);
      t.deepEqual(c.warnings, []);
      t.is(c.header.attachCgroup, cg.slice(cgroup2Root().length));
      const a = attachedOf(c);
      const first = a.find((e) => e.process.pid === inside.pid);
      const joined = a.find((e) => e.process.pid === later.pid);
      t.is(first?.reason, 'running');
      t.is(joined?.reason, 'joined');
      t.false(a.some((e) => e.process.pid === outside.pid));
      t.false(c.events.some((e) => 'process' in e && e.process.pid === outside.pid));
      const joinedForks = forksOf(c).filter((f) => sameProcess(f.process, joined!.process));
      t.true(joinedForks.length >= 3, `${joinedForks.length} children of the process that joined`);
      const cgroupId = Number(spawnSync('stat', ['-c', '%i', cg], { encoding: 'utf8' }).stdout.trim());
      t.is(first!.container!.cgroupId, cgroupId);
      t.is(joined!.container!.cgroupId, cgroupId);
      const paths = c.events.filter((e) => e.kind === 'cgroup');
      t.true(
        paths.some(
          (e) => e.kind === 'cgroup' && e.cgroupId === cgroupId && text(e.path.bytes) === c.header.attachCgroup,
        ),
      );
      everyProcessExplained(t, c);
      const { model } = await load(cap.file);
      const row = model.processes.find((p) => p.pid === later.pid)!;
      t.is(row.attached, 'joined');
      t.is(row.cgroup, c.header.attachCgroup);
    } finally {
      for (const p of [inside, later, outside]) {
        try {
          process.kill(-p.pid, 'SIGKILL');
        } catch {}
        await p.exited;
      }
      await sleep(50);
      try {
        rmdirSync(cg);
      } catch {}
    }
  },
);

realCaptureTest('--cgroup stops when the cgroup is removed', async (t) => {
  const cg = `${cgroup2Root()}/ptrace-test-rm-${process.pid}-${Date.now()}`;
  mkdirSync(cg);
  const cap = attachAsync(['--cgroup', cg]);
  await waitStarted(cap.file);
  await sleep(300);
  rmdirSync(cg);
  const r = await cap.done;
  t.is(r.status, 0, r.stderr);
  const c = readCapture(cap.file);
  t.truthy(c.footer);
  t.false(c.footer!.interrupted || c.footer!.durationElapsed);
});
