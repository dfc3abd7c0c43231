// The root span: the capture itself, its outcome (the root process's), counts,
// truncation and losses, and the reader's warnings as events. docs/otel.md
// lists the attributes.

import type { CaptureHeader, FooterInfo, ReadWarning } from '../../../formats/types.ts';
import type { Model, ProcessRow } from '../../replay/model.ts';
import type { TraceParent } from '../ids.ts';
import { type Attributes, type SpanData, type SpanEvent, STATUS_UNSET } from '../span.ts';
import { basename, exitOutcome, type ImageNodes } from './process.ts';
import type { TraceContext } from './trace.ts';

export interface CaptureSpanInput {
  header: CaptureHeader;
  footer: FooterInfo | null;
  model: Model;
  warnings: readonly ReadWarning[];
  rootProc: ProcessRow | null;
  /** The remote parent (a TRACEPARENT), if any. */
  parent: TraceParent | null;
  /** Where the trace id came from (ptrace.trace_id.source). */
  source: string;
  /** Wall clock ns. */
  captureStart: bigint;
  truncated: ImageNodes['truncated'];
}

export function captureSpan(t: TraceContext, spanId: string, c: CaptureSpanInput): SpanData {
  const { header, footer, model, rootProc } = c;
  const name =
    header.commandArgv.length > 0
      ? basename(header.commandArgv[0]!) || 'ptrace'
      : rootProc === null
        ? 'ptrace'
        : `pid ${rootProc.pid}`;
  const ra: Attributes = {};
  if (header.options.net) ra['ptrace.capture.connections'] = model.connections.length;
  if (header.options.dns) ra['ptrace.capture.lookups'] = model.dnsLookups.length;
  if (header.options.dnsMessages) ra['ptrace.capture.dns_queries'] = model.dnsQueries.length;

  const lossByCategory = new Map<string, bigint>();
  for (const l of model.losses) {
    const prev = lossByCategory.get(l.categoryName) ?? 0n;
    if (l.count > prev) lossByCategory.set(l.categoryName, l.count);
  }
  let lost = 0n;
  for (const n of lossByCategory.values()) lost += n;
  if (footer !== null && footer.lost > lost) lost = footer.lost;
  const complete = footer !== null;
  const { argv: truncatedArgv, env: truncatedEnv, paths: truncatedOther } = c.truncated;
  ra['ptrace.span.type'] = 'capture';
  if (header.commandArgv.length > 0) ra['ptrace.capture.command'] = header.commandArgv;
  ra['ptrace.capture.root_pid'] = header.rootPid;
  if (header.ptraceVersion) ra['ptrace.capture.version'] = header.ptraceVersion;
  if (header.bootId) ra['ptrace.capture.boot_id'] = header.bootId;
  ra['ptrace.capture.env_recorded'] = header.options.env;
  ra['ptrace.capture.processes'] = model.processes.length;
  ra['ptrace.capture.execs'] = model.execs.length;
  ra['ptrace.capture.failed_execs'] = model.execFailures.length;
  if (header.options.files) {
    ra['ptrace.capture.opens'] = model.opens.length;
    let failedOpens = 0;
    for (const o of model.opens) if (o.fd === null) failedOpens++;
    ra['ptrace.capture.failed_opens'] = failedOpens;
  }
  ra['ptrace.capture.complete'] = complete;
  ra['ptrace.capture.lost_records'] = Number(lost);
  ra['ptrace.capture.truncated'] = !complete || lost > 0n || truncatedArgv + truncatedEnv + truncatedOther > 0;
  if (truncatedArgv > 0) ra['ptrace.capture.truncated_argv'] = truncatedArgv;
  if (truncatedEnv > 0) ra['ptrace.capture.truncated_env'] = truncatedEnv;
  if (truncatedOther > 0) ra['ptrace.capture.truncated_paths'] = truncatedOther;
  if (footer !== null && footer.stillRunning > 0) ra['ptrace.capture.still_running'] = footer.stillRunning;
  ra['ptrace.trace_id.source'] = c.source;
  let status: SpanData['status'] = { code: STATUS_UNSET };
  if (rootProc !== null) {
    const out = exitOutcome(rootProc);
    Object.assign(ra, out.attrs);
    status = out.status;
  }

  const events: SpanEvent[] = [];
  for (const l of model.losses) {
    events.push({
      name: 'ptrace.loss',
      time: l.time,
      attributes: { 'ptrace.loss.category': l.categoryName, 'ptrace.loss.count': Number(l.count) },
    });
  }
  for (const w of c.warnings) {
    events.push({
      name: 'ptrace.warning',
      time: t.captureEnd,
      attributes: { 'ptrace.warning.code': w.code, 'ptrace.warning.message': w.message.split('\n')[0]! },
    });
  }
  events.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return {
    traceId: t.traceId,
    spanId,
    parentSpanId: c.parent?.spanId ?? null,
    parentIsRemote: c.parent !== null,
    traceFlags: t.traceFlags,
    name,
    start: c.captureStart,
    end: t.captureEnd,
    attributes: ra,
    events,
    status,
  };
}
