// .raw.gz and .raw.zst files read exactly as the raw file they hold, through
// every command (recognized by their magic bytes, whatever their name).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import test from 'ava';
import Database from 'better-sqlite3';
import { ptraceSync } from '../helpers/cli.ts';
import { ROOT } from '../helpers/real-capture.ts';

const dir = mkdtempSync(join(tmpdir(), 'ptrace-compressed-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const raw = readFileSync(join(ROOT, 'samples/git-workflow.raw'));
const files = {
  raw: 'run.raw',
  gzip: 'run.raw.gz',
  zstd: 'run.raw.zst',
  'zstd named .raw': 'zstd-inside.raw',
} as const;
writeFileSync(join(dir, files.raw), raw);
writeFileSync(join(dir, files.gzip), gzipSync(raw));
writeFileSync(join(dir, files.zstd), zstdCompressSync(raw));
writeFileSync(join(dir, files['zstd named .raw']), zstdCompressSync(raw));

/** A command's output with the input's name replaced, so that outputs of the same capture compare equal. */
function run(args: (file: string) => string[], file: string): string {
  const r = ptraceSync(args(file), { cwd: dir });
  return `${r.code}\n${r.stdout.replaceAll(file, 'FILE')}\n${r.stderr.replaceAll(file, 'FILE')}`;
}

const COMMANDS: Record<string, (file: string) => string[]> = {
  info: (f) => ['info', '--json', f],
  tree: (f) => ['tree', '--env', '--files', '--net', '--resources', f],
  stats: (f) => ['stats', '--json', f],
  export: (f) => ['export', '--format', 'jsonl', f],
  otel: (f) => ['otel', '--dump-otel', '-', f],
};

for (const [name, args] of Object.entries(COMMANDS)) {
  test(`${name}: gzip and zstd files give the raw file's output`, (t) => {
    const expected = run(args, files.raw);
    t.true(expected.startsWith('0\n'), expected.slice(0, 300));
    for (const kind of ['gzip', 'zstd', 'zstd named .raw'] as const) t.is(run(args, files[kind]), expected, kind);
  });
}

test('db: the same rows from a compressed file', (t) => {
  const rows = (file: string, out: string): unknown[] => {
    const r = ptraceSync(['db', file, '-o', out], { cwd: dir });
    t.is(r.code, 0, r.stderr);
    const db = new Database(join(dir, out), { readonly: true });
    try {
      return db.prepare('SELECT * FROM processes ORDER BY 1').all();
    } finally {
      db.close();
    }
  };
  const expected = rows(files.raw, 'raw.db');
  t.true(expected.length > 5);
  t.deepEqual(rows(files.zstd, 'zstd.db'), expected);
  t.deepEqual(rows(files.gzip, 'gzip.db'), expected);
});

test('a damaged or cut compressed file is one line on stderr', (t) => {
  const gz = gzipSync(raw);
  writeFileSync(join(dir, 'cut.raw.gz'), gz.subarray(0, gz.length >> 1));
  const r = ptraceSync(['tree', 'cut.raw.gz'], { cwd: dir });
  t.is(r.code, 2);
  t.is(r.stderr, 'ptrace: cannot decompress cut.raw.gz: unexpected end of file\n');
});
