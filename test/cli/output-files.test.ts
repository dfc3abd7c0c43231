// Files written from a raw file (db, export, otel --dump-otel): created with
// the raw file's permission bits, and a write that fails (full or read-only
// file system) is one `ptrace:` line with nothing left behind.

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { manyCompilesScenario } from '../../testkit/synth.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin/ptrace.js');
const sample = join(root, 'samples/git-workflow.raw');
const work = mkdtempSync(join(tmpdir(), 'ptrace-outfiles-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));
// Big enough that every output overflows a 64 KiB file system.
const big = join(work, 'big.raw');
writeFileSync(big, manyCompilesScenario(1500).buffer());

/** Every command that writes a file from the raw file, with its output path. */
const writers = (raw: string, out: string): [string, string[]][] => [
  ['db', ['db', raw, '-o', `${out}.sqlite`]],
  ['export arrow', ['export', raw, '--format', 'arrow', '-o', `${out}.arrow`]],
  ['export jsonl', ['export', raw, '--format', 'jsonl', '-o', `${out}.jsonl`]],
  ['export perfetto', ['export', raw, '--format', 'perfetto', '-o', `${out}.pftrace`]],
  ['otel --dump-otel', ['otel', raw, '-q', '--dump-otel', `${out}.json`]],
  ['report', ['report', raw, '-o', `${out}.html`]],
];

/** `ptrace ARGV` under `umask`. */
function ptrace(argv: string[], umask = '022'): { status: number | null; stderr: string } {
  const r = spawnSync('sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, bin, ...argv], {
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr };
}

for (const [rawMode, umask, expected] of [
  [0o600, '022', 0o600],
  [0o640, '022', 0o640],
  [0o644, '077', 0o600],
  [0o666, '002', 0o664],
] as const) {
  test(`a ${rawMode.toString(8)} raw file under umask ${umask}: outputs are ${expected.toString(8)}`, (t) => {
    const dir = join(work, `mode-${rawMode.toString(8)}-${umask}`);
    mkdirSync(dir);
    const raw = join(dir, 'run.raw');
    copyFileSync(sample, raw);
    chmodSync(raw, rawMode);
    for (const [name, argv] of writers(raw, join(dir, 'out'))) {
      const r = ptrace(argv, umask);
      t.is(r.status, 0, `${name}: ${r.stderr}`);
      const out = argv[argv.length - 1]!;
      t.is((statSync(out).mode & 0o777).toString(8), expected.toString(8), name);
    }
  });
}

/** A small tmpfs at `dir` for `body`, unmounted after. */
function withTmpfs(dir: string, size: string, body: () => void): void {
  mkdirSync(dir, { recursive: true });
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'none', dir], { encoding: 'utf8' });
  if (m.status !== 0) throw new Error(`mount: ${m.stderr}`);
  try {
    body();
  } finally {
    spawnSync('umount', [dir]);
  }
}

const rootOnly = process.getuid?.() === 0 ? test.serial : test.skip;

rootOnly('a full file system: one ptrace: line, exit 2, no file left behind', (t) => {
  const dir = join(work, 'full');
  withTmpfs(dir, '64k', () => {
    for (const [name, argv] of writers(big, join(dir, 'out'))) {
      const r = ptrace(argv);
      t.is(r.status, 2, `${name}: ${r.stderr}`);
      t.regex(r.stderr, /^ptrace: cannot write \S+: no space left on device \((ENOSPC|SQLITE_FULL)\)\n$/, name);
      t.deepEqual(readdirSync(dir), [], `${name}: no temporary or half-written file`);
    }
  });
});

rootOnly('a read-only file system: one ptrace: line, exit 2, nothing written', (t) => {
  const dir = join(work, 'ro');
  withTmpfs(dir, '1m', () => {
    spawnSync('mount', ['-o', 'remount,ro', dir]);
    for (const [name, argv] of writers(sample, join(dir, 'out'))) {
      const r = ptrace(argv);
      t.is(r.status, 2, `${name}: ${r.stderr}`);
      t.regex(r.stderr, /^ptrace: cannot write \S+: read-only file system \(EROFS\)\n$/, name);
      t.deepEqual(readdirSync(dir), [], name);
    }
  });
});

rootOnly('export to a full file system through stdout: one ptrace: line', (t) => {
  const dir = join(work, 'full-stdout');
  withTmpfs(dir, '16k', () => {
    const r = spawnSync(
      'sh',
      ['-c', `exec "$0" "$@" > ${dir}/out.jsonl`, process.execPath, bin, 'export', big, '--format', 'jsonl'],
      { encoding: 'utf8' },
    );
    t.is(r.status, 2, r.stderr);
    t.regex(r.stderr, /^ptrace: cannot write standard output: .*ENOSPC.*\n$/);
  });
});
