// Bound row values in a form that crosses to another thread cheaply: one tag
// per value and typed arrays (moved, not copied, by postMessage), each
// distinct short string sent once (a dictionary both sides keep); long
// strings (argv as JSON: one per exec, rarely repeated) travel inline, never
// hashed nor kept. A structured clone of the values themselves
// costs ~50 ns a value on each side, as much as SQLite's own insert.
// Pure: no SQLite, no threads.

import type { SqlValue } from './schema.ts';

const NULL = 0;
const NUMBER = 1;
/** A bigint in SQLite's int64 range. */
const INT64 = 2;
const STRING = 3;
const BLOB = 4;
/** Anything else (a bigint out of range): passed through by structured clone, so that SQLite refuses it as before. */
const OTHER = 5;
/** A string longer than INLINE_LENGTH: sent in the batch's `inline` list, outside the dictionary. */
const INLINE = 6;

/** Strings up to this length go through the dictionary. */
export const INLINE_LENGTH = 128;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Distinct strings remembered per direction before both sides start over: bounds the memory of a long stream. */
const DICTIONARY_LIMIT = 1 << 16;

/** The values of `rows` rows of one table, `width` values a row. */
export interface RowBatch {
  table: string;
  rows: number;
  width: number;
  tags: Uint8Array;
  /** Numbers; for strings their dictionary index, for blobs their end offset in `blobs`. */
  nums: Float64Array;
  bigs: BigInt64Array;
  /** The strings first used in this batch, appended to the dictionary in order. */
  strings: string[];
  /** The dictionary starts over before this batch's strings. */
  resetStrings: boolean;
  /** Long strings, each used once, in order. */
  inline: string[];
  blobs: Uint8Array;
  others: SqlValue[];
}

/** The buffers of `b`, to move with postMessage. */
export function batchTransfer(b: RowBatch): ArrayBuffer[] {
  return [b.tags.buffer, b.nums.buffer, b.bigs.buffer, b.blobs.buffer] as ArrayBuffer[];
}

/** The typed arrays of a batch, handed back by the receiver to be filled again. */
export interface BatchBuffers {
  tags: Uint8Array;
  nums: Float64Array;
  bigs: BigInt64Array;
}

/** Builds batches from bound values; one encoder per stream (its string dictionary is the receiver's). */
export class BatchEncoder {
  private readonly dictionary = new Map<string, number>();
  /** Values per batch: every batch's buffers have this size, so that they can be used again. */
  readonly capacity: number;
  private reset = false;
  private table = '';
  private width = 0;
  private n = 0;
  private rows = 0;
  private tags: Uint8Array = new Uint8Array(0);
  private nums: Float64Array = new Float64Array(0);
  private bigs: BigInt64Array = new BigInt64Array(0);
  private strings: string[] = [];
  private inline: string[] = [];
  private blobs = new Uint8Array(0);
  private blobEnd = 0;
  private others: SqlValue[] = [];
  /** Per column, the last string and its index: most columns repeat a value from one row to the next. */
  private lastString: (string | undefined)[] = [];
  private lastIndex: number[] = [];

  constructor(capacity = 1 << 15) {
    this.capacity = capacity;
  }

  /** Starts a batch of rows of `table`, `width` values each, in `buffers` (new ones when absent or of another size). */
  begin(table: string, width: number, buffers?: BatchBuffers): void {
    if (width > this.capacity) throw new Error(`a row of ${table} does not fit in a batch`);
    if (this.dictionary.size >= DICTIONARY_LIMIT) {
      this.dictionary.clear();
      this.reset = true;
    }
    if (this.reset || table !== this.table) {
      this.lastString = new Array(width).fill(undefined);
      this.lastIndex = new Array(width).fill(0);
    }
    this.table = table;
    this.width = width;
    this.n = 0;
    this.rows = 0;
    if (buffers !== undefined && buffers.tags.length === this.capacity) {
      this.tags = buffers.tags;
      this.nums = buffers.nums;
      this.bigs = buffers.bigs;
    } else {
      this.tags = new Uint8Array(this.capacity);
      this.nums = new Float64Array(this.capacity);
      this.bigs = new BigInt64Array(this.capacity);
    }
    this.strings = [];
    this.inline = [];
    this.blobEnd = 0;
    this.others = [];
  }

  get full(): boolean {
    return this.n + this.width > this.capacity;
  }

  get empty(): boolean {
    return this.rows === 0;
  }

  /** Appends one row: the first `width` entries of `values`. */
  add(values: readonly SqlValue[]): void {
    const { tags, nums } = this;
    let k = this.n;
    for (let c = 0; c < this.width; c++, k++) {
      const v = values[c];
      if (v === null || v === undefined) tags[k] = NULL;
      else if (typeof v === 'number') {
        tags[k] = NUMBER;
        nums[k] = v;
      } else if (typeof v === 'string') {
        if (v.length > INLINE_LENGTH) {
          tags[k] = INLINE;
          nums[k] = this.inline.push(v) - 1;
          continue;
        }
        tags[k] = STRING;
        if (v === this.lastString[c]) nums[k] = this.lastIndex[c]!;
        else {
          this.lastString[c] = v;
          nums[k] = this.lastIndex[c] = this.stringIndex(v);
        }
      } else if (typeof v === 'bigint') {
        if (v >= INT64_MIN && v <= INT64_MAX) {
          tags[k] = INT64;
          this.bigs[k] = v;
        } else {
          tags[k] = OTHER;
          nums[k] = this.others.push(v) - 1;
        }
      } else if (v instanceof Uint8Array) {
        tags[k] = BLOB;
        nums[k] = this.blob(v);
      } else {
        tags[k] = OTHER;
        nums[k] = this.others.push(v) - 1;
      }
    }
    this.n = k;
    this.rows++;
  }

  /** The batch built since begin(). */
  take(): RowBatch {
    const b: RowBatch = {
      table: this.table,
      rows: this.rows,
      width: this.width,
      tags: this.tags,
      nums: this.nums,
      bigs: this.bigs,
      strings: this.strings,
      resetStrings: this.reset,
      inline: this.inline,
      blobs: this.blobs.slice(0, this.blobEnd),
      others: this.others,
    };
    this.reset = false;
    this.rows = 0;
    this.n = 0;
    return b;
  }

  private stringIndex(s: string): number {
    let i = this.dictionary.get(s);
    if (i === undefined) {
      i = this.dictionary.size;
      this.dictionary.set(s, i);
      this.strings.push(s);
    }
    return i;
  }

  private blob(v: Uint8Array): number {
    const end = this.blobEnd + v.length;
    if (end > this.blobs.length) {
      const grown = new Uint8Array(Math.max(end, this.blobs.length * 2, 4096));
      grown.set(this.blobs.subarray(0, this.blobEnd));
      this.blobs = grown;
    }
    this.blobs.set(v, this.blobEnd);
    this.blobEnd = end;
    return end;
  }
}

/** The receiving side of one BatchEncoder's stream: open() a batch, then read its rows in order. */
export class BatchDecoder {
  private strings: string[] = [];
  private batch: RowBatch | null = null;
  private blobBuffer: Buffer = Buffer.alloc(0);
  private blobStart = 0;
  private k = 0;
  /** Rows of the open batch not read yet. */
  left = 0;

  open(b: RowBatch): void {
    if (b.resetStrings) this.strings = [];
    for (const s of b.strings) this.strings.push(s);
    this.batch = b;
    this.blobBuffer = Buffer.from(b.blobs.buffer, b.blobs.byteOffset, b.blobs.byteLength);
    this.blobStart = 0;
    this.k = 0;
    this.left = b.rows;
  }

  /** Writes the values of the next `rows` rows into `out` from index 0. */
  read(out: SqlValue[], rows: number): void {
    const { strings, blobBuffer } = this;
    const { tags, nums, bigs, others, inline, width } = this.batch!;
    const count = rows * width;
    let k = this.k;
    for (let j = 0; j < count; j++, k++) {
      switch (tags[k]) {
        case NUMBER:
          out[j] = nums[k]!;
          break;
        case STRING:
          out[j] = strings[nums[k]!]!;
          break;
        case INLINE:
          out[j] = inline[nums[k]!]!;
          break;
        case INT64:
          out[j] = bigs[k]!;
          break;
        case BLOB: {
          const end = nums[k]!;
          out[j] = blobBuffer.subarray(this.blobStart, end);
          this.blobStart = end;
          break;
        }
        case OTHER:
          out[j] = others[nums[k]!]!;
          break;
        default:
          out[j] = null;
      }
    }
    this.k = k;
    this.left -= rows;
  }
}
