// JSON text for documents of any nesting depth: JSON.stringify recurses (a
// tree 10,000s of levels deep overflows the stack) and its indentation grows
// with depth (quadratic output). This writer is iterative; it indents like
// JSON.stringify(value, null, 2) down to `prettyDepth` levels of nesting and
// writes anything deeper compactly, so the output stays linear in the input.

type Json = unknown;

/** Values JSON.stringify leaves out of objects (and writes as null in arrays). */
const omitted = (v: Json): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol';

interface Frame {
  /** Entries still to write: [key (null in arrays), value]. */
  entries: [string | null, Json][];
  next: number;
  close: string;
  depth: number;
}

/**
 * `value` as JSON text, in chunks (each at most about `chunkSize` characters).
 * Identical to JSON.stringify(value, null, 2) while nesting stays within
 * `prettyDepth` levels; deeper values are compact (no spaces, no newlines).
 */
export function* jsonChunks(value: Json, prettyDepth = 40, chunkSize = 1 << 20): Generator<string> {
  let buf = '';
  const indent = (depth: number): string => (depth <= prettyDepth ? `\n${'  '.repeat(depth)}` : '');
  const stack: Frame[] = [];
  /** Writes a scalar, or opens a container (pushing its frame). */
  const put = (v: Json, depth: number): void => {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON !== 'function') {
      const isArray = Array.isArray(v);
      const entries: [string | null, Json][] = isArray
        ? (v as Json[]).map((x): [null, Json] => [null, omitted(x) ? null : x])
        : Object.entries(v as Record<string, Json>).filter(([, x]) => !omitted(x));
      if (entries.length === 0) {
        buf += isArray ? '[]' : '{}';
        return;
      }
      buf += isArray ? '[' : '{';
      stack.push({ entries, next: 0, close: indent(depth) + (isArray ? ']' : '}'), depth: depth + 1 });
      return;
    }
    buf += JSON.stringify(v) ?? 'null';
  };
  put(value, 0);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next >= top.entries.length) {
      stack.pop();
      buf += top.close;
    } else {
      const [key, v] = top.entries[top.next]!;
      if (top.next++ > 0) buf += ',';
      buf += indent(top.depth);
      if (key !== null) buf += `${JSON.stringify(key)}:${top.depth <= prettyDepth ? ' ' : ''}`;
      put(v, top.depth);
    }
    if (buf.length >= chunkSize) {
      yield buf;
      buf = '';
    }
  }
  if (buf.length > 0) yield buf;
}

/** The whole text of jsonChunks. */
export function jsonText(value: Json, prettyDepth = 40): string {
  let out = '';
  for (const c of jsonChunks(value, prettyDepth)) out += c;
  return out;
}
