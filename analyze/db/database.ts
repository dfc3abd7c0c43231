// Rows → SQLite. One transaction, prepared statements, journal and fsync off
// (the database is built in memory; `db` serializes it and writes the file
// atomically).

import Database from 'better-sqlite3';
import { printWarnings, writeAtomically } from '../output.ts';
import { type CaptureInfo, captureInfo } from '../replay/capture-info.ts';
import { load } from '../replay/load.ts';
import type { Model } from '../replay/model.ts';
import { Progress } from '../replay/progress.ts';
import type { Redactor } from '../secrets/redactor.ts';
import { type AnyTable, INDEXES_SQL, type SqlValue, TABLES, TABLES_SQL } from './schema.ts';

export type Db = Database.Database;
type Statement = Database.Statement;

/** A new database holding `model`: in memory, or in the new file `file`. */
export function buildDatabase(model: Model, file = ':memory:'): Db {
  const db = openForBulkLoad(file);
  insertModel(db, model);
  db.exec(INDEXES_SQL);
  return db;
}

/** A new database `file` with the tables and no rows, set up for a bulk load. */
export function openForBulkLoad(file: string): Db {
  const db = new Database(file);
  // Bulk load: no rollback journal, no fsync (an interrupted build is thrown away), a bigger page cache.
  db.pragma('cache_size = -65536');
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  // Rows are consistent by construction; checking every reference costs a lookup per insert.
  db.pragma('foreign_keys = OFF');
  db.exec(TABLES_SQL);
  return db;
}

export const BATCH = 32;

/** The inserted columns of `t` (those with a getter) and its INSERT statement for `rows` rows. */
function insertSql(t: AnyTable, rows: number): string {
  const cols = t.columns.filter((c) => c.get !== undefined);
  const tuple = `(${cols.map(() => '?').join(',')})`;
  return `INSERT INTO ${t.name} (${cols.map((c) => c.name).join(', ')}) VALUES ${Array(rows).fill(tuple).join(',')}`;
}

type Getter = (row: unknown) => SqlValue;
export type RowBinder = (row: unknown, out: SqlValue[], k: number) => void;

/**
 * A function that writes the values of `getters` for one row into `out` from
 * index `k`, generated with one call site per column: V8 then inlines each
 * getter, where a loop over the getters calls them all from one megamorphic
 * site (3× the cost on this hot path: ~15M values for a 1M-event build). The
 * generated text holds only indexes, nothing from the data.
 */
function rowBinder(getters: readonly Getter[]): RowBinder {
  const body = getters.map((_, c) => `out[k + ${c}] = get[${c}](row);`).join('\n');
  return new Function('get', `return (row, out, k) => {\n${body}\n};`)(getters) as RowBinder;
}

/** The statements that insert rows into one table, and the binder that lays out a row's values for them. */
export interface TableInsert {
  /** Values per row. */
  width: number;
  bind: RowBinder;
  /** Inserts BATCH rows: BATCH × width values. */
  many: Statement;
  /** Inserts one row. */
  one: Statement;
}

export function tableInsert(db: Db, t: AnyTable): TableInsert {
  const getters = t.columns.flatMap((c) => (c.get === undefined ? [] : [c.get as Getter]));
  return {
    width: getters.length,
    bind: rowBinder(getters),
    many: db.prepare(insertSql(t, BATCH)),
    one: db.prepare(insertSql(t, 1)),
  };
}

/**
 * Inserts `rows` into the table of `ins` with multi-row INSERT statements
 * (BATCH rows per call: the per-call cost of a prepared statement dominates
 * single-row inserts). The values are passed as arguments, not as one array:
 * better-sqlite3 fetches array elements one native call each, which about
 * doubles the cost of binding.
 */
export function insertRows(ins: TableInsert, rows: readonly unknown[]): void {
  const { width, bind, many, one } = ins;
  let i = 0;
  if (rows.length >= BATCH) {
    const params: SqlValue[] = new Array(BATCH * width);
    for (; i + BATCH <= rows.length; i += BATCH) {
      for (let j = 0; j < BATCH; j++) bind(rows[i + j], params, j * width);
      many.run(...params);
    }
  }
  if (i < rows.length) {
    const params: SqlValue[] = new Array(width);
    for (; i < rows.length; i++) {
      bind(rows[i], params, 0);
      one.run(...params);
    }
  }
}

/** Inserts every row of `model` in one transaction. */
export function insertModel(db: Db, m: Model): void {
  db.transaction(() => {
    for (const t of TABLES) {
      const rows = t.rows(m);
      if (rows.length > 0) insertRows(tableInsert(db, t), rows);
    }
  })();
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
 * stderr; returns it with the capture's figures (the model itself is left to
 * the garbage collector). `env: false` leaves the environment tables empty
 * (for commands that never look at them); `redact` replaces the secrets first.
 */
export function loadDatabase(
  path: string,
  opts: { env?: boolean; redact?: Redactor | null } = {},
): { db: Db; capture: CaptureInfo } {
  const progress = new Progress('reading');
  const { model } = load(path, { env: opts.env, progress, redact: opts.redact });
  progress.step('building database');
  const db = buildDatabase(model);
  progress.done();
  printWarnings(model.warnings);
  return { db, capture: captureInfo(model) };
}
