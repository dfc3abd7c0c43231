// The SQLite side of the sink: a database set up for a bulk load, and the
// statements and value binding of each table, generated from its declared
// columns (schema.ts TABLES). Used in the thread that owns the connection
// (writer-thread.ts) as well as for in-memory databases.

import { BATCH, bulkLoadConnection, type Db, type InsertSql, prepareInsert, type TableStatements } from './bulk.ts';
import { type AnyTable, INDEXES_SQL, type SqlValue, TABLES, TABLES_SQL } from './schema.ts';

export { BATCH, type Db, type TableStatements } from './bulk.ts';
export { INDEXES_SQL };

/** A new database `file` with the tables and no rows, set up for a bulk load. */
export function openForBulkLoad(file: string): Db {
  const db = bulkLoadConnection(file);
  db.exec(TABLES_SQL);
  return db;
}

/** The declared table named `name`. */
export function tableNamed(name: string): AnyTable {
  const t = TABLES.find((x) => x.name === name);
  if (t === undefined) throw new Error(`no table ${name}`);
  return t;
}

/** The inserted columns of `t`: those with a getter (the others are row ids SQLite assigns). */
export function insertedColumns(t: AnyTable): string[] {
  return t.columns.flatMap((c) => (c.get === undefined ? [] : [c.name]));
}

/** The INSERT statement of `t` for `rows` rows. */
function insertSql(t: AnyTable, rows: number): string {
  const cols = insertedColumns(t);
  const tuple = `(${cols.map(() => '?').join(',')})`;
  return `INSERT INTO ${t.name} (${cols.join(', ')}) VALUES ${Array(rows).fill(tuple).join(',')}`;
}

/** The INSERT statements of `t`, as text (bulk.ts InsertSql). */
export function tableInsertSql(t: AnyTable): InsertSql {
  return { width: insertedColumns(t).length, many: insertSql(t, BATCH), one: insertSql(t, 1) };
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

/** How a model row of one table becomes the values of its INSERT. */
export interface TableBinder {
  /** Values per row. */
  width: number;
  bind: RowBinder;
}

export function tableBinder(t: AnyTable): TableBinder {
  const getters = t.columns.flatMap((c) => (c.get === undefined ? [] : [c.get as Getter]));
  return { width: getters.length, bind: rowBinder(getters) };
}

export function tableStatements(db: Db, t: AnyTable): TableStatements {
  return prepareInsert(db, tableInsertSql(t));
}

/** The statements of one table with the binder that lays out a row's values for them. */
export type TableInsert = TableStatements & TableBinder;

export function tableInsert(db: Db, t: AnyTable): TableInsert {
  return { ...tableStatements(db, t), ...tableBinder(t) };
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

/**
 * The statements that make the rows of `t` inserted as they arrived (ids:
 * arrival numbers, process ids: creation numbers; model.ts StreamedRows) the
 * model's rows: process ids mapped through temp.stream_remap (bulk.ts
 * completeStreamedRows), then numbered again in (time, process id, arrival)
 * order. The table keeps its place in the schema.
 */
export function streamedRowsSql(t: AnyTable): string {
  const rest = insertedColumns(t).filter((c) => c !== 'id' && c !== 'process_id' && c !== 'time_ns');
  return `
    CREATE TEMP TABLE stream_arrival AS
      SELECT a.id AS arrival, coalesce(r.new, a.process_id) AS process_id, a.time_ns, ${rest.map((c) => `a.${c}`).join(', ')}
      FROM ${t.name} a LEFT JOIN temp.stream_remap r ON r.old = a.process_id;
    DELETE FROM ${t.name};
    INSERT INTO ${t.name} (id, process_id, time_ns, ${rest.join(', ')})
      SELECT row_number() OVER (ORDER BY time_ns, process_id, arrival), process_id, time_ns, ${rest.join(', ')}
      FROM temp.stream_arrival ORDER BY time_ns, process_id, arrival;
    DROP TABLE temp.stream_arrival;
  `;
}
