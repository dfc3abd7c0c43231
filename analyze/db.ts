// Rows → SQLite. One transaction, prepared statements, journal and fsync off
// (the database is built in memory; `db` serializes it and writes the file
// atomically).

import Database from 'better-sqlite3';
import type { Model } from './model.ts';
import { INDEXES_SQL, SCHEMA_VERSION, TABLES_SQL } from './schema.ts';
import { writeFileAtomic } from './output.ts';

export type Db = Database.Database;

const b = (v: boolean): number => (v ? 1 : 0);

/** A new in-memory database holding `model`. */
export function buildDatabase(model: Model): Db {
  const db = new Database(':memory:');
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.exec(TABLES_SQL);
  insertModel(db, model);
  db.exec(INDEXES_SQL);
  return db;
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

    const proc = db.prepare(
      `INSERT INTO processes VALUES (${Array(21).fill('?').join(',')})`,
    );
    for (const p of m.processes) {
      proc.run(
        p.id, p.pid, p.startBoot, p.parentId, p.parentPid, p.parentStartBoot, p.ppid,
        p.start, p.end, p.exitStatus, p.exitCode, p.signal, p.signalName, b(p.coreDumped),
        b(p.state === 'running'), p.state, b(p.isRoot), b(p.forked), p.threads, p.execCount, p.comm,
      );
    }
    const env = db.prepare('INSERT INTO envs VALUES (?, ?, ?)');
    for (const e of m.envs) env.run(e.id, e.baseId, e.size);
    const envVar = db.prepare('INSERT INTO env_vars VALUES (?, ?, ?, ?)');
    for (const v of m.envVars) envVar.run(v.envId, v.name, v.value, v.raw);

    const exec = db.prepare(`INSERT INTO execs VALUES (${Array(27).fill('?').join(',')})`);
    for (const x of m.execs) {
      exec.run(
        x.id, x.processId, x.seq, x.time, x.exe, x.filename, x.interp, x.cwd, x.argv, x.argvJson,
        x.argc, x.argcKernel, x.envc, x.envId, x.uid, x.gid, x.euid, x.egid, x.nsPid, x.nsLevel,
        x.comm, x.ppid, b(x.argvTruncated), b(x.envTruncated), b(x.exeTruncated), b(x.filenameTruncated),
        b(x.cwdTruncated),
      );
    }
    const fail = db.prepare('INSERT INTO exec_failures VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const f of m.execFailures) {
      fail.run(f.id, f.processId, f.time, f.path, b(f.pathTruncated), f.errno, f.errnoName);
    }
    const loss = db.prepare('INSERT INTO losses VALUES (?, ?, ?, ?, ?)');
    for (const l of m.losses) loss.run(l.id, l.time, l.category, l.categoryName, l.count);
  });
  load();
}

/** Writes `db` to `path` atomically (temp file + rename). */
export function writeDatabaseFile(db: Db, path: string, force: boolean): void {
  const image = db.serialize();
  writeFileAtomic(path, force, (put) => put(image));
}
