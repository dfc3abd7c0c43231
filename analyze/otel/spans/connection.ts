// A TCP connection: a CLIENT span (connect) or a SERVER span (accept), under the
// image of its process current when it started. docs/otel.md lists the attributes.

import type { ConnectionRow, ProcessRow } from '../../replay/model.ts';
import {
  type Attributes,
  SPAN_KIND_CLIENT,
  SPAN_KIND_INTERNAL,
  SPAN_KIND_SERVER,
  type SpanData,
  STATUS_ERROR,
  STATUS_UNSET,
} from '../span.ts';
import { activitySpan, type TraceContext } from './trace.ts';

export function connectionSpan(t: TraceContext, c: ConnectionRow, p: ProcessRow, parentSpanId: string): SpanData {
  const client = c.role !== 'server';
  const attrs: Attributes = {
    'network.transport': 'tcp',
    'network.type': c.family === 6 ? 'ipv6' : 'ipv4',
    'network.peer.address': c.remoteAddress,
    'network.peer.port': c.remotePort,
    'network.local.address': c.localAddress,
    'network.local.port': c.localPort,
  };
  if (client) {
    attrs['server.address'] = c.peerName ?? c.remoteAddress;
    attrs['server.port'] = c.remotePort;
  } else {
    attrs['client.address'] = c.remoteAddress;
    attrs['client.port'] = c.remotePort;
  }
  attrs['ptrace.span.type'] = 'connection';
  attrs['ptrace.connection.role'] = c.role;
  attrs['ptrace.connection.state'] = c.state;
  attrs['process.pid'] = p.pid;
  if (c.latencyNs !== null) attrs['ptrace.connection.connect_latency_ns'] = Number(c.latencyNs);
  if (c.bytesSent !== null) attrs['ptrace.connection.bytes_sent'] = Number(c.bytesSent);
  if (c.bytesReceived !== null) attrs['ptrace.connection.bytes_received'] = Number(c.bytesReceived);
  if (c.retransmits !== null) attrs['ptrace.connection.retransmits'] = c.retransmits;
  if (c.openAtStop !== null) attrs['ptrace.connection.open_at_stop'] = c.openAtStop;
  if (c.tcpStateAtStop !== null) attrs['ptrace.connection.tcp_state_at_stop'] = c.tcpStateAtStop;
  let status: SpanData['status'] = { code: STATUS_UNSET };
  if (c.state === 'failed') {
    const name = c.abandoned ? 'abandoned' : (c.errnoName ?? `errno ${c.errno}`);
    attrs['error.type'] = name;
    if (c.abandoned && c.errnoName !== null) attrs['ptrace.connection.last_error'] = c.errnoName;
    status = { code: STATUS_ERROR, message: `connect ${c.remoteAddress}:${c.remotePort}: ${name}` };
  }
  return activitySpan(t, p, `tcp:${c.connId}`, parentSpanId, {
    name: client ? `connect ${c.remoteAddress}:${c.remotePort}` : `accept :${c.localPort}`,
    start: c.start,
    // biome-ignore lint/complexity/useMathMinMax: bigint nanoseconds
    end: c.end ?? (t.captureEnd > c.start ? t.captureEnd : c.start),
    attributes: attrs,
    status,
    kind: client ? SPAN_KIND_CLIENT : c.role === 'server' ? SPAN_KIND_SERVER : SPAN_KIND_INTERNAL,
  });
}
