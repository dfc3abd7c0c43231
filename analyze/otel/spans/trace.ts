// What every span of one trace shares: the trace id and flags, the capture's
// identity (span ids are hashes of it) and its end (the end of spans still open).

import type { ProcessRow } from '../../replay/model.ts';
import { processSpanId } from '../ids.ts';
import type { SpanData } from '../span.ts';

export interface TraceContext {
  traceId: string;
  /** identityKey() of the capture. */
  identity: string;
  traceFlags: number;
  /** Wall clock ns. */
  captureEnd: bigint;
}

/**
 * A span of something a process did (a connection, a lookup, a DNS query):
 * its id is a hash of the process and `part`, its parent the process's image
 * current at the time.
 */
export function activitySpan(
  t: TraceContext,
  p: ProcessRow,
  part: string,
  parentSpanId: string,
  s: Pick<SpanData, 'name' | 'start' | 'end' | 'attributes' | 'status' | 'kind'>,
): SpanData {
  return {
    traceId: t.traceId,
    spanId: processSpanId(t.traceId, t.identity, p.pid, p.startBoot, part),
    parentSpanId,
    parentIsRemote: false,
    traceFlags: t.traceFlags,
    name: s.name,
    start: s.start,
    end: s.end,
    attributes: s.attributes,
    events: [],
    status: s.status,
    kind: s.kind,
  };
}
