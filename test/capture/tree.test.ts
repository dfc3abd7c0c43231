// A shell script with a known process tree, traced for real: every process,
// parent link, argv, exit code, signal and failed exec is asserted.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type {
  Capture,
  CaptureEvent,
  ExecEvent,
  ExecFailedEvent,
  ExitEvent,
  ForkEvent,
  ProcessKey,
} from '../../formats/types.ts';
import {
  argvText,
  captureSync,
  execs,
  execWithArgv,
  keyOf,
  realCaptureTest,
  sameProcess,
  tempDir,
} from '../helpers/real-capture.ts';

const SCRIPT = `
sh -c 'exit 3' child-exit3 &
sh -c 'kill -KILL $$' child-killed &
/nonexistent/ptrace-missing-binary arg1 &
sh -c 'sleep 0.3 & exit 0' double-fork &
setsid -f sh -c 'sleep 0.2; exit 4' setsid-child
wait
exit 0
`;

function forkOf(capture: Capture, child: ProcessKey): ForkEvent | undefined {
  return capture.events.find((e): e is ForkEvent => e.kind === 'fork' && sameProcess(e.child, child));
}
function exitOf(capture: Capture, p: ProcessKey): ExitEvent | undefined {
  return capture.events.find((e): e is ExitEvent => e.kind === 'exit' && sameProcess(e.process, p));
}
function parentOf(t: ExecutionContext, capture: Capture, p: ProcessKey): ProcessKey {
  const fork = forkOf(capture, p);
  if (!fork) t.fail(`no fork record for ${keyOf(p)}`);
  return fork!.process;
}

realCaptureTest('known tree: processes, parents, argv, exit codes, signal, failed exec', (t) => {
  const dir = tempDir();
  const script = join(dir, 'tree.sh');
  writeFileSync(script, SCRIPT);
  const { status, capture } = captureSync(['sh', script], { flags: ['--wait-all'] });
  t.is(status, 0);
  t.truthy(capture.footer, 'file ends with a footer');
  t.deepEqual(capture.warnings, []);

  const root = execWithArgv(t, capture, ['sh', script]);
  t.is(root.process.pid, capture.header.rootPid);
  t.is(forkOf(capture, root.process), undefined, 'the root was forked by the capture tool, outside the tree');

  const exit3 = execWithArgv(t, capture, ['sh', '-c', 'exit 3', 'child-exit3']);
  const killed = execWithArgv(t, capture, ['sh', '-c', 'kill -KILL $$', 'child-killed']);
  const doubleFork = execWithArgv(t, capture, ['sh', '-c', 'sleep 0.3 & exit 0', 'double-fork']);
  const setsid = execWithArgv(t, capture, ['setsid', '-f', 'sh', '-c', 'sleep 0.2; exit 4', 'setsid-child']);
  const setsidChild = execWithArgv(t, capture, ['sh', '-c', 'sleep 0.2; exit 4', 'setsid-child']);
  const grandchild = execWithArgv(t, capture, ['sleep', '0.3']);

  for (const child of [exit3, killed, doubleFork, setsid]) {
    t.true(sameProcess(parentOf(t, capture, child.process), root.process), `${argvText(child)} forked by the root`);
  }
  t.true(sameProcess(parentOf(t, capture, grandchild.process), doubleFork.process), 'double-fork grandchild');
  t.true(sameProcess(parentOf(t, capture, setsidChild.process), setsid.process), 'setsid grandchild');

  t.is(exitOf(capture, exit3.process)?.exitCode, 3);
  t.is(exitOf(capture, exit3.process)?.signal, null);
  const killedExit = exitOf(capture, killed.process);
  t.is(killedExit?.signal, 9);
  t.is(killedExit?.signalName, 'SIGKILL');
  t.is(killedExit?.exitCode, null);
  t.is(exitOf(capture, doubleFork.process)?.exitCode, 0);
  t.is(exitOf(capture, grandchild.process)?.exitCode, 0);
  t.is(exitOf(capture, setsidChild.process)?.exitCode, 4);
  t.is(exitOf(capture, root.process)?.exitCode, 0);

  // The missing binary: the shell forks, the child's execve fails with ENOENT, the child exits 127.
  const failed = capture.events.filter((e): e is ExecFailedEvent => e.kind === 'exec_failed');
  t.is(failed.length, 1, 'exactly one failed exec');
  t.is(failed[0].errno, 2);
  t.is(failed[0].errnoName, 'ENOENT');
  t.is(failed[0].filename.bytes.toString(), '/nonexistent/ptrace-missing-binary');
  t.true(sameProcess(parentOf(t, capture, failed[0].process), root.process));
  t.is(exitOf(capture, failed[0].process)?.exitCode, 127);
  t.false(
    execs(capture).some((e) => sameProcess(e.process, failed[0].process)),
    'no successful exec in that child',
  );

  // Every process in the file belongs to the tree: the root or forked by a traced process.
  const traced = new Set([keyOf(root.process)]);
  for (const e of capture.events) {
    if (e.kind === 'fork') {
      t.true(traced.has(keyOf(e.process)), `fork by traced process ${keyOf(e.process)}`);
      traced.add(keyOf(e.child));
    }
  }
  const strangers = capture.events.filter(
    (e: CaptureEvent) => e.kind !== 'loss' && e.kind !== 'cgroup' && !traced.has(keyOf(e.process)),
  );
  t.deepEqual(strangers, [], 'no records from outside the traced tree');
  t.is(capture.footer?.processes, traced.size);
  t.is(capture.footer?.stillRunning, 0, '--wait-all waited for the daemons');
  t.is(capture.events.filter((e) => e.kind === 'exit').length, traced.size, 'one exit per process');
});

realCaptureTest('exec identity: uid/gid, comm, exe and cwd of a real exec', (t) => {
  const dir = tempDir();
  const { capture } = captureSync(['/bin/sh', '-c', 'exec /bin/true one two'], { cwd: dir });
  const sh = execWithArgv(t, capture, ['/bin/sh', '-c', 'exec /bin/true one two']);
  const trueExec: ExecEvent = execWithArgv(t, capture, ['/bin/true', 'one', 'two']);
  t.true(sameProcess(sh.process, trueExec.process), 'exec keeps the process identity');
  t.is(trueExec.filename.bytes.toString(), '/bin/true');
  t.regex(trueExec.exe.bytes.toString(), /^\/(usr\/)?bin\/true$/);
  t.is(trueExec.cwd.bytes.toString(), dir);
  t.is(trueExec.comm, 'true');
  t.is(trueExec.uid, 0);
  t.is(trueExec.euid, 0);
  t.is(trueExec.nsLevel, 0);
  t.is(trueExec.nsPid, trueExec.process.pid);
  t.is(trueExec.argc, 3);
  t.false(trueExec.argvTruncated);
});

realCaptureTest('a #! script: path as given, interpreter, and the executable actually loaded', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'hello.sh'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const { status, capture } = captureSync(['./hello.sh', 'arg'], { cwd: dir });
  t.is(status, 0);
  const exec = execWithArgv(t, capture, ['/bin/sh', './hello.sh', 'arg']);
  t.is(exec.filename.bytes.toString(), './hello.sh');
  t.is(exec.interp?.bytes.toString(), '/bin/sh');
  t.regex(exec.exe.bytes.toString(), /^\/(usr\/)?bin\/(da|ba)?sh$/);
});
