// `capture --redact` and `capture -o x.raw.zst|.gz`: the records go through a
// pipe to the sink (bin/capture-sink.ts), into an unnamed file that gets its
// name only when complete. No secret and no temporary file ever reaches the
// output's directory, even when the capture is killed.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { zstdDecompressSync } from 'node:zlib';
import { ptraceSync } from '../helpers/cli.ts';
import { CAPTURE_BIN, CLI, captureSync, ROOT, realCaptureTest, TEST_ENV, tempDir } from '../helpers/real-capture.ts';

/** The sink is a Node process: the tool finds node through PTRACE_NODE (TEST_ENV's PATH has none). */
const ENV = { ...TEST_ENV, PTRACE_NODE: process.execPath };
const SECRETS = {
  GH_PAT: 'ghp_Fake0123456789abcdefghijklmnopqrstuv',
  MYSQL_PWD: 'mysqlEnvPw77',
};

realCaptureTest('capture --redact: only the redacted file is written; it says so and is intact', (t) => {
  const dir = tempDir('ptrace-capture-redact-');
  const { status, stderr, file } = captureSync(['/bin/true', '--token=tokenValue9', '--password', 'hunter2hunter'], {
    flags: ['--redact'],
    cwd: dir,
    env: { ...ENV, ...SECRETS },
    file: join(dir, 'run.raw'),
  });
  t.is(status, 0, stderr);
  t.deepEqual(readdirSync(dir), ['run.raw']);
  const bytes = readFileSync(file);
  for (const s of ['tokenValue9', 'hunter2hunter', ...Object.values(SECRETS)]) t.false(bytes.includes(s), s);
  t.regex(stderr, /^ptrace: \d+ secrets replaced \(.*name-token/m);
  t.regex(stderr, /^ptrace: \d+ processes, \d+ records, 0 lost, .* redacted written to .*run\.raw \(.* captured\)$/m);
  const info = ptraceSync(['info', file]).stdout;
  t.regex(info, /^integrity:\s+intact/m);
  t.regex(info, /^redacted:\s+rule set \d+ \(while capturing\): \d+ replaced/m);
});

realCaptureTest('capture -o x.raw.zst: compressed after the sink, the summary gives both sizes', (t) => {
  const dir = tempDir('ptrace-capture-zst-');
  const { status, stderr, file } = captureSync(['/bin/sh', '-c', 'for i in 1 2 3 4 5; do /bin/true; done'], {
    cwd: dir,
    env: ENV,
    file: join(dir, 'run.raw.zst'),
  });
  t.is(status, 0, stderr);
  t.deepEqual(readdirSync(dir), ['run.raw.zst']);
  const m = /written to .*run\.raw\.zst \(([\d.]+) KiB captured\)$/m.exec(stderr);
  t.truthy(m, stderr);
  const raw = zstdDecompressSync(readFileSync(file));
  t.is((raw.length / 1024).toFixed(1), m![1], 'the size captured is the decompressed size');
  t.regex(ptraceSync(['info', file]).stdout, /^integrity:\s+intact/m);
});

realCaptureTest('capture --redact killed with SIGKILL: no file is left, temporary or not', async (t) => {
  const dir = tempDir('ptrace-capture-killed-');
  const child = spawn(CAPTURE_BIN, ['--redact', '-o', join(dir, 'run.raw.zst'), '--', '/bin/sleep', '30'], {
    env: { ...ENV, ...SECRETS },
    detached: true,
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await sleep(1500); // capturing: the command runs, the sink reads
  t.deepEqual(readdirSync(dir), [], 'nothing has a name while capturing');
  process.kill(-child.pid!, 'SIGKILL'); // the tool and the command; the sink has its own session
  await exited;
  await sleep(1000); // the sink sees the end of its pipe and exits
  t.deepEqual(readdirSync(dir), []);
  t.deepEqual(processesNaming(dir), [], 'the sink is gone too');
});

/** Pids of the processes whose command line mentions `text`. */
function processesNaming(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

realCaptureTest(
  'with --redact the command is still the child of the pid the caller started, with its fd 3',
  async (t) => {
    const dir = tempDir('ptrace-capture-redact-');
    const launcher = join(ROOT, 'bin/ptrace');
    const child = spawn(
      launcher,
      [
        'capture',
        '-q',
        '--redact',
        '-o',
        join(dir, 'run.raw.zst'),
        '--',
        'sh',
        '-c',
        'cut -d " " -f 4,5 /proc/$$/stat; echo on-fd-3 >&3',
      ],
      { env: ENV, detached: true, stdio: ['ignore', 'pipe', 'inherit', 'pipe'] },
    );
    let out = '';
    let fd3 = '';
    child.stdout!.on('data', (d) => (out += d));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d) => (fd3 += d));
    const status = await new Promise((resolve) => child.on('close', resolve));
    t.is(status, 0);
    t.is(out, `${child.pid} ${child.pid}\n`, 'parent: the pid the caller started; process group: the caller’s');
    t.is(fd3, 'on-fd-3\n');
    t.deepEqual(readdirSync(dir), ['run.raw.zst']);
  },
);

realCaptureTest('under sudo the sink runs as the invoking user and the file is theirs', (t) => {
  const dir = tempDir('ptrace-capture-redact-sudo-');
  chmodSync(dir, 0o1777);
  const file = join(dir, 'run.raw.zst');
  const { status, stderr } = captureSync(['/bin/true', '--token=tokenValue9'], {
    flags: ['--redact'],
    cwd: dir,
    env: { ...ENV, SUDO_UID: '65534', SUDO_GID: '65534', SUDO_USER: 'nobody' },
    file,
  });
  t.is(status, 0, stderr);
  const st = statSync(file);
  t.is(st.uid, 65534);
  t.is(st.mode & 0o777, 0o600);
  t.false(zstdDecompressSync(readFileSync(file)).includes('tokenValue9'));
});

realCaptureTest(
  'ptrace capture --redact: the sink runs the Node that runs ptrace, not a `node` found first on PATH; the command gets the caller environment exactly',
  (t) => {
    const dir = tempDir('ptrace-capture-node-');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const marker = join(dir, 'impostor-ran');
    writeFileSync(join(bin, 'node'), `#!/bin/sh\ntouch ${marker}\nexit 1\n`, { mode: 0o755 });
    const file = join(dir, 'run.raw');
    const env = { PATH: `${bin}:/usr/bin:/bin`, LANG: 'C' };
    const r = spawnSync(process.execPath, [CLI, 'capture', '--redact', '-o', file, '--', '/usr/bin/env'], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    t.is(r.status, 0, r.stderr);
    t.false(existsSync(marker), 'the node on PATH was not run');
    t.deepEqual(
      r.stdout.trim().split('\n').sort(),
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .sort(),
    );
    t.regex(ptraceSync(['info', file]).stdout, /^redacted:\s+rule set \d+ \(while capturing\)/m);
  },
);
