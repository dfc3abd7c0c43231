// NUL-terminated string areas: argv and environment as the kernel lays them
// out (every string followed by one NUL), and the argv TLVs of the header.
// The one codec for them; an area cut short may lack its final NUL, and its
// last, partial string is then kept.

/** Area → exact byte strings (views into it; empty strings kept; a final string without NUL kept as is). */
export function splitStrings(area: Buffer): Buffer[] {
  // A byte loop: most strings are short, and a native indexOf call per string costs more.
  const out: Buffer[] = [];
  const n = area.length;
  let start = 0;
  for (let i = 0; i < n; i++) {
    if (area[i] === 0) {
      out.push(area.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < n) out.push(area.subarray(start, n));
  return out;
}

/** Area → strings (invalid UTF-8 as U+FFFD; NUL never occurs inside a UTF-8 sequence, so decoding once is exact). */
export function decodeStrings(area: Buffer): string[] {
  if (area.length === 0) return [];
  const parts = area.toString('utf8').split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** Every string followed by one NUL (the inverse of splitStrings for complete areas). */
export function joinStrings(list: readonly Buffer[]): Buffer {
  let total = 0;
  for (const s of list) total += s.length + 1;
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (const s of list) {
    s.copy(out, o);
    o += s.length;
    out[o++] = 0;
  }
  return out;
}

/** NUL-terminated strings in an area (a final string without NUL not counted). */
export function countStrings(area: Buffer): number {
  let c = 0;
  for (let i = 0; i < area.length; i++) if (area[i] === 0) c++;
  return c;
}

/** `area` with a final NUL (a string cut short has none). */
export function terminated(area: Buffer): Buffer {
  const n = area.length;
  if (n === 0 || area[n - 1] === 0) return area;
  const out = Buffer.allocUnsafe(n + 1);
  area.copy(out, 0);
  out[n] = 0;
  return out;
}
