// `ptrace db`'s writer (analyze/db/writer.ts): the file written on a second
// thread while the raw file is read holds exactly the rows of the model,
// whether the streamed open rows were final as they arrived or needed their
// process ids and numbering completed; errors of the writer thread reach the
// caller. Real files, real SQLite, a real worker thread.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import { buildDatabase, writeDatabaseFile } from '../../analyze/db/database.ts';
import { TABLES } from '../../analyze/db/schema.ts';
import { DatabaseWriter } from '../../analyze/db/writer.ts';
import { load } from '../../analyze/replay/load.ts';
import type { OpenRow } from '../../analyze/replay/model.ts';
import { builtinRules, createRedactor } from '../../analyze/secrets/index.ts';
import { filesScenario } from '../../testkit/synth.ts';
import { CaptureWriter, DEFAULT_START, type WriterEvent } from '../../testkit/writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'ptrace-db-writer-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** Every table's rows and the schema, as SQLite returns them. */
function contents(db: Database.Database): Record<string, unknown[][]> {
  const out: Record<string, unknown[][]> = {
    // by name: the writer indexes the streamed table first
    sqlite_master: db
      .prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name')
      .raw()
      .all() as unknown[][],
  };
  for (const t of TABLES) {
    out[t.name] = db.prepare(`SELECT * FROM ${t.name}`).raw().safeIntegers().all() as unknown[][];
  }
  return out;
}

/** The file `ptrace db` writes for `raw`, beside the database built from the whole model in memory. */
function bothWays(raw: string): { written: Record<string, unknown[][]>; built: Record<string, unknown[][]> } {
  const out = join(dir, 'out.sqlite');
  writeDatabaseFile(raw, out, true, 0o600);
  const file = new Database(out, { readonly: true });
  const written = contents(file);
  file.close();
  const mem = buildDatabase(load(raw).model);
  const built = contents(mem);
  mem.close();
  return { written, built };
}

const streamed = (raw: string) => load(raw, { streamOpens: () => {} }).model.streamedOpens!;

test('opens streamed in time order: the file holds the model rows', (t) => {
  const raw = join(dir, 'files.raw');
  writeFileSync(raw, filesScenario().buffer());
  t.deepEqual(streamed(raw), { rows: 23, final: true, processIds: streamed(raw).processIds });
  const { written, built } = bothWays(raw);
  t.is(written.opens!.length, 23);
  t.deepEqual(written, built);
});

const ms = (n: number): bigint => DEFAULT_START.boottime + BigInt(Math.round(n * 1e6));

test('opens out of time order, ties, a process created after one that starts later: completed in SQLite', (t) => {
  const root = { pid: 500, start: ms(1) };
  const child = { pid: 501, start: ms(2) };
  // Already running when the capture started: first seen after the child, starts before everything.
  const old = { pid: 400, start: ms(0.5) };
  const open = (process: typeof root, at: number, path: string): WriterEvent => ({
    kind: 'open',
    ts: ms(at),
    process,
    tid: process.pid,
    result: 3,
    path,
  });
  const w = new CaptureWriter({ rootPid: 500, options: { files: true } });
  for (const e of [
    {
      kind: 'exec',
      ts: ms(1.1),
      process: root,
      tid: 500,
      parent: { pid: 499, start: 0n },
      comm: 'sh',
      filename: '/bin/sh',
      exe: '/bin/sh',
      cwd: '/w',
      argv: ['sh'],
      env: [],
    },
    open(root, 1.2, 'a'),
    { kind: 'fork', ts: ms(2), process: root, tid: 500, child },
    open(child, 3, 'b'),
    open(old, 3.5, 'c'),
    open(root, 3.4, 'd'), // earlier than the open before it
    open(child, 4, 'e'),
    open(root, 4, 'f'), // same time as the one before, lower process id
  ] satisfies WriterEvent[]) {
    w.write(e);
  }
  w.writeFooter({});
  const raw = join(dir, 'disorder.raw');
  writeFileSync(raw, w.finish());
  t.false(streamed(raw).final);
  const { written, built } = bothWays(raw);
  t.deepEqual(written, built);
  // id, process_id, path: by time, then process id
  t.deepEqual(
    written.opens!.map((r) => [r[0], r[1], r[6]]),
    [
      [1n, 2n, 'a'],
      [2n, 3n, 'b'],
      [3n, 2n, 'd'],
      [4n, 1n, 'c'],
      [5n, 2n, 'f'],
      [6n, 3n, 'e'],
    ],
  );
});

test("the writer thread's error is thrown in the caller, SQLite's code kept", (t) => {
  const raw = join(dir, 'files-err.raw');
  writeFileSync(raw, filesScenario().buffer());
  const { model } = load(raw);
  const writer = new DatabaseWriter(join(dir, 'err.sqlite'));
  const sink = writer.openSink();
  const bad: OpenRow = { ...model.opens[0]!, latencyNs: 1n << 64n }; // beyond SQLite's int64
  sink(bad);
  const err = t.throws(() => writer.finish(model));
  t.regex(err.message, /BigInt/i);
  const notADatabase = join(dir, 'not-a-database');
  writeFileSync(notADatabase, 'x'.repeat(4096));
  const e2 = t.throws(() => new DatabaseWriter(notADatabase).finish(model));
  t.is((e2 as Error & { code?: string }).code, 'SQLITE_NOTADB');
});

test('with a redactor, streamed open rows are redacted like the rest of the model (db file and stats tally)', (t) => {
  const token = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB';
  const root = { pid: 600, start: ms(1) };
  const w = new CaptureWriter({ rootPid: 600, options: { files: true } });
  w.write({
    kind: 'exec',
    ts: ms(1.1),
    process: root,
    tid: 600,
    parent: { pid: 599, start: 0n },
    comm: 'sh',
    filename: '/bin/sh',
    exe: '/bin/sh',
    cwd: '/w',
    argv: ['sh'],
    env: [],
  });
  w.write({ kind: 'open', ts: ms(1.2), process: root, tid: 600, result: -2, path: `/cache/${token}/config` });
  w.writeFooter({});
  const raw = join(dir, 'secret-open.raw');
  writeFileSync(raw, w.finish());
  const redact = createRedactor(builtinRules(), { marker: 'plain' });
  const seen: OpenRow[] = [];
  load(raw, { redact, streamOpens: (row) => seen.push(row) });
  t.is(seen.length, 1);
  t.false(seen[0]!.path.includes(token), seen[0]!.path);
  t.true(seen[0]!.path.startsWith('/cache/‹redacted:'), seen[0]!.path);
  const out = join(dir, 'secret-open.sqlite');
  writeDatabaseFile(raw, out, true, 0o600, createRedactor(builtinRules()));
  const db = new Database(out, { readonly: true });
  const paths = db.prepare('SELECT path FROM opens').pluck().all() as string[];
  db.close();
  t.is(paths.length, 1);
  t.false(paths[0]!.includes(token), paths[0]);
  // without a redactor the path is as captured: the test can fail
  const plain: OpenRow[] = [];
  load(raw, { streamOpens: (row) => plain.push(row) });
  t.true(plain[0]!.path.includes(token));
});
