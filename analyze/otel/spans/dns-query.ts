// A DNS query seen on the wire (UDP port 53): a CLIENT span under the image of
// its process current when it was sent. docs/otel.md lists the attributes.

import type { DnsQueryRow, ProcessRow } from '../../replay/model.ts';
import { queryOutcome } from '../../replay/net.ts';
import { type Attributes, SPAN_KIND_CLIENT, type SpanData, STATUS_ERROR, STATUS_UNSET } from '../span.ts';
import { activitySpan, type TraceContext } from './trace.ts';

export function dnsQuerySpan(t: TraceContext, q: DnsQueryRow, p: ProcessRow, parentSpanId: string): SpanData {
  const attrs: Attributes = {
    'dns.question.name': q.name,
    'dns.answers': q.answers,
    'network.transport': 'udp',
    'network.type': q.server.includes(':') ? 'ipv6' : 'ipv4',
    'network.peer.address': q.server,
    'network.peer.port': q.serverPort,
    'ptrace.span.type': 'dns_query',
    'ptrace.dns.type': q.type,
    'ptrace.dns.id': q.dnsId,
    'process.pid': p.pid,
  };
  if (q.rcodeName !== null) attrs['ptrace.dns.rcode'] = q.rcodeName;
  if (q.truncated) attrs['ptrace.dns.truncated'] = true;
  if (q.error !== null) attrs['ptrace.dns.parse_error'] = q.error;
  const outcome = queryOutcome(q);
  let status: SpanData['status'] = { code: STATUS_UNSET };
  if (outcome !== null) {
    attrs['error.type'] = outcome === 'no reply' ? 'timeout' : outcome;
    status = { code: STATUS_ERROR, message: `DNS ${q.type} ${q.name}: ${outcome}` };
  }
  return activitySpan(t, p, `dnsq:${q.id}`, parentSpanId, {
    name: `DNS ${q.type} ${q.name}`,
    start: q.time,
    end: q.time + (q.latencyNs ?? 0n),
    attributes: attrs,
    status,
    kind: SPAN_KIND_CLIENT,
  });
}
