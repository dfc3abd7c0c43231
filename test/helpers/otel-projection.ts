// A compact projection of an OTLP/JSON dump, for the goldens of the samples/
// captures. Their full dumps ran to 7,500–47,000 pretty-printed lines, mostly
// per-process resource figures and one event per failed open: too long to
// review a change in. One full golden (otel-sample.json, a synthetic capture
// with every case the span model handles) still pins the whole encoding; the
// projection pins, for every span of a real capture:
//
// - the tree: spans in pre-order (children in dump order), each with its
//   depth. Pre-order with depths determines the tree exactly, so a span that
//   changes parent changes the projection. A span whose parent is not in the
//   trace is a root marked "parentOutside"; one the walk never reaches (a
//   parent cycle) comes last, marked "unreached";
// - name, kind, status (code and message), start offset from the first span
//   and duration, in exact nanoseconds;
// - the key attributes below, with their values (a string longer than 200
//   characters as its length and SHA-256, so one byte changed still shows);
// - events, counted by name;
// and, once per dump: the resource, the scope, the span count, and how many
// spans carry each attribute key (so an attribute lost, renamed or added on
// any span shows, even outside the key ones).
//
// Key attributes: what identifies a span and what a user filters on — its
// type, the process (pid, parent pid, executable, argv, exit code, signal,
// state, exec sequence), the error, one CPU and one memory figure, the peer
// of a connection and its state, the name and answers of a lookup, and the
// capture summary on the root span (every `ptrace.capture.*`).

import { createHash } from 'node:crypto';

export const KEY_ATTRIBUTES: readonly string[] = [
  'ptrace.span.type',
  'process.pid',
  'process.parent_pid',
  'process.executable.path',
  'process.command_args',
  'process.exit.code',
  'ptrace.process.signal',
  'ptrace.process.state',
  'ptrace.exec.seq',
  'error.type',
  'process.cpu.time.user',
  'process.memory.max_rss',
  'network.peer.address',
  'network.peer.port',
  'ptrace.connection.state',
  'dns.question.name',
  'dns.answers',
];
const isKey = (key: string): boolean => KEY_ATTRIBUTES.includes(key) || key.startsWith('ptrace.capture.');

export type AnyValue = {
  stringValue?: string;
  intValue?: string;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values: AnyValue[] };
};
export interface KeyValue {
  key: string;
  value: AnyValue;
}
/** A span as --dump-otel writes it (OTLP/JSON). */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  events: { name: string; timeUnixNano: string; attributes: KeyValue[] }[];
  status: { code: number; message?: string };
  flags: number;
}
export interface OtlpDoc {
  resourceSpans: {
    resource: { attributes: KeyValue[] };
    scopeSpans: { scope: { name: string; version: string }; spans: OtlpSpan[] }[];
  }[];
}

const KIND = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

/** An attribute value as plain JSON: int64 values stay decimal strings. */
export function plainValue(v: AnyValue): unknown {
  if (v.arrayValue) return v.arrayValue.values.map(plainValue);
  return v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
}

const LONG = 200;

/** plainValue, with strings longer than LONG as their length and hash. */
function projectedValue(v: AnyValue): unknown {
  if (v.arrayValue) return v.arrayValue.values.map(projectedValue);
  if (v.stringValue !== undefined && v.stringValue.length > LONG) {
    return `<${v.stringValue.length} characters, sha256 ${createHash('sha256').update(v.stringValue).digest('hex')}>`;
  }
  return plainValue(v);
}

function countBy(names: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of names) counts[n] = (counts[n] ?? 0) + 1;
  return counts;
}

function spanLine(s: OtlpSpan, depth: number, t0: bigint, mark: Mark): string {
  const start = BigInt(s.startTimeUnixNano);
  return JSON.stringify({
    depth,
    name: s.name,
    kind: KIND[s.kind] ?? s.kind,
    ...(mark ? { [mark]: true } : {}),
    status: s.status.message === undefined ? s.status.code : [s.status.code, s.status.message],
    at: String(start - t0),
    dur: String(BigInt(s.endTimeUnixNano) - start),
    attributes: Object.fromEntries(
      s.attributes.filter((a) => isKey(a.key)).map((a) => [a.key, projectedValue(a.value)]),
    ),
    ...(s.events.length ? { events: countBy(s.events.map((e) => e.name)) } : {}),
  });
}

type Mark = 'parentOutside' | 'unreached' | undefined;

/** Spans in pre-order with their depth; spans the walk from the roots never reaches come last. */
function preOrder(spans: OtlpSpan[]): { span: OtlpSpan; depth: number; mark: Mark }[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, OtlpSpan[]>();
  for (const s of spans) {
    if (s.parentSpanId === undefined || !ids.has(s.parentSpanId)) continue;
    children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
  }
  const out: { span: OtlpSpan; depth: number; mark: Mark }[] = [];
  const seen = new Set<OtlpSpan>();
  const isRoot = (s: OtlpSpan) => s.parentSpanId === undefined || !ids.has(s.parentSpanId);
  const stack = spans
    .filter(isRoot)
    .reverse()
    .map((span) => ({ span, depth: 0 }));
  while (stack.length > 0) {
    const { span, depth } = stack.pop()!;
    if (seen.has(span)) continue;
    seen.add(span);
    out.push({ span, depth, mark: depth === 0 && span.parentSpanId !== undefined ? 'parentOutside' : undefined });
    for (const c of [...(children.get(span.spanId) ?? [])].reverse()) stack.push({ span: c, depth: depth + 1 });
  }
  for (const span of spans) if (!seen.has(span)) out.push({ span, depth: 0, mark: 'unreached' });
  return out;
}

/** The projection of a whole dump, as text: a few header lines, then one line per span. */
export function otlpProjection(doc: OtlpDoc): string {
  const lines: string[] = [];
  for (const rs of doc.resourceSpans) {
    lines.push(
      JSON.stringify({
        resource: Object.fromEntries(rs.resource.attributes.map((a) => [a.key, projectedValue(a.value)])),
      }),
    );
    for (const ss of rs.scopeSpans) {
      const spans = ss.spans;
      lines.push(JSON.stringify({ scope: ss.scope, spans: spans.length }));
      const keys = countBy(spans.flatMap((s) => s.attributes.map((a) => a.key)));
      lines.push(
        JSON.stringify({
          attributeKeys: Object.fromEntries(Object.entries(keys).sort(([a], [b]) => (a < b ? -1 : 1))),
        }),
      );
      const t0 = spans.reduce(
        (min, s) => (BigInt(s.startTimeUnixNano) < min ? BigInt(s.startTimeUnixNano) : min),
        spans.length ? BigInt(spans[0]!.startTimeUnixNano) : 0n,
      );
      for (const { span, depth, mark } of preOrder(spans)) lines.push(spanLine(span, depth, t0, mark));
    }
  }
  return `${lines.join('\n')}\n`;
}
