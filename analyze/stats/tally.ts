// Aggregates as SQLite computes them, for the sections that tally the model's
// rows in JavaScript: exact integer sums, counts by label and "top N" selections.

import { compareUtf8 } from './context.ts';

/**
 * A sum of integers, exact as SQLite's sum() and total() are over INTEGER
 * columns: each value is at most 2^53 - 1, but their sum need not be, and
 * adding JS numbers would round at every step past 2^53 instead of once.
 */
export class IntTotal {
  private small = 0;
  private big = 0n;

  add(v: number | bigint | null): void {
    if (v === null) return;
    if (typeof v === 'bigint') {
      this.big += v;
      return;
    }
    const s = this.small + v;
    if (Number.isSafeInteger(s)) this.small = s;
    else {
      this.big += BigInt(this.small) + BigInt(v);
      this.small = 0;
    }
  }

  get value(): number {
    return this.big === 0n ? this.small : Number(this.big + BigInt(this.small));
  }
}

/** The first `n` of `xs` in `order`, in one pass that keeps only `n` (the lists are long, `n` small). */
export function topOf<T>(xs: Iterable<T>, n: number, order: (a: T, b: T) => number): T[] {
  const top: T[] = [];
  if (n <= 0) return top;
  for (const x of xs) {
    if (top.length === n && order(x, top[n - 1]!) >= 0) continue;
    let i = top.length === n ? n - 1 : top.length;
    while (i > 0 && order(x, top[i - 1]!) < 0) {
      top[i] = top[i - 1]!;
      i--;
    }
    top[i] = x;
  }
  return top;
}

/** SQL's ascending order of nullable numbers: NULL first. */
export function nullsFirst(a: number | null, b: number | null): number {
  return a === b ? 0 : a === null ? -1 : b === null ? 1 : a - b;
}

/** SQL's ascending order of nullable text: NULL first, then by UTF-8 bytes. */
export function nullsFirstText(a: string | null, b: string | null): number {
  return a === b ? 0 : a === null ? -1 : b === null ? 1 : compareUtf8(a, b);
}

/** a - b of bigints as an order. */
export function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The counted keys, most frequent first, ties by UTF-8 bytes; the first `n` of them (all by default). */
export function mostFrequent(counts: ReadonlyMap<string, number>, n = Infinity): [string, number][] {
  const order = (a: [string, number], b: [string, number]): number => b[1] - a[1] || compareUtf8(a[0], b[0]);
  return n === Infinity ? [...counts].sort(order) : topOf(counts, n, order);
}

/**
 * `rows` by `label`, most frequent first (ties by UTF-8 bytes), each label
 * with its `n` most frequent `example` keys: one pass, however many labels
 * the data holds.
 */
export function byLabel<T>(
  rows: Iterable<T>,
  label: (r: T) => string,
  example: (r: T) => string,
  n = 3,
): { label: string; count: number; examples: string[] }[] {
  const counts = new Map<string, number>();
  const examples = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const l = label(r);
    counts.set(l, (counts.get(l) ?? 0) + 1);
    let byExample = examples.get(l);
    if (byExample === undefined) examples.set(l, (byExample = new Map()));
    const e = example(r);
    byExample.set(e, (byExample.get(e) ?? 0) + 1);
  }
  return mostFrequent(counts).map(([l, count]) => ({
    label: l,
    count,
    examples: mostFrequent(examples.get(l)!, n).map(([e]) => e),
  }));
}
