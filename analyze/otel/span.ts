// The span data ptrace exports, and its adapter to the ReadableSpan shape the
// @opentelemetry/otlp-transformer serializers read (only the fields they
// read: spanContext(), parentSpanContext, name, kind, times, attributes,
// events, links, status, dropped counts, resource, instrumentationScope).

export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];
export type Attributes = Record<string, AttributeValue>;

/** [seconds, nanoseconds] since the epoch. */
export type HrTime = [number, number];

export function hrTime(ns: bigint): HrTime {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

/** OTLP Status.code: 0 unset, 1 ok, 2 error. */
export const STATUS_UNSET = 0;
export const STATUS_ERROR = 2;

export interface SpanEvent {
  name: string;
  /** Wall clock ns. */
  time: bigint;
  attributes: Attributes;
}

export interface SpanData {
  traceId: string;
  spanId: string;
  /** Parent span id; null for the root span without a traceparent. */
  parentSpanId: string | null;
  /** The parent comes from outside the capture (a traceparent). */
  parentIsRemote: boolean;
  /** W3C trace flags (bit 0: sampled). */
  traceFlags: number;
  name: string;
  /** Wall clock ns. */
  start: bigint;
  end: bigint;
  attributes: Attributes;
  events: SpanEvent[];
  status: { code: number; message?: string };
  /** SpanKind in the API's numbering (SPAN_KIND_*); INTERNAL when absent. */
  kind?: number;
}

/** SpanKind in the API's numbering (the OTLP serializers add 1). */
export const SPAN_KIND_INTERNAL = 0;
export const SPAN_KIND_SERVER = 1;
export const SPAN_KIND_CLIENT = 2;

export interface InstrumentationScope {
  name: string;
  version: string;
}

export interface Resource {
  attributes: Attributes;
}

/** SpanKind.INTERNAL in the API's numbering (the serializers add 1 for OTLP). */
const KIND_INTERNAL = 0;
const NO_LINKS: never[] = [];

/** One span as the serializers want it; `resource` and `scope` must be the same objects for every span of an export. */
export class ReadableSpanView {
  readonly name: string;
  readonly kind: number;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly attributes: Attributes;
  readonly events: { name: string; time: HrTime; attributes: Attributes; droppedAttributesCount: number }[];
  readonly links = NO_LINKS;
  readonly status: { code: number; message?: string };
  readonly ended = true;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly parentSpanContext: { traceId: string; spanId: string; traceFlags: number; isRemote: boolean } | undefined;
  readonly #context: { traceId: string; spanId: string; traceFlags: number; isRemote: boolean };

  constructor(s: SpanData, resource: Resource, scope: InstrumentationScope) {
    this.name = s.name;
    this.kind = s.kind ?? KIND_INTERNAL;
    this.startTime = hrTime(s.start);
    // biome-ignore lint/complexity/useMathMinMax: bigint nanoseconds
    this.endTime = hrTime(s.end < s.start ? s.start : s.end);
    this.duration = hrTime(s.end < s.start ? 0n : s.end - s.start);
    this.attributes = s.attributes;
    this.events = s.events.map((e) => ({
      name: e.name,
      time: hrTime(e.time),
      attributes: e.attributes,
      droppedAttributesCount: 0,
    }));
    this.status =
      s.status.message === undefined ? { code: s.status.code } : { code: s.status.code, message: s.status.message };
    this.resource = resource;
    this.instrumentationScope = scope;
    this.#context = { traceId: s.traceId, spanId: s.spanId, traceFlags: s.traceFlags, isRemote: false };
    this.parentSpanContext =
      s.parentSpanId === null
        ? undefined
        : { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: s.traceFlags, isRemote: s.parentIsRemote };
  }

  spanContext(): { traceId: string; spanId: string; traceFlags: number; isRemote: boolean } {
    return this.#context;
  }
}
