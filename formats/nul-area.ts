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

/** The first string of an area (all of it when it has no NUL). */
export function firstString(area: Buffer): Buffer {
  const nul = area.indexOf(0);
  return nul < 0 ? area : area.subarray(0, nul);
}

/** Start of each string of a NUL-terminated area, plus a final entry = area.length. */
export function stringStarts(area: Buffer): Uint32Array {
  // Byte loops: most strings are short, and a native indexOf call per string costs more.
  const len = area.length;
  let n = 0;
  for (let i = 0; i < len; i++) if (area[i] === 0) n++;
  const starts = new Uint32Array(n + 1);
  let k = 1;
  for (let i = 0; i < len; i++) if (area[i] === 0) starts[k++] = i + 1;
  return starts;
}

/**
 * The NUL-terminated area the strings were split from, when they are
 * consecutive views of one buffer (what the reader produces); else a copy
 * joined the same way.
 */
export function stringArea(list: readonly Buffer[]): Buffer {
  const n = list.length;
  if (n === 0) return Buffer.alloc(0);
  const first = list[0]!;
  const last = list[n - 1]!;
  const backing = first.buffer;
  // Views of one buffer, each starting one byte (the NUL) after the previous one ends.
  if (last.buffer === backing) {
    let pos = first.byteOffset;
    let ok = true;
    for (let i = 0; i < n; i++) {
      const s = list[i]!;
      if (s.byteOffset !== pos || s.buffer !== backing) {
        ok = false;
        break;
      }
      pos += s.length + 1;
    }
    if (ok && pos <= backing.byteLength) {
      const area = Buffer.from(backing, first.byteOffset, pos - first.byteOffset);
      let end = -1;
      for (let i = 0; i < n && ok; i++) {
        end += list[i]!.length + 1;
        if (area[end] !== 0) ok = false;
      }
      if (ok) return area;
    }
  }
  return joinStrings(list);
}

/** Area → JSON array of its strings (invalid UTF-8 as U+FFFD; NUL never occurs inside a UTF-8 sequence, so decoding once is exact). */
export function stringsJson(blob: Buffer): string {
  const n = blob.length;
  if (n === 0) return '[]';
  // Fast path: printable ASCII needing no JSON escape, every argument NUL-terminated: the text is the bytes.
  if (blob[n - 1] === 0) {
    let plain = true;
    for (let i = 0; i < n; i++) {
      const c = blob[i]!;
      if (c === 0) continue;
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        plain = false;
        break;
      }
    }
    if (plain) return `["${blob.toString('latin1', 0, n - 1).replaceAll('\0', '","')}"]`;
  }
  return JSON.stringify(decodeStrings(blob));
}
