// Spans → OTLP request bodies, with the serializers of
// @opentelemetry/otlp-transformer. Their protobuf output is the OTLP wire
// format as is. Their JSON output follows the OTLP/JSON rules (hex trace and
// span ids, lowerCamelCase names, enums as integers, 64-bit times as decimal
// strings) except one: AnyValue.intValue (int64) comes out as a JSON number,
// where the protobuf JSON mapping that OTLP/JSON uses wants a decimal string.
// fixJsonInts() rewrites those; docs/otel.md records it.

import type * as OtlpTransformer from '@opentelemetry/otlp-transformer';
import type { InstrumentationScope, ReadableSpanView, Resource, SpanData } from './span.ts';
import { ReadableSpanView as View } from './span.ts';

type SerializerInput = Parameters<typeof OtlpTransformer.JsonTraceSerializer.serializeRequest>[0];

// Loaded on first use: the library takes a noticeable share of start-up, and
// only `ptrace otel` needs it.
let otlp: typeof OtlpTransformer | undefined;
export async function loadSerializers(): Promise<typeof OtlpTransformer> {
  otlp ??= await import('@opentelemetry/otlp-transformer');
  return otlp;
}
/** The loaded library; runOtel loads it before anything is encoded or sent. */
export function serializers(): typeof OtlpTransformer {
  if (!otlp) throw new Error('loadSerializers() must run before encoding');
  return otlp;
}

/**
 * `{"intValue":123}` → `{"intValue":"123"}`. Cannot touch text inside a JSON
 * string: there every `"` is escaped, so `{"` and `e":` never occur.
 */
export function fixJsonInts(json: string): string {
  return json.replace(/\{"intValue":(-?\d+)\}/g, '{"intValue":"$1"}');
}

const INT_OPEN = Buffer.from('{"intValue":');
const QUOTE = 0x22;
const CLOSE = 0x7d;
const isDigit = (c: number | undefined): boolean => c !== undefined && ((c >= 0x30 && c <= 0x39) || c === 0x2d);

/** fixJsonInts on UTF-8 bytes, without decoding: two native searches and block copies. */
export function fixJsonIntsBytes(src: Buffer): Buffer {
  const found: number[] = [];
  for (let i = src.indexOf(INT_OPEN); i >= 0; i = src.indexOf(INT_OPEN, i + INT_OPEN.length)) {
    const d = i + INT_OPEN.length;
    let e = d;
    while (isDigit(src[e])) e++;
    if (e > d && src[e] === CLOSE) found.push(d, e);
  }
  if (found.length === 0) return src;
  const out = Buffer.allocUnsafe(src.length + found.length);
  let from = 0;
  let pos = 0;
  for (let k = 0; k < found.length; k += 2) {
    const d = found[k]!;
    const e = found[k + 1]!;
    pos += src.copy(out, pos, from, d);
    out[pos++] = QUOTE;
    pos += src.copy(out, pos, d, e);
    out[pos++] = QUOTE;
    from = e;
  }
  pos += src.copy(out, pos, from);
  return out;
}

export function views(spans: readonly SpanData[], resource: Resource, scope: InstrumentationScope): ReadableSpanView[] {
  return spans.map((s) => new View(s, resource, scope));
}

/** One ExportTraceServiceRequest in protobuf. */
export function encodeProtobuf(spans: readonly ReadableSpanView[]): Uint8Array {
  const out = serializers().ProtobufTraceSerializer.serializeRequest(spans as unknown as SerializerInput);
  if (out === undefined) throw new Error('the OTLP protobuf serializer returned nothing');
  return out;
}

/** One ExportTraceServiceRequest in OTLP/JSON (UTF-8). */
export function encodeJson(spans: readonly ReadableSpanView[]): Buffer {
  const out = serializers().JsonTraceSerializer.serializeRequest(spans as unknown as SerializerInput);
  if (out === undefined) throw new Error('the OTLP JSON serializer returned nothing');
  return fixJsonIntsBytes(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
}

const SPANS_OPEN = Buffer.from('"spans":[');
const TAIL = Buffer.from(']}]}]}');
const NEWLINE = Buffer.from('\n');
const COMMA = Buffer.from(',');

/**
 * One ExportTraceServiceRequest holding every span as OTLP/JSON (one line,
 * newline-terminated), produced a slice of spans at a time so the whole
 * document never has to exist at once. Every slice is serialized on its own;
 * as all spans share one resource and one scope, each slice is
 * `prefix + spans + "]}]}]}"` with the same prefix, and the document is the
 * prefix, the slices' spans joined by commas, and the tail. Checked for every
 * slice.
 */
export function* jsonDocumentChunks(
  spans: Iterable<SpanData>,
  resource: Resource,
  scope: InstrumentationScope,
  sliceSize = 256,
): Generator<Buffer> {
  let prefix: Buffer | null = null;
  for (const slice of slices(spans, sliceSize)) {
    const bytes = encodeJson(views(slice, resource, scope));
    const open = bytes.indexOf(SPANS_OPEN);
    if (open < 0 || !bytes.subarray(bytes.length - TAIL.length).equals(TAIL))
      throw new Error('unexpected OTLP/JSON layout from the serializer');
    const headEnd = open + SPANS_OPEN.length;
    const body = bytes.subarray(headEnd, bytes.length - TAIL.length);
    if (prefix === null) {
      prefix = bytes.subarray(0, headEnd);
      yield prefix;
    } else {
      if (!bytes.subarray(0, headEnd).equals(prefix))
        throw new Error('OTLP/JSON slices do not share one resource and scope');
      yield COMMA;
    }
    yield body;
  }
  if (prefix === null) {
    yield Buffer.from('{"resourceSpans":[]}\n');
    return;
  }
  yield TAIL;
  yield NEWLINE;
}

/** Consecutive arrays of up to `size` items. */
export function* slices<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let cur: T[] = [];
  for (const x of items) {
    cur.push(x);
    if (cur.length === size) {
      yield cur;
      cur = [];
    }
  }
  if (cur.length > 0) yield cur;
}
