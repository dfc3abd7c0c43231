// Spans → OTLP request bodies, with the serializers of
// @opentelemetry/otlp-transformer. Their protobuf output is the OTLP wire
// format as is. Their JSON output follows the OTLP/JSON rules (hex trace and
// span ids, lowerCamelCase names, enums as integers, 64-bit times as decimal
// strings) except one: AnyValue.intValue (int64) comes out as a JSON number,
// where the protobuf JSON mapping that OTLP/JSON uses wants a decimal string.
// fixJsonInts() rewrites those; docs/otel.md records it.

import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { InstrumentationScope, ReadableSpanView, Resource, SpanData } from './span.ts';
import { ReadableSpanView as View } from './span.ts';

type SerializerInput = Parameters<typeof JsonTraceSerializer.serializeRequest>[0];

const decoder = new TextDecoder();

/**
 * `{"intValue":123}` → `{"intValue":"123"}`. Cannot touch text inside a JSON
 * string: there every `"` is escaped, so `{"` and `e":` never occur.
 */
export function fixJsonInts(json: string): string {
  return json.replace(/\{"intValue":(-?\d+)\}/g, '{"intValue":"$1"}');
}

export function views(spans: readonly SpanData[], resource: Resource, scope: InstrumentationScope): ReadableSpanView[] {
  return spans.map((s) => new View(s, resource, scope));
}

/** One ExportTraceServiceRequest in protobuf. */
export function encodeProtobuf(spans: readonly ReadableSpanView[]): Uint8Array {
  const out = ProtobufTraceSerializer.serializeRequest(spans as unknown as SerializerInput);
  if (out === undefined) throw new Error('the OTLP protobuf serializer returned nothing');
  return out;
}

/** One ExportTraceServiceRequest in OTLP/JSON, as text. */
export function encodeJsonText(spans: readonly ReadableSpanView[]): string {
  const out = JsonTraceSerializer.serializeRequest(spans as unknown as SerializerInput);
  if (out === undefined) throw new Error('the OTLP JSON serializer returned nothing');
  return fixJsonInts(decoder.decode(out));
}

export function encodeJson(spans: readonly ReadableSpanView[]): Uint8Array {
  return Buffer.from(encodeJsonText(spans));
}

const SPANS_OPEN = '"spans":[';
const TAIL = ']}]}]}';

/**
 * One ExportTraceServiceRequest holding every span as OTLP/JSON (one line,
 * newline-terminated), produced a slice of spans at a time so the whole
 * document never has to exist as one string. Every slice is serialized on its
 * own; as all spans share one resource and one scope, each slice is
 * `prefix + spans + "]}]}]}"` with the same prefix, and the document is the
 * prefix, the slices' spans joined by commas, and the tail. Checked for every
 * slice.
 */
export function* jsonDocumentChunks(
  spans: readonly SpanData[],
  resource: Resource,
  scope: InstrumentationScope,
  sliceSize = 2048,
): Generator<string> {
  if (spans.length === 0) {
    yield '{"resourceSpans":[]}\n';
    return;
  }
  let prefix: string | null = null;
  for (let i = 0; i < spans.length; i += sliceSize) {
    const text = encodeJsonText(views(spans.slice(i, i + sliceSize), resource, scope));
    const open = text.indexOf(SPANS_OPEN);
    if (open < 0 || !text.endsWith(TAIL)) throw new Error('unexpected OTLP/JSON layout from the serializer');
    const head = text.slice(0, open + SPANS_OPEN.length);
    const body = text.slice(head.length, text.length - TAIL.length);
    if (prefix === null) {
      prefix = head;
      yield head + body;
    } else {
      if (head !== prefix) throw new Error('OTLP/JSON slices do not share one resource and scope');
      yield `,${body}`;
    }
  }
  yield `${TAIL}\n`;
}
