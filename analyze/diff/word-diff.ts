// A word-level diff of two command lines: the arguments as words, the edit
// that keeps the longest common subsequence. Arguments equal once
// normalised (normalise.ts) count as equal. Bounded: the common prefix and
// suffix are cut first, and past MAX_CELLS (or the caller's budget) the middle
// is one removal and one addition instead of a quadratic table.

export type WordOp = { op: 'same' | 'removed' | 'added'; word: string };

export const MAX_CELLS = 1_000_000;

/** `maxCells`: the table size allowed for this diff (callers diffing many command lines share a budget). */
export function wordDiff(
  a: readonly string[],
  b: readonly string[],
  equal: (i: number, j: number) => boolean = (i, j) => a[i] === b[j],
  maxCells = MAX_CELLS,
): WordOp[] {
  let head = 0;
  while (head < a.length && head < b.length && equal(head, head)) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && equal(a.length - 1 - tail, b.length - 1 - tail)) tail++;
  const out: WordOp[] = [];
  for (let i = 0; i < head; i++) out.push({ op: 'same', word: a[i]! });
  const n = a.length - head - tail;
  const m = b.length - head - tail;
  if (n * m > Math.min(maxCells, MAX_CELLS)) {
    for (let i = 0; i < n; i++) out.push({ op: 'removed', word: a[head + i]! });
    for (let j = 0; j < m; j++) out.push({ op: 'added', word: b[head + j]! });
  } else if (n > 0 || m > 0) {
    // lcs[i][j]: length of the LCS of a[head+i..] and b[head+j..].
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        lcs[i * w + j] = equal(head + i, head + j)
          ? lcs[(i + 1) * w + j + 1]! + 1
          : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && equal(head + i, head + j)) {
        out.push({ op: 'same', word: a[head + i]! });
        i++;
        j++;
      } else if (i < n && (j === m || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
        out.push({ op: 'removed', word: a[head + i]! });
        i++;
      } else {
        out.push({ op: 'added', word: b[head + j]! });
        j++;
      }
    }
  }
  for (let i = a.length - tail; i < a.length; i++) out.push({ op: 'same', word: a[i]! });
  return out;
}
