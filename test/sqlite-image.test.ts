// The page writer (analyze/sqlite/): a database written as pages must hold
// exactly what SQLite's own INSERT statements leave, on the replay schema and
// on a schema made to reach every case of the file format (integer sizes,
// text and blobs spilling to overflow pages, multi-level B-trees, NULL and
// mixed-type index keys, WITHOUT ROWID tables, non-ASCII text order).

import test from 'ava';
import Database from 'better-sqlite3';
import { readCaptureBuffer } from '../formats/reader.ts';
import { buildDatabase, buildDatabaseWithInserts, databaseFile, writeDatabaseFile } from '../analyze/db.ts';
import { BackgroundWriter } from '../analyze/background-write.ts';
import { modelOfCapture, loadModel } from '../analyze/source.ts';
import { buildScenario, dnsScenario, filesScenario, manyCompilesScenario, netScenario, writeSyntheticBuild } from '../analyze/synth.ts';
import { databasePages, type RowSource } from '../analyze/sqlite/image.ts';
import type { Value } from '../analyze/sqlite/record.ts';
import { dumpDatabase } from './helpers/sqlite-dump.ts';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const samples = new URL('../samples/', import.meta.url).pathname;

const scenarios = { build: buildScenario, many: manyCompilesScenario, files: filesScenario, net: netScenario, dns: dnsScenario };
for (const [name, make] of Object.entries(scenarios)) {
  test(`replay schema, ${name} scenario: pages = INSERT`, (t) => {
    const model = modelOfCapture(readCaptureBuffer(make().buffer(), `${name}.raw`));
    const a = buildDatabase(model);
    const b = buildDatabaseWithInserts(model);
    t.is(dumpDatabase(a), dumpDatabase(b));
    t.regex(dumpDatabase(a), /integrity_check: ok$/);
    a.close();
    b.close();
  });
}

for (const sample of ['make-build', 'git-workflow', 'failing-pipeline']) {
  test(`replay schema, samples/${sample}.raw: pages = INSERT`, (t) => {
    const model = loadModel(`${samples}${sample}.raw`);
    const a = buildDatabase(model);
    const b = buildDatabaseWithInserts(model);
    t.is(dumpDatabase(a), dumpDatabase(b));
    a.close();
    b.close();
  });
}

test('replay schema, a synthetic build with opens (multi-level trees): pages = INSERT', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ptrace-image-'));
  try {
    const path = join(dir, 'build.raw');
    writeSyntheticBuild(path, { units: 400, failEvery: 9, threadsPerCc1: 1, pathSearch: true, opens: true });
    const model = loadModel(path);
    t.true(model.opens.length > 20_000);
    const a = buildDatabase(model);
    const b = buildDatabaseWithInserts(model);
    t.is(dumpDatabase(a), dumpDatabase(b));
    a.close();
    b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- every case of the format

const EDGE_SCHEMA = `
CREATE TABLE t (
  id INTEGER PRIMARY KEY,
  n INTEGER,
  x,
  s TEXT,
  b BLOB,
  m NUMERIC
);
CREATE TABLE plain (a INTEGER, b TEXT);
CREATE TABLE kv (k TEXT NOT NULL, sub INTEGER NOT NULL, v, PRIMARY KEY (k, sub)) WITHOUT ROWID;
CREATE TABLE empty (id INTEGER PRIMARY KEY, v TEXT);
CREATE INDEX t_s ON t(s);
CREATE INDEX t_n_x ON t(n, x);
CREATE UNIQUE INDEX t_m ON t(m);
CREATE INDEX empty_v ON empty(v);
CREATE VIEW t_view AS SELECT id, s FROM t WHERE n > 0;
`;

/** Deterministic pseudo-random numbers. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

const INTS: Value[] = [
  0, 1, -1, 2, 127, 128, -128, -129, 255, 32767, 32768, -32768, -32769, 2 ** 23 - 1, 2 ** 23, -(2 ** 23), -(2 ** 23) - 1,
  2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 47 - 1, 2 ** 47, -(2 ** 47), 2 ** 53 - 1, -(2 ** 53) + 1,
  2 ** 53, 2 ** 60, -(2 ** 62), 0n, 1n, -1n, 300n, 2n ** 40n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), 1750000000123456789n,
];
const TEXTS = ['', 'a', 'abc', 'é', 'ü/straße', '日本語', '\u{1F600} emoji', '\uFFFD', '\uE000', 'z'.repeat(120), '/usr/include/stdio.h'];

function text(rnd: () => number): string {
  const r = rnd();
  if (r < 0.05) return 'long:' + 'x'.repeat(900 + Math.floor(rnd() * 9000)); // index and table overflow
  if (r < 0.1) return 'mid:' + 'y'.repeat(990 + Math.floor(rnd() * 30)); // around the index's local size
  return TEXTS[Math.floor(rnd() * TEXTS.length)]! + (rnd() < 0.5 ? String(Math.floor(rnd() * 50)) : '');
}

function value(rnd: () => number): Value {
  const r = rnd();
  if (r < 0.15) return null;
  if (r < 0.55) return INTS[Math.floor(rnd() * INTS.length)]!;
  if (r < 0.65) return [0.5, -2.25, 1e300, -0, 3.0, Number.NaN][Math.floor(rnd() * 6)]!;
  if (r < 0.85) return text(rnd);
  const n = rnd() < 0.1 ? 5000 + Math.floor(rnd() * 20000) : Math.floor(rnd() * 40);
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff));
}

function edgeRows(count: number): { t: Value[][]; plain: Value[][]; kv: Value[][] } {
  const rnd = random(42);
  const t: Value[][] = [];
  let id = 0;
  for (let i = 0; i < count; i++) {
    id += 1 + Math.floor(rnd() * (i % 100 === 0 ? 1e6 : 3)); // gaps, and a few large ones
    const n = rnd() < 0.1 ? null : INTS[Math.floor(rnd() * 29)]!;
    const s = rnd() < 0.1 ? null : text(rnd);
    const b = rnd() < 0.3 ? null : (value(rnd) as Value);
    // m: unique, numbers and NULLs (NULLs never conflict in a UNIQUE index)
    const m = i % 7 === 0 ? null : i % 2 === 0 ? i : BigInt(-i);
    t.push([id, n, value(rnd), s, typeof b === 'string' ? Buffer.from(b) : b, m]);
  }
  const plain = Array.from({ length: 300 }, (_, i) => [i % 5 === 0 ? null : i * 3, TEXTS[i % TEXTS.length]!]);
  const kv: Value[][] = [];
  for (let i = 0; i < 3000; i++) kv.push([TEXTS[i % TEXTS.length]! + (i % 37), Math.floor(i / 37) - 20, value(rnd)]);
  return { t, plain, kv };
}

function insertAll(db: Database.Database, table: string, rows: Value[][]): void {
  if (rows.length === 0) return;
  const st = db.prepare(`INSERT INTO ${table} VALUES (${rows[0]!.map(() => '?').join(',')})`);
  db.transaction(() => {
    for (const r of rows) st.run(r);
  })();
}

const source = (table: string, rows: Value[][]): RowSource => ({
  table,
  count: rows.length,
  put: (i, out) => rows[i]!.forEach((v, c) => (out[c] = v)),
});

test('every case of the file format: pages = INSERT', (t) => {
  const { t: rows, plain, kv } = edgeRows(6000);
  const byInsert = new Database(':memory:');
  byInsert.exec(EDGE_SCHEMA);
  insertAll(byInsert, 't', rows);
  insertAll(byInsert, 'plain', plain);
  insertAll(byInsert, 'kv', kv);
  const pages = databasePages(EDGE_SCHEMA, [source('t', rows), source('plain', plain), source('kv', kv), source('empty', [])]);
  const byPages = new Database(Buffer.concat(pages));
  const dump = dumpDatabase(byPages);
  t.is(dump, dumpDatabase(byInsert));
  t.regex(dump, /integrity_check: ok$/);
  // The indexes answer queries as SQLite's own do.
  for (const sql of ['SELECT id FROM t INDEXED BY t_s ORDER BY s, id', 'SELECT id FROM t INDEXED BY t_n_x WHERE n > 100 ORDER BY n, x, id', 'SELECT count(*) FROM t INDEXED BY t_m WHERE m < 0']) {
    t.deepEqual(byPages.prepare(sql).raw().all(), byInsert.prepare(sql).raw().all(), sql);
  }
  byPages.close();
  byInsert.close();
});

test('a NULL rowid is the next one; rowids out of order and duplicate keys are refused', (t) => {
  const pages = databasePages(EDGE_SCHEMA, [source('t', [[null, 1, null, 'a', null, 1], [7, 2, null, 'b', null, 2], [null, 3, null, 'c', null, 3]]), source('plain', []), source('kv', []), source('empty', [])]);
  const db = new Database(Buffer.concat(pages));
  t.deepEqual(db.prepare('SELECT id FROM t ORDER BY id').pluck().all(), [1, 7, 8]);
  db.close();
  const others = [source('plain', []), source('kv', []), source('empty', [])];
  t.throws(() => databasePages(EDGE_SCHEMA, [source('t', [[2, 1, null, 'a', null, 1], [1, 2, null, 'b', null, 2]]), ...others]), { message: /out of order/ });
  t.throws(() => databasePages(EDGE_SCHEMA, [source('t', [[1, 1, null, 'a', null, 5], [2, 2, null, 'b', null, 5]]), ...others]), { message: /UNIQUE constraint failed: index t_m/ });
  t.throws(() => databasePages(EDGE_SCHEMA, [source('t', []), source('plain', []), source('kv', [['a', 1, 1], ['a', 1, 2]]), source('empty', [])]), { message: /UNIQUE constraint failed: kv/ });
  t.throws(() => databasePages(EDGE_SCHEMA, others), { message: /no rows given for table t/ });
  t.throws(() => databasePages(EDGE_SCHEMA, [source('t', [[1, 'text', null, null, null, null]]), ...others]), { message: /string value in a column of integer affinity/ });
});

test('db files: written on the worker thread as the pages are done, also past the first chunk when the rows outgrow the estimate', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ptrace-dbfile-'));
  try {
    for (const sample of ['make-build', 'git-workflow']) {
      const model = loadModel(`${samples}${sample}.raw`);
      const out = join(dir, `${sample}.sqlite`);
      writeDatabaseFile(model, out, false);
      const a = new Database(out, { readonly: true });
      const b = buildDatabaseWithInserts(model);
      t.is(dumpDatabase(a), dumpDatabase(b));
      a.close();
      b.close();
    }
    // The estimate is a sample: this one is short of the real size, so some pages go past the first chunk.
    t.true(databaseFile(loadModel(`${samples}make-build.raw`)).length > 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('background writes: ranges land at their offsets; a failed write is thrown by finish()', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ptrace-bgwrite-'));
  try {
    const path = join(dir, 'f.bin');
    const fd = openSync(path, 'w');
    const w = new BackgroundWriter(fd, 1 << 20);
    w.buffer.fill(7, 0, 4096);
    w.buffer.fill(9, 8192, 12288);
    w.write(8192, 4096);
    w.write(0, 4096);
    w.buffer.fill(8, 4096, 8192);
    w.write(4096, 4096);
    w.finish();
    closeSync(fd);
    const got = readFileSync(path);
    t.is(got.length, 12288);
    t.deepEqual([got[0], got[4096], got[12287]], [7, 8, 9]);
    const full = openSync('/dev/full', 'w');
    const f = new BackgroundWriter(full, 8192);
    f.write(0, 8192);
    t.throws(() => f.finish(), { message: /ENOSPC|no space/i });
    closeSync(full);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
