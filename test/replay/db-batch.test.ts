// Row batches (analyze/db/batch.ts) cross to the writer thread and come back as
// the same values: numbers, int64 bigints, blobs, NULLs, short strings through
// the dictionary (also across its reset) and long ones inline.

import test from 'ava';
import { BatchDecoder, BatchEncoder, INLINE_LENGTH } from '../../analyze/db/batch.ts';
import type { SqlValue } from '../../analyze/db/schema.ts';

test('every kind of value comes back as it was sent, batch after batch', (t) => {
  const long = (i: number): string => `${'x'.repeat(INLINE_LENGTH)}${i}`;
  const rows: SqlValue[][] = [];
  for (let i = 0; i < 70_000; i++) {
    rows.push([
      i,
      BigInt(i) * 1_000_000_007n,
      `short ${i % 7}`,
      `unique ${i}`, // the dictionary fills up and starts over
      i % 3 === 0 ? long(i) : i % 3 === 1 ? long(1) : null,
      i % 5 === 0 ? Buffer.from([i & 255, 0, 1]) : null,
    ]);
  }
  const enc = new BatchEncoder(6 * 1000);
  const dec = new BatchDecoder();
  const back: SqlValue[][] = [];
  const drain = (): void => {
    const b = enc.take();
    dec.open(structuredClone(b));
    while (dec.left > 0) {
      const out = new Array<SqlValue>(6);
      dec.read(out, 1);
      back.push(out.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v)));
    }
  };
  enc.begin('t', 6);
  for (const r of rows) {
    if (enc.full) {
      drain();
      enc.begin('t', 6);
    }
    enc.add(r);
  }
  drain();
  t.is(back.length, rows.length);
  // The first row that differs, if any (a deepEqual of 70,000 rows that differ takes ava minutes to print).
  const same = (a: SqlValue, b: SqlValue): boolean =>
    a instanceof Uint8Array && b instanceof Uint8Array ? Buffer.compare(a, b) === 0 : a === b;
  const bad = back.findIndex((r, i) => r.some((v, c) => !same(v, rows[i]![c]!)));
  t.deepEqual(bad === -1 ? null : back[bad], bad === -1 ? null : rows[bad]);
});
