// SQLite's record format (https://www.sqlite.org/fileformat2.html#record_format):
// a header of varints (its own length, then one serial type per column)
// followed by the values, big-endian. Values are stored the way SQLite stores
// a value bound through better-sqlite3 into a column of the given affinity,
// so that a row written here reads back exactly as an INSERT would have left
// it.

/** What a row gives for a column (better-sqlite3's bindable values). */
export type Value = null | number | bigint | string | Uint8Array;

/**
 * Column affinity (https://www.sqlite.org/datatype3.html#type_affinity), as
 * a small number for the encoder's inner loop. REAL affinity (integral
 * values stored as integers on disk) is not needed by the schema and not
 * supported.
 */
export const INTEGER = 0;
export const NUMERIC = 1;
export const TEXT = 2;
export const BLOB = 3;
export type Affinity = typeof INTEGER | typeof NUMERIC | typeof TEXT | typeof BLOB;

/** The affinity SQLite gives a declared column type. */
export function affinityOf(declared: string): Affinity {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return INTEGER;
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return TEXT;
  if (t.includes('BLOB') || t === '') return BLOB;
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) throw new Error(`columns of type ${declared} (REAL affinity) are not supported`);
  return NUMERIC;
}

/** SQLite would convert text bound into a numeric column, or a number into a text one; no row here does that. */
function affinityError(v: Value, affinity: number): TypeError {
  return new TypeError(`${typeof v} value in a column of ${["integer", "numeric", "text", "blob"][affinity]} affinity`);
}

// ---------------------------------------------------------------- varints

/** Bytes of SQLite's varint for a non-negative integer below 2^53. */
export function varintLength(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  let len = 4;
  for (let v = Math.floor(n / 0x10000000); v > 0; v = Math.floor(v / 128)) len++;
  return len;
}

/** Writes the varint of `n` (non-negative, below 2^53: at most 8 bytes, so no 9-byte form) at `pos`; returns the end. */
export function putVarint(out: Uint8Array, pos: number, n: number): number {
  if (n < 0x80) {
    out[pos] = n;
    return pos + 1;
  }
  const len = varintLength(n);
  let v = n;
  for (let i = len - 1; i >= 0; i--) {
    out[pos + i] = (v % 128) | (i === len - 1 ? 0 : 0x80);
    v = Math.floor(v / 128);
  }
  return pos + len;
}

// ---------------------------------------------------------------- records

const TWO32 = 0x100000000;
/** Body length of the integer serial types 1–6. */
const INT_BYTES = [0, 1, 2, 3, 4, 6, 8];
const MAX_INT64 = 9223372036854775807;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Encodes rows into SQLite records, applying each column's affinity the way
 * an INSERT of better-sqlite3's bound values does: a JS number is bound as a
 * double, which a column of integer or numeric affinity stores as an integer
 * when it is one (a column without affinity keeps the double); a bigint is
 * an integer; NaN is NULL.
 *
 * The values are written first, after room for the largest header, and the
 * header right before them: the record is `bytes[start, end)`, valid until
 * the next call.
 */
export class RecordEncoder {
  bytes: Buffer = Buffer.allocUnsafe(1 << 16);
  start = 0;
  end = 0;
  private view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  private header = new Uint8Array(64);
  /** Serial type of the integer last written by putWideInt. */
  private wideType = 0;

  /** Encodes `values` (column i with affinity `affinities[i]`); `nullColumn` ≥ 0 is stored as NULL (the rowid alias). */
  encode(values: readonly Value[], affinities: Uint8Array, nullColumn = -1): void {
    const count = affinities.length;
    if (this.header.length < 9 * count) this.header = new Uint8Array(9 * count);
    const head = this.header;
    const bodyStart = 9 * (count + 1); // room for the largest header
    let b = this.bytes;
    let p = bodyStart;
    let h = 0;
    for (let i = 0; i < count; i++) {
      const v = i === nullColumn ? null : values[i]!;
      // Every value but text and blobs takes at most 8 bytes.
      if (p + 8 > b.length) b = this.grow(p, 8);
      let type = 0;
      if (typeof v === 'number') {
        const a = affinities[i]!;
        if (a === TEXT) throw affinityError(v, a);
        if (v !== v) {
          type = 0; // NaN is bound as NULL
        } else if (a === BLOB || !Number.isInteger(v) || v <= -MAX_INT64 - 1 || v >= MAX_INT64) {
          this.view.setFloat64(p, v);
          p += 8;
          type = 7;
        } else if (v === 0 || v === 1) {
          type = 8 + v;
        } else if (v >= -0x80 && v < 0x80) {
          b[p++] = v & 0xff;
          type = 1;
        } else if (v >= -0x8000 && v < 0x8000) {
          b[p++] = (v >> 8) & 0xff;
          b[p++] = v & 0xff;
          type = 2;
        } else {
          p = this.putWideInt(p, v);
          type = this.wideType;
        }
      } else if (typeof v === 'string') {
        const a = affinities[i]!;
        if (a !== TEXT && a !== BLOB) throw affinityError(v, a);
        const n = v.length;
        if (p + 3 * n > b.length) b = this.grow(p, 3 * n);
        let j = 0;
        for (; j < n; j++) {
          const c = v.charCodeAt(j);
          if (c >= 0x80) break;
          b[p + j] = c;
        }
        const len = j === n ? n : b.write(v, p, 'utf8');
        p += len;
        type = 13 + 2 * len;
      } else if (v === null) {
        type = 0;
      } else if (typeof v === 'bigint') {
        const a = affinities[i]!;
        if (a === TEXT) throw affinityError(v, a);
        if (v >= SAFE_MIN && v <= SAFE_MAX) {
          const n = Number(v);
          if (n === 0 || n === 1) {
            type = 8 + n;
          } else {
            p = this.putWideInt(p, n);
            type = this.wideType;
          }
        } else {
          if (v < INT64_MIN || v > INT64_MAX) throw new RangeError('The bound string, buffer, or bigint is too big');
          this.view.setBigInt64(p, v);
          p += 8;
          type = 6;
        }
      } else {
        if (p + v.length > b.length) b = this.grow(p, v.length);
        b.set(v, p);
        p += v.length;
        type = 12 + 2 * v.length;
      }
      if (type < 0x80) head[h++] = type;
      else h = putVarint(head, h, type);
    }
    // The header's length counts its own varint.
    let own = 1;
    while (varintLength(h + own) > own) own++;
    const start = bodyStart - h - own;
    const at = putVarint(b, start, h + own);
    for (let i = 0; i < h; i++) b[at + i] = head[i]!;
    this.start = start;
    this.end = p;
  }

  /** A bigger buffer holding the record so far, with room for `n` more bytes at `p`. */
  private grow(p: number, n: number): Buffer {
    const grown = Buffer.allocUnsafe(Math.max(p + n, this.bytes.length * 2));
    this.bytes.copy(grown, 0, 0, p);
    this.bytes = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
    return grown;
  }

  /** An integer (not 0 or 1) in the fewest bytes, serial types 1–6, big-endian two's complement; sets wideType. */
  private putWideInt(p: number, v: number): number {
    const dv = this.view;
    let type: number;
    if (v >= -0x80 && v < 0x80) {
      dv.setInt8(p, v);
      type = 1;
    } else if (v >= -0x8000 && v < 0x8000) {
      dv.setInt16(p, v);
      type = 2;
    } else if (v >= -0x800000 && v < 0x800000) {
      dv.setInt8(p, v >> 16);
      dv.setUint16(p + 1, v & 0xffff);
      type = 3;
    } else if (v >= -0x80000000 && v < 0x80000000) {
      dv.setInt32(p, v);
      type = 4;
    } else if (!Number.isSafeInteger(v)) {
      dv.setBigInt64(p, BigInt(v));
      type = 6;
    } else {
      const hi = Math.floor(v / TWO32);
      const lo = v - hi * TWO32;
      if (hi >= -0x8000 && hi < 0x8000) {
        dv.setInt16(p, hi);
        dv.setUint32(p + 2, lo);
        type = 5;
      } else {
        dv.setInt32(p, hi);
        dv.setUint32(p + 4, lo);
        type = 6;
      }
    }
    this.wideType = type;
    return p + INT_BYTES[type]!;
  }
}
