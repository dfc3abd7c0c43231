// Model → spans: the trace assembly. One trace per capture: a root span for the
// capture (spans/capture.ts), a span per process image (spans/process.ts, with
// events from spans/events.ts), per TCP connection (spans/connection.ts), name
// lookup (spans/lookup.ts) and DNS query (spans/dns-query.ts). An attribute is
// set in the module of its span kind; docs/otel.md documents every name and
// attribute. Here: the trace id and its parent, and the order of the spans.
// Pure: no I/O.

import type { CaptureHeader, FooterInfo, ReadWarning } from '../../formats/types.ts';
import type { ExecRow, Model, ResourceRow } from '../replay/model.ts';
import { EnvResolver } from './environ.ts';
import type { CompiledAttribute } from './expr.ts';
import { deriveTraceId, identityKey, parseTraceParent, rootSpanId, type TraceParent } from './ids.ts';
import type { SpanData } from './span.ts';
import { captureSpan } from './spans/capture.ts';
import { connectionSpan } from './spans/connection.ts';
import { customAttributes } from './spans/custom.ts';
import { dnsQuerySpan } from './spans/dns-query.ts';
import { addProcessEvents } from './spans/events.ts';
import { lookupSpan } from './spans/lookup.ts';
import { imageNodes, processSpan } from './spans/process.ts';
import type { TraceContext } from './spans/trace.ts';

export interface BuildOptions {
  /** --trace-id, validated, lower case. */
  traceId?: string;
  /** -a expressions. */
  attributes?: CompiledAttribute[];
  /** --env names. */
  envNames?: string[];
  warn?: (message: string) => void;
}

export type TraceSource = 'flag' | 'command-env' | 'capture-env' | 'derived';

export interface BuiltTrace {
  traceId: string;
  rootSpanId: string;
  /** Where the trace id came from. */
  source: TraceSource;
  spanCount: number;
  /**
   * Root span first, then process spans by start time. Made on demand, so
   * the spans of a big capture never all exist at once; every call gives
   * the same spans (-a expressions are evaluated again).
   */
  spans(): Generator<SpanData>;
}

export interface BuildInput {
  header: CaptureHeader;
  footer: FooterInfo | null;
  model: Model;
  warnings: readonly ReadWarning[];
  /** TRACEPARENT of the root's first exec environment when known without the model's environments. */
  rootTraceparent?: string | null;
}

const SAMPLED = 1;

function metaBig(model: Model, key: string): bigint | null {
  for (const [k, v] of model.meta) {
    if (k === key) return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : null;
  }
  return null;
}

export function buildTrace(input: BuildInput, o: BuildOptions = {}): BuiltTrace {
  const { header, footer, model } = input;
  const warn = o.warn ?? (() => {});
  const identity = identityKey({
    bootId: header.bootId,
    rootPid: header.rootPid,
    startBoottime: header.start.boottime,
    startRealtime: header.start.realtime,
  });
  const wall = (ts: bigint): bigint => header.start.realtime + (ts - header.start.boottime);
  const captureStart = header.start.realtime;
  let captureEnd =
    footer !== null ? wall(footer.stop.boottime) : (metaBig(model, 'capture.last_event_ns') ?? captureStart);
  if (captureEnd < captureStart) captureEnd = captureStart;

  const envs = new EnvResolver(model.envs, model.envVars);

  // Row ids are dense from 1: arrays indexed by process id.
  const execsByProc: (ExecRow[] | undefined)[] = [];
  for (const x of model.execs) {
    const l = execsByProc[x.processId];
    if (l === undefined) execsByProc[x.processId] = [x];
    else l.push(x);
  }
  for (const l of execsByProc) if (l !== undefined && l.length > 1) l.sort((a, b) => a.seq - b.seq);

  // ---- trace id and the root span's parent
  const rootProc = model.processes.find((p) => p.isRoot) ?? null;
  const rootFirstExec = rootProc === null ? undefined : execsByProc[rootProc.id]?.[0];
  let parent: TraceParent | null = null;
  let source: TraceSource = 'derived';
  let traceId: string;
  const tryParent = (value: string | undefined, where: string): TraceParent | null => {
    if (value === undefined || value === '') return null;
    const tp = parseTraceParent(value);
    if (tp === null) warn(`ignoring the invalid TRACEPARENT of ${where}: "${value.slice(0, 80)}"`);
    return tp;
  };
  if (o.traceId !== undefined) {
    traceId = o.traceId;
    source = 'flag';
  } else {
    const commandTp =
      input.rootTraceparent != null
        ? input.rootTraceparent
        : rootFirstExec === undefined
          ? undefined
          : envs.get(rootFirstExec.envId).get('TRACEPARENT');
    const fromCommand = tryParent(commandTp, 'the traced command');
    const fromCapture = fromCommand !== null ? null : tryParent(header.traceparent, 'the capture environment');
    parent = fromCommand ?? fromCapture;
    source = fromCommand !== null ? 'command-env' : fromCapture !== null ? 'capture-env' : 'derived';
    traceId = parent?.traceId ?? deriveTraceId(identity);
  }
  const trace: TraceContext = { traceId, identity, traceFlags: parent === null ? SAMPLED : parent.flags, captureEnd };
  const rootId = rootSpanId(traceId, identity);

  // ---- process spans, first as light skeletons (ids, parents, times); attributes are made while encoding
  const images = imageNodes(trace, model, execsByProc, rootId);
  addProcessEvents(model, images);
  const { nodes, nodeAt } = images;

  // ---- connections, lookups and DNS queries: a span each, under the image of its process current when it started
  const activitySpans: SpanData[] = [];
  for (const c of model.connections) {
    const n = nodeAt(c.processId, c.start);
    if (n !== undefined) activitySpans.push(connectionSpan(trace, c, n.p, n.spanId));
  }
  for (const l of model.dnsLookups) {
    const n = nodeAt(l.processId, l.time);
    if (n !== undefined) activitySpans.push(lookupSpan(trace, l, n.p, n.spanId));
  }
  for (const q of model.dnsQueries) {
    const n = nodeAt(q.processId, q.time);
    if (n !== undefined) activitySpans.push(dnsQuerySpan(trace, q, n.p, n.spanId));
  }

  const root = captureSpan(trace, rootId, {
    header,
    footer,
    model,
    warnings: input.warnings,
    rootProc,
    parent,
    source,
    captureStart,
    truncated: images.truncated,
  });
  const usageOf: (ResourceRow | undefined)[] = [];
  for (const r of model.resources) usageOf[r.processId] = r;
  const custom = customAttributes(envs, o.envNames ?? [], o.attributes ?? []);
  return {
    traceId,
    rootSpanId: rootId,
    source,
    spanCount: nodes.length + 1 + activitySpans.length,
    *spans() {
      yield root;
      for (const n of nodes) yield processSpan(trace, n, usageOf[n.p.id], custom);
      yield* activitySpans;
    },
  };
}
