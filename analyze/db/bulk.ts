// A SQLite connection set up for a bulk load, and the statements of a load
// given as text. Nothing here knows the schema: the writer thread
// (writer-thread.ts) loads only this and better-sqlite3, not the model's
// modules (their loading took it ~0.5 s).

import Database from 'better-sqlite3';

export type Db = Database.Database;
type Statement = Database.Statement;

/** Rows per multi-row INSERT. */
export const BATCH = 32;

/** A new connection to `file` for a bulk load (no tables yet). */
export function bulkLoadConnection(file: string): Db {
  const db = new Database(file);
  // Bulk load: no rollback journal, no fsync (an interrupted build is thrown away), a bigger page cache.
  db.pragma('cache_size = -65536');
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  // Rows are consistent by construction; checking every reference costs a lookup per insert.
  db.pragma('foreign_keys = OFF');
  return db;
}

/** A table's INSERT statements as text: `many` inserts BATCH rows, `one` one row, `width` values each. */
export interface InsertSql {
  width: number;
  many: string;
  one: string;
}

/** The statements that insert rows into one table. */
export interface TableStatements {
  /** Values per row. */
  width: number;
  /** Inserts BATCH rows: BATCH × width values. */
  many: Statement;
  /** Inserts one row. */
  one: Statement;
}

export function prepareInsert(db: Db, sql: InsertSql): TableStatements {
  return { width: sql.width, many: db.prepare(sql.many), one: db.prepare(sql.one) };
}

/**
 * Runs `sql` (sqlite.ts streamedRowsSql) with temp.stream_remap mapping each
 * provisional process id (creation number) to its final id in `processIds`.
 */
export function completeStreamedRows(db: Db, processIds: Int32Array, sql: string): void {
  db.exec('CREATE TEMP TABLE stream_remap (old INTEGER PRIMARY KEY, new INTEGER NOT NULL)');
  const add = db.prepare('INSERT INTO temp.stream_remap VALUES (?, ?)');
  for (let i = 0; i < processIds.length; i++) if (processIds[i] !== i + 1) add.run(i + 1, processIds[i]!);
  db.exec(sql);
  db.exec('DROP TABLE temp.stream_remap');
}
