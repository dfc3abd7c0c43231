// Rows → SQLite. The database is written as pages (sqlite/image.ts: SQLite
// creates the schema, the rows and index entries are laid out as B-trees
// directly), then opened in memory or written to a file. insertModel() is
// the same load through INSERT statements: the reference the page writer is
// tested against.

import { closeSync, openSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openFlagsText } from './files.ts';
import { argvJson, type Model } from './model.ts';
import { INDEXES_SQL, SCHEMA_VERSION, TABLES_SQL } from './schema.ts';
import { writeAtomically } from './output.ts';
import { Progress } from './progress.ts';
import { loadModel, printWarnings } from './source.ts';
import { BackgroundWriter } from './background-write.ts';
import type { PageOutput } from './sqlite/btree.ts';
import { databasePages, type RowSource } from './sqlite/image.ts';
import type { Value } from './sqlite/record.ts';

export type Db = Database.Database;

const b = (v: boolean): number => (v ? 1 : 0);

/** A table's rows in the model (in rowid order), and one row's column values in declaration order, written at out[k ..]. */
interface TableRows<T> {
  table: string;
  rows: (m: Model) => readonly T[];
  put: (row: T, out: Value[], k: number) => void;
}

const rowsOf = <T>(table: string, rows: (m: Model) => readonly T[], put: (row: T, out: Value[], k: number) => void): TableRows<unknown> =>
  ({ table, rows, put }) as TableRows<unknown>;

const flagTexts = new Map<number, string>();
const flagText = (flags: number): string => {
  let t = flagTexts.get(flags);
  if (t === undefined) flagTexts.set(flags, (t = openFlagsText(flags)));
  return t;
};

/** Every table of the schema and where its rows come from. */
const TABLES: TableRows<unknown>[] = [
  rowsOf('schema_version', () => [SCHEMA_VERSION], (v, o, k) => {
    o[k] = v;
  }),
  rowsOf('meta', (m) => m.meta, ([key, v], o, k) => {
    // Integers as BigInt: a JS number is bound as a double, which this untyped column would keep as REAL.
    o[k] = key; o[k + 1] = typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v;
  }),
  rowsOf('warnings', (m) => m.warnings, (w, o, k) => {
    o[k] = null; o[k + 1] = w.code; o[k + 2] = w.message;
  }),
  rowsOf('processes', (m) => m.processes, (p, o, k) => {
    o[k] = p.id; o[k + 1] = p.pid; o[k + 2] = p.startBoot; o[k + 3] = p.parentId; o[k + 4] = p.parentPid;
    o[k + 5] = p.parentStartBoot; o[k + 6] = p.ppid; o[k + 7] = p.start; o[k + 8] = p.end; o[k + 9] = p.exitStatus;
    o[k + 10] = p.exitCode; o[k + 11] = p.signal; o[k + 12] = p.signalName; o[k + 13] = b(p.coreDumped);
    o[k + 14] = b(p.state === 'running'); o[k + 15] = p.state; o[k + 16] = b(p.isRoot); o[k + 17] = b(p.forked);
    o[k + 18] = p.threads; o[k + 19] = p.execCount; o[k + 20] = p.comm;
  }),
  rowsOf('envs', (m) => m.envs, (e, o, k) => {
    o[k] = e.id; o[k + 1] = e.baseId; o[k + 2] = e.size;
  }),
  rowsOf('env_vars', (m) => m.envVars, (v, o, k) => {
    o[k] = v.envId; o[k + 1] = v.name; o[k + 2] = v.value; o[k + 3] = v.raw;
  }),
  rowsOf('execs', (m) => m.execs, (x, o, k) => {
    o[k] = x.id; o[k + 1] = x.processId; o[k + 2] = x.seq; o[k + 3] = x.time; o[k + 4] = x.exe;
    o[k + 5] = x.filename; o[k + 6] = x.interp; o[k + 7] = x.cwd; o[k + 8] = x.argv; o[k + 9] = argvJson(x.argv);
    o[k + 10] = x.argc; o[k + 11] = x.argcKernel; o[k + 12] = x.envc; o[k + 13] = x.envId; o[k + 14] = x.uid;
    o[k + 15] = x.gid; o[k + 16] = x.euid; o[k + 17] = x.egid; o[k + 18] = x.nsPid; o[k + 19] = x.nsLevel;
    o[k + 20] = x.comm; o[k + 21] = x.ppid; o[k + 22] = b(x.argvTruncated); o[k + 23] = b(x.envTruncated);
    o[k + 24] = b(x.exeTruncated); o[k + 25] = b(x.filenameTruncated); o[k + 26] = b(x.cwdTruncated);
  }),
  rowsOf('exec_failures', (m) => m.execFailures, (f, o, k) => {
    o[k] = f.id; o[k + 1] = f.processId; o[k + 2] = f.time; o[k + 3] = f.path; o[k + 4] = b(f.pathTruncated);
    o[k + 5] = f.errno; o[k + 6] = f.errnoName;
  }),
  rowsOf('losses', (m) => m.losses, (l, o, k) => {
    o[k] = l.id; o[k + 1] = l.time; o[k + 2] = l.category; o[k + 3] = l.categoryName; o[k + 4] = l.count;
  }),
  rowsOf('opens', (m) => m.opens, (f, o, k) => {
    o[k] = f.id; o[k + 1] = f.processId; o[k + 2] = f.time; o[k + 3] = f.syscall; o[k + 4] = f.syscallNr;
    o[k + 5] = f.dirfd; o[k + 6] = f.path; o[k + 7] = b(f.pathTruncated); o[k + 8] = f.resolved; o[k + 9] = f.flags;
    o[k + 10] = flagText(f.flags); o[k + 11] = f.mode; o[k + 12] = f.fd; o[k + 13] = f.errno; o[k + 14] = f.errnoName;
    o[k + 15] = f.latencyNs;
  }),
  rowsOf('resources', (m) => m.resources, (r, o, k) => {
    o[k] = r.processId; o[k + 1] = r.utimeNs; o[k + 2] = r.stimeNs; o[k + 3] = r.utimeNs + r.stimeNs; o[k + 4] = r.runtimeNs;
    o[k + 5] = r.maxrssKb; o[k + 6] = r.minFlt; o[k + 7] = r.majFlt; o[k + 8] = r.nvcsw; o[k + 9] = r.nivcsw;
    o[k + 10] = r.rchar; o[k + 11] = r.wchar; o[k + 12] = r.readBytes; o[k + 13] = r.writeBytes;
  }),
  rowsOf('histograms', (m) => m.histograms, (h, o, k) => {
    o[k] = h.id; o[k + 1] = h.processId; o[k + 2] = h.kind; o[k + 3] = h.count; o[k + 4] = h.totalNs; o[k + 5] = h.maxNs;
    o[k + 6] = JSON.stringify(h.buckets);
  }),
  rowsOf('connections', (m) => m.connections, (c, o, k) => {
    o[k] = c.id; o[k + 1] = c.processId; o[k + 2] = c.connId; o[k + 3] = c.role; o[k + 4] = c.family;
    o[k + 5] = c.localAddress; o[k + 6] = c.localPort; o[k + 7] = c.remoteAddress; o[k + 8] = c.remotePort;
    o[k + 9] = c.peerName; o[k + 10] = c.start; o[k + 11] = c.end; o[k + 12] = c.latencyNs; o[k + 13] = c.state;
    o[k + 14] = c.errno; o[k + 15] = c.errnoName; o[k + 16] = c.bytesSent; o[k + 17] = c.bytesReceived;
    o[k + 18] = c.retransmits;
  }),
  rowsOf('dns_lookups', (m) => m.dnsLookups, (d, o, k) => {
    o[k] = d.id; o[k + 1] = d.processId; o[k + 2] = d.time; o[k + 3] = d.name; o[k + 4] = b(d.nameTruncated);
    o[k + 5] = d.result; o[k + 6] = d.resultName; o[k + 7] = d.latencyNs; o[k + 8] = d.count;
    o[k + 9] = JSON.stringify(d.answers);
  }),
];

const SCHEMA_SQL = TABLES_SQL + INDEXES_SQL;

/** The database file of `model`, in chunks of consecutive pages (the first one from `output`). */
export function databaseFile(model: Model, output?: PageOutput): Buffer[] {
  const sources: RowSource[] = TABLES.map((t) => {
    const rows = t.rows(model);
    return { table: t.table, count: rows.length, put: (i, out) => t.put(rows[i], out, 0) };
  });
  return databasePages(SCHEMA_SQL, sources, output);
}

/** The database of `model`, in memory. */
export function buildDatabase(model: Model): Db {
  const chunks = databaseFile(model);
  return new Database(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
}

/** The database of `model` through INSERT statements, in memory: the reference the page writer must match. */
export function buildDatabaseWithInserts(model: Model): Db {
  const db = new Database(':memory:');
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  // Rows are consistent by construction; checking every reference costs a lookup per insert.
  db.pragma('foreign_keys = OFF');
  db.exec(TABLES_SQL);
  insertModel(db, model);
  db.exec(INDEXES_SQL);
  return db;
}

const BATCH = 32;

/**
 * Inserts `rows` with multi-row INSERT statements (BATCH rows per call: the
 * per-call cost of a prepared statement dominates single-row inserts).
 */
function bulkInsert<T>(db: Db, t: TableRows<T>, rows: readonly T[]): void {
  const width = (db.pragma(`table_info(${t.table})`) as unknown[]).length;
  const tuple = `(${Array(width).fill('?').join(',')})`;
  const many = db.prepare(`INSERT INTO ${t.table} VALUES ${Array(BATCH).fill(tuple).join(',')}`);
  const params: Value[] = new Array(BATCH * width);
  let i = 0;
  for (; i + BATCH <= rows.length; i += BATCH) {
    for (let j = 0; j < BATCH; j++) t.put(rows[i + j]!, params, j * width);
    many.run(params);
  }
  if (i < rows.length) {
    const one = db.prepare(`INSERT INTO ${t.table} VALUES ${tuple}`);
    const p: Value[] = new Array(width);
    for (; i < rows.length; i++) {
      t.put(rows[i]!, p, 0);
      one.run(p);
    }
  }
}

/** Inserts every row of `model` in one transaction. */
export function insertModel(db: Db, m: Model): void {
  db.transaction(() => {
    for (const t of TABLES) bulkInsert(db, t, t.rows(m));
  })();
}

/**
 * Writes the database of `model` to `path` atomically: its pages go to a
 * temporary file next to it, fsynced, then renamed.
 */
export function writeDatabaseFile(model: Model, path: string, force: boolean): void {
  writeAtomically(path, force, (tmp) => {
    const fd = openSync(tmp, 'wx', 0o644);
    let writer: BackgroundWriter | null = null;
    try {
      // The pages are written on a worker thread as they are done, while the rest are built.
      const chunks = databaseFile(model, {
        allocate: (bytes) => (writer = new BackgroundWriter(fd, bytes)).buffer,
        final: (offset, length) => writer!.write(offset, length),
      });
      writer!.finish();
      writer = null;
      // Pages past the first chunk: the rows took more room than the estimate.
      let position = chunks[0]!.length;
      for (const chunk of chunks.slice(1)) {
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off, position + off);
        position += chunk.length;
      }
    } finally {
      (writer as BackgroundWriter | null)?.close();
      closeSync(fd);
    }
  });
}

/**
 * Reads `path` into an in-memory database, printing the reader's warnings on
 * stderr. `env: false` leaves the environment tables empty (for commands that
 * never look at them).
 */
export function loadDatabase(path: string, opts: { env?: boolean } = {}): { db: Db; model: Model } {
  const progress = new Progress('reading');
  const model = loadModel(path, progress, opts);
  progress.step('building database');
  const db = buildDatabase(model);
  progress.done();
  printWarnings(model.warnings);
  return { db, model };
}
