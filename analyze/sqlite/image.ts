// A whole SQLite database file built in memory from rows, without going
// through INSERT: SQLite itself creates the schema (tables, indexes, views)
// in an empty database, which gives the file header, sqlite_schema and one
// empty root page per table and index; the rows and index entries are then
// encoded as records (record.ts) and laid out as B-trees (btree.ts) under
// those roots. A bulk INSERT spends most of its time binding values one call
// at a time and sorting index keys; this writes the same content directly.
//
// The result is an ordinary database: `new Database(image)` opens it in
// memory, or it is written to a file as is. SCHEMA.md (Loading) describes it.

import Database from 'better-sqlite3';
import { IndexTree, type PageOutput, PageStore, TableTree } from './btree.ts';
import { keyOrder } from './order.ts';
import { affinityOf, INTEGER, RecordEncoder, type Value } from './record.ts';

/** A table's rows: `count` of them, `put(i, out)` writing row i's column values in declaration order. */
export interface RowSource {
  table: string;
  count: number;
  put: (i: number, out: Value[]) => void;
}

interface IndexInfo {
  name: string;
  root: number;
  /** Key columns (column numbers; -1 is the rowid). */
  columns: number[];
  unique: boolean;
}

interface TableInfo {
  name: string;
  root: number;
  affinities: Uint8Array;
  /** The INTEGER PRIMARY KEY column (the rowid), or -1. */
  rowidColumn: number;
  /** WITHOUT ROWID: the table is a B-tree of records in this column order (primary key first). */
  keyedColumns: number[] | null;
  /** Primary key columns of a WITHOUT ROWID table (a prefix of keyedColumns). */
  keyCount: number;
  indexes: IndexInfo[];
}

interface Template {
  file: Buffer;
  tables: TableInfo[];
}

const templates = new Map<string, Template>();

/** The empty database of `schemaSql` and what it says about every table (built once per schema). */
function template(schemaSql: string): Template {
  let t = templates.get(schemaSql);
  if (t !== undefined) return t;
  const db = new Database(':memory:');
  try {
    db.exec(schemaSql);
    const roots = new Map<string, number>();
    for (const r of db.prepare("SELECT name, rootpage FROM sqlite_schema WHERE type IN ('table', 'index')").all() as { name: string; rootpage: number }[]) {
      roots.set(r.name, r.rootpage);
    }
    const tables: TableInfo[] = [];
    const list = db.pragma('table_list') as { name: string; type: string; wr: number; schema: string }[];
    for (const x of list) {
      if (x.schema === 'main' && x.type === 'table' && !x.name.startsWith('sqlite_')) tables.push(tableInfo(db, x.name, x.wr === 1, roots));
    }
    t = { file: db.serialize(), tables };
  } finally {
    db.close();
  }
  templates.set(schemaSql, t);
  return t;
}

function tableInfo(db: Database.Database, name: string, withoutRowid: boolean, roots: Map<string, number>): TableInfo {
  const cols = db.pragma(`table_xinfo("${name}")`) as { cid: number; type: string; pk: number; hidden: number }[];
  if (cols.some((c) => c.hidden !== 0)) throw new Error(`${name}: generated or hidden columns are not supported`);
  const affinities = Uint8Array.from(cols, (c) => affinityOf(c.type));
  const pk = cols.filter((c) => c.pk > 0);
  const rowidColumn = !withoutRowid && pk.length === 1 && pk[0]!.type.toUpperCase() === 'INTEGER' ? pk[0]!.cid : -1;
  const info: TableInfo = { name, root: roots.get(name)!, affinities, rowidColumn, keyedColumns: null, keyCount: 0, indexes: [] };
  for (const ix of db.pragma(`index_list("${name}")`) as { name: string; unique: number; origin: string; partial: number }[]) {
    if (ix.partial) throw new Error(`${ix.name}: partial indexes are not supported`);
    const xcols = db.pragma(`index_xinfo("${ix.name}")`) as { cid: number; key: number; desc: number; coll: string }[];
    for (const c of xcols) {
      if (c.cid === -2) throw new Error(`${ix.name}: indexes on expressions are not supported`);
      if (c.desc !== 0 || (c.coll !== null && c.coll !== 'BINARY')) throw new Error(`${ix.name}: only ascending BINARY keys are supported`);
    }
    if (withoutRowid && ix.origin === 'pk') {
      info.keyedColumns = xcols.map((c) => c.cid);
      info.keyCount = xcols.filter((c) => c.key === 1).length;
    } else {
      info.indexes.push({ name: ix.name, root: roots.get(ix.name)!, columns: xcols.filter((c) => c.key === 1).map((c) => c.cid), unique: ix.unique === 1 });
    }
  }
  return info;
}

const inMemory: PageOutput = { allocate: (bytes) => Buffer.allocUnsafeSlow(bytes) };

/**
 * The database file of `schemaSql` holding `sources` (one per table of the
 * schema, rows in rowid order for rowid tables), in chunks of pages: the
 * first one in memory from `output`, which learns as the pages are done.
 */
export function databasePages(schemaSql: string, sources: readonly RowSource[], output = inMemory): Buffer[] {
  const t = template(schemaSql);
  const bySource = new Map(sources.map((s) => [s.table, s]));
  for (const s of sources) if (!t.tables.some((x) => x.name === s.table)) throw new Error(`rows for ${s.table}, which the schema does not have`);
  const encoder = new RecordEncoder();
  for (const table of t.tables) if (!bySource.has(table.name)) throw new Error(`no rows given for table ${table.name}`);
  const store = new PageStore(t.file, expectedSize(t.tables, bySource, encoder), output);
  for (const table of t.tables) {
    const source = bySource.get(table.name)!;
    if (table.keyedColumns === null) writeRowidTable(store, table, source, encoder);
    else writeKeyedTable(store, table, source, encoder);
  }
  return store.finish();
}

/**
 * About the size of the file, with some room to spare: records of a sample
 * of each table's rows, their index entries, B-tree overhead.
 */
function expectedSize(tables: readonly TableInfo[], sources: Map<string, RowSource>, encoder: RecordEncoder): number {
  const SAMPLES = 64;
  let bytes = 0;
  for (const table of tables) {
    const source = sources.get(table.name)!;
    const n = source.count;
    if (n === 0) continue;
    const values: Value[] = new Array(table.affinities.length);
    let sampled = 0;
    let recordBytes = 0;
    let keyBytes = 0;
    for (let i = 0; i < n; i += Math.max(1, Math.floor(n / SAMPLES))) {
      values.fill(null);
      source.put(i, values);
      encoder.encode(values, table.affinities);
      recordBytes += encoder.end - encoder.start;
      for (const ix of table.indexes) {
        encoder.encode(ix.columns.map((c) => (c < 0 ? 0 : values[c]!)), Uint8Array.from(ix.columns, (c) => (c < 0 ? INTEGER : table.affinities[c]!)));
        keyBytes += encoder.end - encoder.start + 9;
      }
      sampled++;
    }
    bytes += (n * (recordBytes + keyBytes)) / sampled + n * (12 + 4 * table.indexes.length);
  }
  return Math.ceil(bytes * 1.25);
}

/** A rowid table and its indexes: records in rowid order, then each index's (key, rowid) records in key order. */
function writeRowidTable(store: PageStore, table: TableInfo, source: RowSource, encoder: RecordEncoder): void {
  const n = source.count;
  const tree = new TableTree(store, table.root);
  const keys = table.indexes.map((ix) => ix.columns.map((): Value[] => new Array(n)));
  const rowids = new Float64Array(n);
  const values: Value[] = new Array(table.affinities.length);
  let last = 0;
  for (let i = 0; i < n; i++) {
    values.fill(null);
    source.put(i, values);
    const given = table.rowidColumn < 0 ? null : values[table.rowidColumn]!;
    // A NULL rowid is the largest so far plus one, as INSERT assigns it.
    const rowid = given === null ? last + 1 : Number(given);
    if (!Number.isSafeInteger(rowid) || rowid <= last) throw new Error(`${table.name}: rowid ${String(given)} out of order (rows must come in increasing rowid order)`);
    last = rowid;
    rowids[i] = rowid;
    if (table.rowidColumn >= 0) values[table.rowidColumn] = rowid;
    encoder.encode(values, table.affinities, table.rowidColumn);
    tree.add(rowid, encoder.bytes, encoder.start, encoder.end);
    for (let x = 0; x < keys.length; x++) {
      const cols = table.indexes[x]!.columns;
      for (let c = 0; c < cols.length; c++) keys[x]![c]![i] = cols[c]! < 0 ? rowid : values[cols[c]!]!;
    }
  }
  tree.finish();
  table.indexes.forEach((ix, x) => writeIndex(store, table, ix, keys[x]!, rowids, encoder));
}

function writeIndex(store: PageStore, table: TableInfo, ix: IndexInfo, keys: Value[][], rowids: Float64Array, encoder: RecordEncoder): void {
  const { order, duplicate } = keyOrder(keys, rowids.length);
  if (ix.unique && duplicate) throw new Error(`UNIQUE constraint failed: index ${ix.name}`);
  const affinities = Uint8Array.from([...ix.columns.map((c) => (c < 0 ? INTEGER : table.affinities[c]!)), INTEGER]);
  const values: Value[] = new Array(affinities.length);
  const tree = new IndexTree(store, ix.root);
  for (let i = 0; i < order.length; i++) {
    const row = order[i]!;
    for (let c = 0; c < keys.length; c++) values[c] = keys[c]![row]!;
    values[keys.length] = rowids[row]!;
    encoder.encode(values, affinities);
    tree.add(encoder.bytes, encoder.start, encoder.end);
  }
  tree.finish();
}

/** A WITHOUT ROWID table: one B-tree of records (primary key columns first), in primary key order. */
function writeKeyedTable(store: PageStore, table: TableInfo, source: RowSource, encoder: RecordEncoder): void {
  const columnOrder = table.keyedColumns!;
  const rows: Value[][] = [];
  for (let i = 0; i < source.count; i++) {
    const values: Value[] = new Array(table.affinities.length).fill(null);
    source.put(i, values);
    rows.push(columnOrder.map((c) => values[c]!));
  }
  const keyColumns = columnOrder.slice(0, table.keyCount).map((_, c) => rows.map((r) => r[c]!));
  const { order, duplicate } = keyOrder(keyColumns, rows.length);
  if (duplicate) throw new Error(`UNIQUE constraint failed: ${table.name} primary key`);
  const affinities = Uint8Array.from(columnOrder, (c) => table.affinities[c]!);
  const tree = new IndexTree(store, table.root);
  for (let i = 0; i < order.length; i++) {
    encoder.encode(rows[order[i]!]!, affinities);
    tree.add(encoder.bytes, encoder.start, encoder.end);
  }
  tree.finish();
}
