#!/usr/bin/env node
// Replay benchmarks (figures, not tests): `npm run bench:replay [-- --runs N --keep]`.
//
// Synthesizes make-like builds with testkit/writer.ts in a temp dir
// (testkit/synth.ts: cc → cc1 + as per unit, a ~40-variable CI environment
// shared down the tree, cc1 adding COLLECT_GCC_OPTIONS, PATH-search failed
// execs), two of 1M events:
//   - build: with the file opens of real compiles (loader, locale, sources,
//     headers along the include path with their ENOENT misses): the mix of a
//     real capture (samples/make-build.raw), ~24 opens per process;
//   - lifecycle: no opens, 2 threads per cc1: every event a process event,
//     one exec (and a big environment) in six; the worst case per event;
// then measures:
//   1. raw → SQLite on each 1M-event file, in process: the reader alone,
//      reader + rows, rows → SQLite; events/s for the whole and for the part
//      after the reader (what analyze/ adds);
//   2. `ptrace db` on the same files, as a child process (wall time), side by
//      side with SQLite's own time for the same rows (the floor: the values
//      bound by `db`, built beforehand, inserted by the same statements into
//      a file, indexes created, fsynced), and the ratio db / floor;
//   3. `ptrace stats` on the build mix, as a child process: wall time (the
//      target: under 3 s), CPU time, peak RSS;
//   4. `ptrace tree --dedup` on a 100,000-process file, as a child process:
//      wall time and peak RSS (reported by bench/rss-hook.ts at exit);
//   5. hashing the raw file (what a content-hash cache would cost per run).
// Medians over --runs (default 3). Run it on an otherwise idle machine.
//
// Everything heavy runs in child processes (`--synth DIR`, `--load FILE`) so
// that this process stays small: on Linux a child's peak RSS (getrusage)
// starts from its parent's RSS at fork, which would inflate the figures.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDatabase } from '../analyze/db/database.ts';
import { INDEXES_SQL, type SqlValue, TABLES } from '../analyze/db/schema.ts';
import { BATCH, openForBulkLoad, type TableInsert, tableInsert } from '../analyze/db/sqlite.ts';
import { load } from '../analyze/replay/load.ts';
import { Progress } from '../analyze/replay/progress.ts';
import { readCaptureStream } from '../formats/reader.ts';
import { writeSyntheticBuild } from '../testkit/synth.ts';
import { measuredCli } from './rss-figures.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const keep = args.includes('--keep');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MiB`;

const self = fileURLToPath(import.meta.url);

interface Mix {
  name: string;
  file: string;
  what: string;
}

const MIXES: Mix[] = [
  { name: 'build', file: 'build-1m.raw', what: 'compiles with their file opens (the mix of a real build)' },
  { name: 'lifecycle', file: 'lifecycle-1m.raw', what: 'process events only, big environments (worst case)' },
];

if (args[0] === '--synth') {
  const dir = args[1]!;
  const info = {
    // 11,400 units: 34,200 processes, 73 opens and 6 failed execs per unit → 1.0M events.
    build: writeSyntheticBuild(join(dir, 'build-1m.raw'), {
      units: 11_400,
      failEvery: 5000,
      pathSearch: true,
      opens: true,
    }),
    // 60,000 units: 180,000 processes, 2 threads per cc1, 6 failed execs per unit → 1.02M events.
    lifecycle: writeSyntheticBuild(join(dir, 'lifecycle-1m.raw'), {
      units: 60_000,
      failEvery: 5000,
      threadsPerCc1: 2,
      pathSearch: true,
    }),
    // 33,333 units: 99,994 processes (make + 3 per unit, minus the failed units' as).
    tree: writeSyntheticBuild(join(dir, 'processes-100k.raw'), { units: 33_333, failEvery: 5000, pathSearch: true }),
  };
  process.stdout.write(JSON.stringify(info));
  process.exit(0);
}

interface Load {
  read: number;
  rows: number;
  sqlite: number;
  events: number;
  records: number;
}

/** load() without its progress line (stderr is the bench's own). */
const quiet = (): { progress: Progress } => ({ progress: new Progress('reading', false) });

/** One table's rows as the parameter lists of its statements: full batches for `many`, the rest for `one`. */
interface BoundRows {
  ins: TableInsert;
  batches: SqlValue[][];
  singles: SqlValue[][];
}

function bindAll(ins: TableInsert, rows: readonly unknown[]): BoundRows {
  const out: BoundRows = { ins, batches: [], singles: [] };
  let i = 0;
  for (; i + BATCH <= rows.length; i += BATCH) {
    const params: SqlValue[] = new Array(BATCH * ins.width);
    for (let j = 0; j < BATCH; j++) ins.bind(rows[i + j], params, j * ins.width);
    out.batches.push(params);
  }
  for (; i < rows.length; i++) {
    const params: SqlValue[] = new Array(ins.width);
    ins.bind(rows[i], params, 0);
    out.singles.push(params);
  }
  return out;
}

/**
 * SQLite's own time for the rows of `path` (the floor of `ptrace db`): the
 * model and every bound value are built first, untimed; then the same
 * statements insert them into a new file in one transaction, the indexes are
 * created, and the file is closed and fsynced, as `ptrace db` does.
 */
function floor(path: string, out: string): number {
  const { model } = load(path, quiet());
  const db = openForBulkLoad(out);
  const bound = TABLES.flatMap((t) => {
    const rows = t.rows(model);
    return rows.length === 0 ? [] : [bindAll(tableInsert(db, t), rows)];
  });
  const t0 = performance.now();
  db.transaction(() => {
    for (const { ins, batches, singles } of bound) {
      for (const params of batches) ins.many.run(...params);
      for (const params of singles) ins.one.run(...params);
    }
  })();
  db.exec(INDEXES_SQL);
  db.close();
  const fd = openSync(out, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  const ms = performance.now() - t0;
  unlinkSync(out);
  return ms;
}

if (args[0] === '--floor') {
  process.stdout.write(JSON.stringify(floor(args[1]!, args[2]!)));
  process.exit(0);
}

function measureLoad(path: string): Load {
  let n = 0;
  let t0 = performance.now();
  const { completeRecords } = readCaptureStream(path, () => n++);
  const read = performance.now() - t0;
  t0 = performance.now();
  const { model: m } = load(path, quiet());
  const rows = performance.now() - t0;
  t0 = performance.now();
  buildDatabase(m).close();
  const sqlite = performance.now() - t0;
  return { read, rows, sqlite, events: n, records: completeRecords };
}

if (args[0] === '--load') {
  process.stdout.write(JSON.stringify(measureLoad(args[1]!)));
  process.exit(0);
}

function child(argv: string[]): string {
  const r = spawnSync(process.execPath, [self, ...argv], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`bench/replay ${argv.join(' ')} failed`);
  return r.stdout;
}

const dir = mkdtempSync(join(tmpdir(), 'ptrace-bench-replay-'));
const tree = join(dir, 'processes-100k.raw');

console.log(`bench/replay: ${cpus().length} CPUs, node ${process.version}, ${runs} runs, files in ${dir}`);
const t = performance.now();
const info = JSON.parse(child(['--synth', dir])) as Record<string, { events: number; processes: number }>;
console.log(`synthesized in ${((performance.now() - t) / 1000).toFixed(1)}s:`);
for (const [name, file] of [...MIXES.map((m) => [m.name, m.file]), ['tree', 'processes-100k.raw']] as [
  string,
  string,
][]) {
  const i = info[name]!;
  console.log(
    `   ${name.padEnd(10)} ${fmt(i.events)} events / ${fmt(i.processes)} processes (${mb(statSync(join(dir, file)).size)})`,
  );
}

// ---------------------------------------------------------------- 1. raw → SQLite, in a child process

const loaded = new Map<string, Load>();
console.log('\n1. raw → SQLite (in process, medians)');
for (const mix of MIXES) {
  const loads: Load[] = [];
  for (let i = 0; i < runs; i++) loads.push(JSON.parse(child(['--load', join(dir, mix.file)])) as Load);
  const L = {
    read: median(loads.map((l) => l.read)),
    rows: median(loads.map((l) => l.rows)),
    sqlite: median(loads.map((l) => l.sqlite)),
    events: loads[0]!.events,
    records: loads[0]!.records,
  };
  loaded.set(mix.name, L);
  const total = L.rows + L.sqlite;
  const ours = L.rows - L.read + L.sqlite;
  console.log(`   ${mix.name}: ${mix.what}; ${fmt(L.events)} events, ${fmt(L.records)} records`);
  console.log(`     reader alone            ${fmt(L.read)} ms   (${fmt(L.events / (L.read / 1000))} events/s)`);
  console.log(`     reader + rows           ${fmt(L.rows)} ms`);
  console.log(`     rows → SQLite (memory)  ${fmt(L.sqlite)} ms`);
  console.log(
    `     raw → SQLite            ${fmt(total)} ms   ${fmt(L.events / (total / 1000))} events/s, ${fmt(L.records / (total / 1000))} records/s`,
  );
  console.log(
    `     analyze/ part (events → rows → SQLite, reader excluded)  ${fmt(ours)} ms   ${fmt(L.events / (ours / 1000))} events/s`,
  );
}

// ---------------------------------------------------------------- child processes

function cli(argv: string[]): { wall: number; rssKb: number; cpuMs: number; code: number } {
  const r = measuredCli(argv, { maxBuffer: 256 << 20 });
  return { wall: r.wallMs, rssKb: r.rssKb, cpuMs: r.cpuMs, code: r.status };
}

const dbOut = join(dir, 'out.sqlite');
const floorOut = join(dir, 'floor.sqlite');
console.log('\n2. ptrace db (child process, medians), against SQLite alone inserting the same rows (the floor)');
for (const mix of MIXES) {
  const dbRuns: ReturnType<typeof cli>[] = [];
  const floors: number[] = [];
  for (let i = 0; i < runs; i++) {
    floors.push(JSON.parse(child(['--floor', join(dir, mix.file), floorOut])) as number);
    dbRuns.push(cli(['db', join(dir, mix.file), '-o', dbOut, '--force']));
  }
  const wall = median(dbRuns.map((r) => r.wall));
  const sqliteFloor = median(floors);
  console.log(
    `   ${mix.name.padEnd(10)} wall ${fmt(wall)} ms, cpu ${fmt(median(dbRuns.map((r) => r.cpuMs)))} ms, ` +
      `peak RSS ${mb(median(dbRuns.map((r) => r.rssKb)) * 1024)}, ${mb(statSync(dbOut).size)} database, ` +
      `${fmt(loaded.get(mix.name)!.events / (wall / 1000))} events/s end to end`,
  );
  console.log(
    `   ${''.padEnd(10)} SQLite floor ${fmt(sqliteFloor)} ms (same rows pre-built, same statements, indexes, fsync); db / SQLite floor: ${(wall / sqliteFloor).toFixed(2)}×`,
  );
}

const buildMix = join(dir, MIXES[0]!.file);
const statsRuns = Array.from({ length: runs }, () => cli(['stats', buildMix]));
console.log(`\n3. ptrace stats on the ${MIXES[0]!.name} mix (child process, medians)`);
console.log(
  `   wall ${fmt(median(statsRuns.map((r) => r.wall)))} ms (target < 3000), cpu ${fmt(median(statsRuns.map((r) => r.cpuMs)))} ms, ` +
    `peak RSS ${mb(median(statsRuns.map((r) => r.rssKb)) * 1024)}`,
);

const treeRuns = Array.from({ length: runs }, () => cli(['tree', tree, '--dedup']));
const startup = Array.from({ length: runs }, () => cli(['tree', join(root, 'samples/make-build.raw')]));
console.log('\n4. ptrace tree --dedup (100,000 processes, child process, medians)');
console.log(
  `   wall ${fmt(median(treeRuns.map((r) => r.wall)))} ms (target < 3000), cpu ${fmt(median(treeRuns.map((r) => r.cpuMs)))} ms, ` +
    `peak RSS ${mb(median(treeRuns.map((r) => r.rssKb)) * 1024)} (target < 500 MiB)`,
);
console.log(
  `   of which CLI start-up (tree on a 20-process sample): wall ${fmt(median(startup.map((r) => r.wall)))} ms, ` +
    `peak RSS ${mb(median(startup.map((r) => r.rssKb)) * 1024)}`,
);

// ---------------------------------------------------------------- 4. what a cache would cost

const hashRuns: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const h = createHash('sha256');
  const fd = openSync(tree, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  for (let n: number; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  closeSync(fd);
  h.digest();
  hashRuns.push(performance.now() - t0);
}
console.log('\n5. content-hash cache key (sha256 of the 100,000-process file)');
console.log(`   ${fmt(median(hashRuns))} ms for ${mb(statSync(tree).size)}`);

if (keep) console.log(`\nfiles kept in ${dir}`);
else rmSync(dir, { recursive: true, force: true });
