// A name lookup (getaddrinfo): a CLIENT span under the image of its process
// current at the call. docs/otel.md lists the attributes.

import type { DnsLookupRow, ProcessRow } from '../../replay/model.ts';
import { answerAddresses } from '../../replay/net.ts';
import { type Attributes, SPAN_KIND_CLIENT, type SpanData, STATUS_ERROR, STATUS_UNSET } from '../span.ts';
import { activitySpan, type TraceContext } from './trace.ts';

export function lookupSpan(t: TraceContext, l: DnsLookupRow, p: ProcessRow, parentSpanId: string): SpanData {
  const attrs: Attributes = {
    'dns.question.name': l.name,
    'dns.answers': answerAddresses(l.answers),
    'ptrace.span.type': 'dns',
    'ptrace.dns.result': l.result,
    'ptrace.dns.answer_count': l.count,
    'process.pid': p.pid,
  };
  if (l.nameTruncated) attrs['ptrace.dns.name_truncated'] = true;
  let status: SpanData['status'] = { code: STATUS_UNSET };
  if (l.result !== 0) {
    const name = l.resultName ?? `EAI ${l.result}`;
    attrs['error.type'] = name;
    status = { code: STATUS_ERROR, message: `getaddrinfo ${l.name}: ${name}` };
  }
  return activitySpan(t, p, `dns:${l.id}`, parentSpanId, {
    name: `getaddrinfo ${l.name}`,
    start: l.time,
    end: l.time + l.latencyNs,
    attributes: attrs,
    status,
    kind: SPAN_KIND_CLIENT,
  });
}
