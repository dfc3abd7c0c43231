// What a traced program can make the capture do (README: "What a traced
// program can and cannot make the capture do"), tried for real: a traced
// user that plants files for the C library scan, maps garbage under C
// library names, and a sudo user whose output path leads somewhere else.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { readCapture } from '../../formats/reader.ts';
import type { DnsEvent, OpenEvent } from '../../formats/types.ts';
import {
  CAPTURE_BIN,
  captureSync,
  cc,
  execWithArgv,
  ROOT,
  realCaptureTest,
  sameProcess,
  TEST_ENV,
  tempDir,
} from '../helpers/real-capture.ts';

const SUDO_NOBODY = { ...TEST_ENV, SUDO_UID: '65534', SUDO_GID: '65534', SUDO_USER: 'nobody' };

/** The C library this test process runs on (a real ELF file with getaddrinfo). */
function ownLibc(): string {
  const line = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .find((l) => /\/libc\.so\.6$/.test(l));
  if (!line) throw new Error('no libc.so.6 in /proc/self/maps');
  return line.slice(line.indexOf('/'));
}

/** A directory tree readable by everyone, the fixture built in it, and a directory of the traced user's. */
function setUp(t: ExecutionContext): { dir: string; bin: string; userDir: string } {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  const bin = join(dir, 'hostile-maps');
  cc(t, join(ROOT, 'test/fixtures/hostile-maps.c'), bin);
  const userDir = join(dir, 'user');
  mkdirSync(userDir);
  chownSync(userDir, 65534, 65534);
  return { dir, bin, userDir };
}

const hasStrace = spawnSync('strace', ['-V']).status === 0;

realCaptureTest(
  'a deleted libc mapping whose name the traced user re-creates as a FIFO or a symlink: no block, no open, no record lost',
  (t) => {
    const { bin, userDir } = setUp(t);
    const plantDir = join(userDir, 'plant');
    mkdirSync(plantDir);
    chownSync(plantDir, 65534, 65534);
    const file = join(userDir, 'run.raw');
    const log = join(userDir, 'strace.log');
    const opens = 20_000;
    // A 1 MiB ring buffer holds 4096 records: a drain loop held up for the command's lifetime loses most of the 40,000.
    const capture = [
      CAPTURE_BIN,
      '-o',
      file,
      '--buffer-mb',
      '1',
      '--',
      bin,
      'plant',
      plantDir,
      ownLibc(),
      '/dev/null',
      String(opens),
    ];
    const argv = hasStrace
      ? ['strace', '-f', '-qq', '-e', 'trace=open,openat,openat2', '-e', 'signal=none', '-o', log, ...capture]
      : capture;
    if (!hasStrace) t.log('strace is not installed: what the capture opens is not checked');
    const r = spawnSync(argv[0], argv.slice(1), { env: SUDO_NOBODY, encoding: 'utf8', timeout: 90_000 });
    t.falsy(r.error, 'the capture ended by itself');
    t.is(r.status, 0, r.stderr);
    t.is(r.stdout.trim(), String(opens));
    const c = readCapture(file);
    const exec = execWithArgv(t, c, [bin, 'plant', plantDir, ownLibc(), '/dev/null', String(opens)]);
    t.is(exec.uid, 65534, 'the planting program ran as the unprivileged user');
    const marker = c.events.filter(
      (e): e is OpenEvent =>
        e.kind === 'open' && sameProcess(e.process, exec.process) && e.path.bytes.toString() === '/dev/null',
    );
    t.is(marker.length, opens, 'every open recorded');
    t.is(c.footer?.lost, 0n);
    t.false(c.footer?.signalled);
    if (hasStrace) {
      const lines = readFileSync(log, 'utf8').split('\n');
      t.true(
        lines.some((l) => /\/proc\/\d+\/maps"/.test(l)),
        'the scan ran (else the checks below prove nothing)',
      );
      t.deepEqual(
        lines.filter((l) => l.includes('(deleted)') || l.includes('/etc/shadow')),
        [],
        'nothing planted was opened',
      );
    }
  },
);

realCaptureTest('libbpf messages that traced processes cause are a few lines and a count, and none under -q', (t) => {
  const { dir, bin, userDir } = setUp(t);
  // root-owned files with C library names that are not ELF files (like a linker script named libc.so): each fails the attach
  const junk = join(dir, 'junk');
  mkdirSync(junk);
  chmodSync(junk, 0o755);
  const files = Array.from({ length: 12 }, (_, i) => join(junk, `libc.so.${i + 1}`));
  for (const f of files) writeFileSync(f, randomBytes(5000), { mode: 0o644 });
  const loud = captureSync([bin, 'map', ...files], { env: SUDO_NOBODY, file: join(userDir, 'loud.raw') });
  t.is(loud.status, 0, loud.stderr);
  const lines = loud.stderr.split('\n').filter(Boolean);
  const shown = lines.filter((l) => l.startsWith('ptrace: libbpf:'));
  t.true(shown.length >= 1 && shown.length <= 5, loud.stderr);
  t.true(
    lines.some((l) => /^ptrace: \d+ more libbpf messages about traced processes' C libraries not shown$/.test(l)),
    loud.stderr,
  );
  t.true(lines.length <= 7, loud.stderr);
  const quiet = captureSync([bin, 'map', ...files], {
    env: SUDO_NOBODY,
    file: join(userDir, 'quiet.raw'),
    flags: ['-q'],
  });
  t.is(quiet.status, 0);
  t.is(quiet.stderr, '', 'silent under -q');
});

realCaptureTest(
  'a C library copy is attached through its mapping when root owns it, not when the traced user does',
  (t) => {
    const { dir, userDir } = setUp(t);
    const lookups = (libDir: string, name: string): DnsEvent[] => {
      const script = `sleep 0.5; getent ahosts localhost >/dev/null`; // the shell's scan attaches before the lookup
      const r = captureSync(['/usr/bin/env', `LD_LIBRARY_PATH=${libDir}`, '/bin/sh', '-c', script], {
        env: SUDO_NOBODY,
        file: join(userDir, name),
      });
      t.is(r.status, 0, r.stderr);
      return r.capture.events.filter((e): e is DnsEvent => e.kind === 'dns');
    };
    const rootLib = join(dir, 'rootlib');
    mkdirSync(rootLib);
    chmodSync(rootLib, 0o755);
    copyFileSync(ownLibc(), join(rootLib, 'libc.so.6'));
    t.true(
      lookups(rootLib, 'root.raw').some((e) => e.name.bytes.toString() === 'localhost'),
      'recorded through the root-owned copy',
    );
    const userLib = join(userDir, 'lib');
    mkdirSync(userLib);
    const copy = join(userLib, 'libc.so.6');
    copyFileSync(ownLibc(), copy);
    chownSync(copy, 65534, 65534);
    chownSync(userLib, 65534, 65534);
    t.deepEqual(lookups(userLib, 'user.raw'), [], 'a file the traced user can rewrite is never parsed or probed');
  },
);

realCaptureTest(
  'under sudo the output is made as the invoking user: a symlink into a root-only directory creates and replaces nothing there',
  (t) => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const protectedDir = join(dir, 'protected');
    mkdirSync(protectedDir, { mode: 0o700 });
    writeFileSync(join(protectedDir, 'victim'), 'keep');
    const userDir = join(dir, 'user');
    mkdirSync(userDir);
    chownSync(userDir, 65534, 65534);
    symlinkSync(protectedDir, join(userDir, 'link'));
    const run = (args: string[], env = SUDO_NOBODY) =>
      spawnSync(CAPTURE_BIN, [...args, '--', '/bin/true'], { env, encoding: 'utf8' });

    const created = run(['-o', join(userDir, 'link/run.raw')]);
    t.not(created.status, 0);
    t.regex(
      created.stderr,
      /^ptrace: cannot write .*link\/run\.raw: Permission denied \(under sudo the output is created as the user who ran sudo\)\n$/,
    );
    t.false(existsSync(join(protectedDir, 'run.raw')));
    const replaced = run(['-f', '-o', join(userDir, 'link/victim')]);
    t.not(replaced.status, 0);
    t.is(readFileSync(join(protectedDir, 'victim'), 'utf8'), 'keep');

    const bad = run(['-o', join(userDir, 'x.raw')], { ...SUDO_NOBODY, SUDO_UID: '-1' });
    t.is(bad.status, 1);
    t.regex(bad.stderr, /^ptrace: SUDO_UID and SUDO_GID must be user and group ids \(numbers\)[^\n]*\n$/);
    t.false(existsSync(join(userDir, 'x.raw')), 'refused before creating anything');
  },
);
