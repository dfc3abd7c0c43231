// SQLite's sort order for index keys (https://www.sqlite.org/datatype3.html#sort_order):
// NULL first, then numbers by value (integers and reals compared as numbers),
// text by its UTF-8 bytes (the BINARY collation), then blobs by bytes. Big
// indexes are sorted by rank: each column's distinct values are sorted once,
// then the rows are counting-sorted by rank, one column at a time.

import type { Value } from './record.ts';

function typeClass(v: Value): number {
  if (v === null || (typeof v === 'number' && Number.isNaN(v))) return 0;
  if (typeof v === 'number' || typeof v === 'bigint') return 1;
  if (typeof v === 'string') return 2;
  return 3;
}

/** -1, 0 or 1 as a number and a bigint compare, exactly. */
function compareMixed(x: number, y: bigint): number {
  if (x === Infinity) return 1;
  if (x === -Infinity) return -1;
  const floor = BigInt(Math.floor(x));
  if (floor < y) return -1;
  if (floor > y) return 1;
  return Number.isInteger(x) ? 0 : 1;
}

function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  return typeof a === 'number' ? compareMixed(a, b as bigint) : -compareMixed(b as number, a);
}

/** Text compared as UTF-8 bytes; a JS string comparison (UTF-16 code units) agrees unless a surrogate or U+E000.. is involved. */
const UTF16_ORDER_DIFFERS = /[\uD800-\uFFFF]/;

/** SQLite's order of two values under the BINARY collation (text as strings, or as UTF-8 bytes when `bytes`). */
function compareValues(a: Value, b: Value, bytes: (s: string) => Uint8Array): number {
  const ca = typeClass(a);
  const cb = typeClass(b);
  if (ca !== cb) return ca - cb;
  if (ca === 0) return 0;
  if (ca === 1) return compareNumbers(a as number | bigint, b as number | bigint);
  if (ca === 2) return Buffer.compare(bytes(a as string), bytes(b as string));
  return Buffer.compare(a as Uint8Array, b as Uint8Array);
}

/** Rank of every value of `column` in SQLite's order (equal values, equal ranks), and the number of ranks. */
function ranks(column: readonly Value[]): { rank: Int32Array; count: number } {
  const ids = new Map<Value, number>();
  const distinct: Value[] = [];
  const byRow = new Int32Array(column.length);
  for (let i = 0; i < column.length; i++) {
    const v = column[i]!;
    let id = ids.get(v);
    if (id === undefined) {
      id = distinct.length;
      ids.set(v, id);
      distinct.push(v);
    }
    byRow[i] = id;
  }
  const utf16 = !distinct.some((v) => typeof v === 'string' && UTF16_ORDER_DIFFERS.test(v));
  const encoded = new Map<string, Uint8Array>();
  const bytes = (s: string): Uint8Array => {
    let b = encoded.get(s);
    if (b === undefined) encoded.set(s, (b = Buffer.from(s, 'utf8')));
    return b;
  };
  const compare = (a: Value, b: Value): number =>
    utf16 && typeof a === 'string' && typeof b === 'string' ? (a < b ? -1 : a > b ? 1 : 0) : compareValues(a, b, bytes);
  const sorted = distinct.map((_, i) => i).sort((a, b) => compare(distinct[a]!, distinct[b]!));
  const rankOfId = new Int32Array(distinct.length);
  let r = -1;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || compare(distinct[sorted[i - 1]!]!, distinct[sorted[i]!]!) !== 0) r++;
    rankOfId[sorted[i]!] = r;
  }
  for (let i = 0; i < byRow.length; i++) byRow[i] = rankOfId[byRow[i]!]!;
  return { rank: byRow, count: r + 1 };
}

/**
 * Row positions sorted by the key columns (each holds one value per row),
 * ties kept in row order; also whether two rows have the same key with no
 * NULL in it (a UNIQUE index or a primary key would refuse them).
 */
export function keyOrder(columns: readonly (readonly Value[])[], rows: number): { order: Int32Array; duplicate: boolean } {
  let order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  const ranked = columns.map((c) => ranks(c));
  // Least significant column first; counting sort is stable, so earlier columns end up deciding.
  for (let c = ranked.length - 1; c >= 0; c--) {
    const { rank, count } = ranked[c]!;
    const starts = new Int32Array(count + 1);
    for (let i = 0; i < rows; i++) starts[rank[i]! + 1]!++;
    for (let k = 0; k < count; k++) starts[k + 1]! += starts[k]!;
    const next = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      const row = order[i]!;
      next[starts[rank[row]!]!++] = row;
    }
    order = next;
  }
  let duplicate = false;
  for (let i = 1; i < rows && !duplicate; i++) {
    const a = order[i - 1]!;
    const b = order[i]!;
    duplicate = columns.every((col, c) => ranked[c]!.rank[a] === ranked[c]!.rank[b] && typeClass(col[a]!) !== 0);
  }
  return { order, duplicate };
}
