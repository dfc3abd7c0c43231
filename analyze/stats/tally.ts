// Aggregates as SQLite computes them, for the sections that tally the model's
// rows in JavaScript: exact integer sums, counts and "top N" selections.

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

/** a - b of bigints as an order. */
export function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How many of `xs` have each key, in first-seen order. */
export function countBy<T>(xs: Iterable<T>, key: (x: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const x of xs) {
    const k = key(x);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** The counted keys, most frequent first, ties by UTF-8 bytes; the first `n` of them (all by default). */
export function mostFrequent(counts: ReadonlyMap<string, number>, n = Infinity): [string, number][] {
  const order = (a: [string, number], b: [string, number]): number => b[1] - a[1] || compareUtf8(a[0], b[0]);
  return n === Infinity ? [...counts].sort(order) : topOf(counts, n, order);
}
