// Rows → SQLite. One transaction, prepared statements, journal and fsync off
// (the database is built in memory; `db` serializes it and writes the file
// atomically).

import Database from 'better-sqlite3';
import { openFlagsText } from './files.ts';
import { argvJson, type Model } from './model.ts';
import { INDEXES_SQL, SCHEMA_VERSION, TABLES_SQL } from './schema.ts';
import { writeAtomically } from './output.ts';
import { Progress } from './progress.ts';
import { loadModel, printWarnings } from './source.ts';

export type Db = Database.Database;

const b = (v: boolean): number => (v ? 1 : 0);

/** A new database holding `model`: in memory, or in the new file `file`. */
export function buildDatabase(model: Model, file = ':memory:'): Db {
  const db = new Database(file);
  // Bulk load: no rollback journal, no fsync (an interrupted build is thrown away), a bigger page cache.
  db.pragma('cache_size = -65536');
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
 * `put` writes one row's `width` values into `out` from index `k`. The values
 * are passed as arguments, not as one array: better-sqlite3 fetches array
 * elements one native call each, which about doubles the cost of binding.
 */
function bulkInsert<T>(db: Db, table: string, width: number, rows: readonly T[], put: (r: T, out: unknown[], k: number) => void): void {
  const tuple = `(${Array(width).fill('?').join(',')})`;
  const many = db.prepare(`INSERT INTO ${table} VALUES ${Array(BATCH).fill(tuple).join(',')}`);
  const params: unknown[] = new Array(BATCH * width);
  let i = 0;
  for (; i + BATCH <= rows.length; i += BATCH) {
    for (let j = 0; j < BATCH; j++) put(rows[i + j]!, params, j * width);
    many.run(...params);
  }
  if (i < rows.length) {
    const one = db.prepare(`INSERT INTO ${table} VALUES ${tuple}`);
    const p: unknown[] = new Array(width);
    for (; i < rows.length; i++) {
      put(rows[i]!, p, 0);
      one.run(...p);
    }
  }
}

/** Inserts every row of `model` in one transaction. */
export function insertModel(db: Db, m: Model): void {
  const load = db.transaction(() => {
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
    const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    // Integers as BigInt: a JS number would be stored as REAL in this untyped column.
    for (const [k, v] of m.meta) meta.run(k, typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v);
    const warn = db.prepare('INSERT INTO warnings (code, message) VALUES (?, ?)');
    for (const w of m.warnings) warn.run(w.code, w.message);

    bulkInsert(db, 'processes', 21, m.processes, (p, o, k) => {
      o[k] = p.id; o[k + 1] = p.pid; o[k + 2] = p.startBoot; o[k + 3] = p.parentId; o[k + 4] = p.parentPid;
      o[k + 5] = p.parentStartBoot; o[k + 6] = p.ppid; o[k + 7] = p.start; o[k + 8] = p.end; o[k + 9] = p.exitStatus;
      o[k + 10] = p.exitCode; o[k + 11] = p.signal; o[k + 12] = p.signalName; o[k + 13] = b(p.coreDumped);
      o[k + 14] = b(p.state === 'running'); o[k + 15] = p.state; o[k + 16] = b(p.isRoot); o[k + 17] = b(p.forked);
      o[k + 18] = p.threads; o[k + 19] = p.execCount; o[k + 20] = p.comm;
    });
    bulkInsert(db, 'envs', 3, m.envs, (e, o, k) => {
      o[k] = e.id; o[k + 1] = e.baseId; o[k + 2] = e.size;
    });
    bulkInsert(db, 'env_vars', 4, m.envVars, (v, o, k) => {
      o[k] = v.envId; o[k + 1] = v.name; o[k + 2] = v.value; o[k + 3] = v.raw;
    });
    bulkInsert(db, 'execs', 27, m.execs, (x, o, k) => {
      o[k] = x.id; o[k + 1] = x.processId; o[k + 2] = x.seq; o[k + 3] = x.time; o[k + 4] = x.exe;
      o[k + 5] = x.filename; o[k + 6] = x.interp; o[k + 7] = x.cwd; o[k + 8] = x.argv; o[k + 9] = argvJson(x.argv);
      o[k + 10] = x.argc; o[k + 11] = x.argcKernel; o[k + 12] = x.envc; o[k + 13] = x.envId; o[k + 14] = x.uid;
      o[k + 15] = x.gid; o[k + 16] = x.euid; o[k + 17] = x.egid; o[k + 18] = x.nsPid; o[k + 19] = x.nsLevel;
      o[k + 20] = x.comm; o[k + 21] = x.ppid; o[k + 22] = b(x.argvTruncated); o[k + 23] = b(x.envTruncated);
      o[k + 24] = b(x.exeTruncated); o[k + 25] = b(x.filenameTruncated); o[k + 26] = b(x.cwdTruncated);
    });
    bulkInsert(db, 'exec_failures', 7, m.execFailures, (f, o, k) => {
      o[k] = f.id; o[k + 1] = f.processId; o[k + 2] = f.time; o[k + 3] = f.path; o[k + 4] = b(f.pathTruncated);
      o[k + 5] = f.errno; o[k + 6] = f.errnoName;
    });
    bulkInsert(db, 'losses', 5, m.losses, (l, o, k) => {
      o[k] = l.id; o[k + 1] = l.time; o[k + 2] = l.category; o[k + 3] = l.categoryName; o[k + 4] = l.count;
    });
    if (m.opens.length > 0) {
      const flagTexts = new Map<number, string>();
      bulkInsert(db, 'opens', 16, m.opens, (f, o, k) => {
        let ft = flagTexts.get(f.flags);
        if (ft === undefined) flagTexts.set(f.flags, (ft = openFlagsText(f.flags)));
        o[k] = f.id; o[k + 1] = f.processId; o[k + 2] = f.time; o[k + 3] = f.syscall; o[k + 4] = f.syscallNr;
        o[k + 5] = f.dirfd; o[k + 6] = f.path; o[k + 7] = b(f.pathTruncated); o[k + 8] = f.resolved; o[k + 9] = f.flags;
        o[k + 10] = ft; o[k + 11] = f.mode; o[k + 12] = f.fd; o[k + 13] = f.errno; o[k + 14] = f.errnoName;
        o[k + 15] = f.latencyNs;
      });
    }
    bulkInsert(db, 'resources', 14, m.resources, (r, o, k) => {
      o[k] = r.processId; o[k + 1] = r.utimeNs; o[k + 2] = r.stimeNs; o[k + 3] = r.utimeNs + r.stimeNs; o[k + 4] = r.runtimeNs;
      o[k + 5] = r.maxrssKb; o[k + 6] = r.minFlt; o[k + 7] = r.majFlt; o[k + 8] = r.nvcsw; o[k + 9] = r.nivcsw;
      o[k + 10] = r.rchar; o[k + 11] = r.wchar; o[k + 12] = r.readBytes; o[k + 13] = r.writeBytes;
    });
    bulkInsert(db, 'histograms', 7, m.histograms, (h, o, k) => {
      o[k] = h.id; o[k + 1] = h.processId; o[k + 2] = h.kind; o[k + 3] = h.count; o[k + 4] = h.totalNs; o[k + 5] = h.maxNs;
      o[k + 6] = JSON.stringify(h.buckets);
    });
    bulkInsert(db, 'connections', 22, m.connections, (c, o, k) => {
      o[k] = c.id; o[k + 1] = c.processId; o[k + 2] = c.connId; o[k + 3] = c.role; o[k + 4] = c.family;
      o[k + 5] = c.localAddress; o[k + 6] = c.localPort; o[k + 7] = c.remoteAddress; o[k + 8] = c.remotePort;
      o[k + 9] = c.peerName; o[k + 10] = c.start; o[k + 11] = c.end; o[k + 12] = c.latencyNs; o[k + 13] = c.state;
      o[k + 14] = c.errno; o[k + 15] = c.errnoName; o[k + 16] = c.bytesSent; o[k + 17] = c.bytesReceived;
      o[k + 18] = c.retransmits; o[k + 19] = b(c.abandoned); o[k + 20] = c.openAtStop === null ? null : b(c.openAtStop);
      o[k + 21] = c.tcpStateAtStop;
    });
    bulkInsert(db, 'dns_lookups', 10, m.dnsLookups, (d, o, k) => {
      o[k] = d.id; o[k + 1] = d.processId; o[k + 2] = d.time; o[k + 3] = d.name; o[k + 4] = b(d.nameTruncated);
      o[k + 5] = d.result; o[k + 6] = d.resultName; o[k + 7] = d.latencyNs; o[k + 8] = d.count;
      o[k + 9] = JSON.stringify(d.answers);
    });
    bulkInsert(db, 'dns_queries', 17, m.dnsQueries, (q, o, k) => {
      o[k] = q.id; o[k + 1] = q.processId; o[k + 2] = q.time; o[k + 3] = q.server; o[k + 4] = q.serverPort;
      o[k + 5] = q.localPort; o[k + 6] = q.dnsId; o[k + 7] = q.name; o[k + 8] = q.type; o[k + 9] = q.rcode;
      o[k + 10] = q.rcodeName; o[k + 11] = q.latencyNs; o[k + 12] = JSON.stringify(q.answers); o[k + 13] = b(q.truncated);
      o[k + 14] = q.error; o[k + 15] = q.query; o[k + 16] = q.reply;
    });
  });
  load();
}

/**
 * Writes the database of `model` to `path` atomically: built directly in a
 * temporary file next to it (no in-memory copy; created with `mode`), fsynced, then renamed.
 */
export function writeDatabaseFile(model: Model, path: string, force: boolean, mode: number): void {
  writeAtomically(path, force, mode, (tmp) => {
    buildDatabase(model, tmp).close(); // journal_mode=OFF is not stored in the file: readers get the default
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
