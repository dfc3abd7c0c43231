// TCP connections: totals, by peer, failed connects, connect latency, bytes, retransmits.

import type { ConnectionRow } from '../../replay/model.ts';
import { compareUtf8, latencySummary, optionRecorded, type StatsContext, TOP } from '../context.ts';
import { byLabel, IntTotal, nullsFirst, topOf } from '../tally.ts';
import type { NetworkReport, PeerStat } from '../types.ts';

/** A failed connect's reason: abandoned, the errno's name, or `errno N`. */
const failureOf = (c: ConnectionRow): string =>
  c.abandoned ? 'abandoned' : (c.errnoName ?? (c.errno !== null ? `errno ${c.errno}` : 'failed'));

interface PeerTally {
  role: string;
  peerName: string | null;
  /** The group's name: the peer's name, or its address. */
  k: string;
  remotePort: number | null;
  localPort: number | null;
  remoteAddress: string;
  addresses: Set<string>;
  count: number;
  failed: number;
  openAtEnd: number;
  processes: Set<number>;
  bytesSent: IntTotal;
  bytesReceived: IntTotal;
  retransmits: number;
}

export function networkStats(ctx: StatsContext): NetworkReport {
  const { connections } = ctx.model;
  let client = 0;
  let server = 0;
  let failed = 0;
  let open = 0;
  let openAtStop = 0;
  let retrans = 0;
  let withRetrans = 0;
  const sent = new IntTotal();
  const received = new IntTotal();
  const latencies: number[] = [];
  // Clients by peer (its name, else its address) and port; servers by client address and listening port.
  const peers = new Map<string, PeerTally>();
  for (const c of connections) {
    if (c.role === 'client') client++;
    if (c.role === 'server') server++;
    if (c.state === 'failed') failed++;
    if (c.state === 'open-at-end') open++;
    if (c.openAtStop === true) openAtStop++;
    sent.add(c.bytesSent);
    received.add(c.bytesReceived);
    retrans += c.retransmits ?? 0;
    if ((c.retransmits ?? 0) > 0) withRetrans++;
    if (c.role === 'client' && c.latencyNs !== null) latencies.push(Number(c.latencyNs));
    const isServer = c.role === 'server';
    const peerName = isServer ? null : c.peerName;
    const k = isServer || c.peerName === null ? c.remoteAddress : c.peerName;
    const remotePort = isServer ? null : c.remotePort;
    const localPort = isServer ? c.localPort : null;
    const key = JSON.stringify([c.role, peerName, k, remotePort, localPort]);
    let p = peers.get(key);
    if (p === undefined) {
      peers.set(
        key,
        (p = {
          role: c.role,
          peerName,
          k,
          remotePort,
          localPort,
          remoteAddress: c.remoteAddress,
          addresses: new Set(),
          count: 0,
          failed: 0,
          openAtEnd: 0,
          processes: new Set(),
          bytesSent: new IntTotal(),
          bytesReceived: new IntTotal(),
          retransmits: 0,
        }),
      );
    }
    if (compareUtf8(c.remoteAddress, p.remoteAddress) < 0) p.remoteAddress = c.remoteAddress;
    p.addresses.add(c.remoteAddress);
    p.count++;
    if (c.state === 'failed') p.failed++;
    if (c.state === 'open-at-end') p.openAtEnd++;
    p.processes.add(c.processId);
    p.bytesSent.add(c.bytesSent);
    p.bytesReceived.add(c.bytesReceived);
    p.retransmits += c.retransmits ?? 0;
  }
  latencies.sort((a, b) => a - b);
  const failedConnections = connections.filter((c) => c.state === 'failed');
  return {
    recorded: optionRecorded(ctx, 'net'),
    connections: connections.length,
    client,
    server,
    failed,
    openAtEnd: open,
    openAtStop,
    byPeer: topOf(
      peers.values(),
      TOP,
      (a, b) =>
        b.count - a.count ||
        b.failed - a.failed ||
        compareUtf8(a.k, b.k) ||
        nullsFirst(a.remotePort, b.remotePort) ||
        nullsFirst(a.localPort, b.localPort) ||
        compareUtf8(a.role, b.role) ||
        compareUtf8(a.peerName ?? '', b.peerName ?? ''),
    ).map(peerStat),
    failedByErrno: byLabel(failedConnections, failureOf, (c) => `${c.remoteAddress}:${c.remotePort}`).map(
      ({ label, count, examples }) => ({ errno: label, count, examples }),
    ),
    connectLatency: latencySummary(latencies),
    bytesSent: sent.value,
    bytesReceived: received.value,
    retransmits: retrans,
    connectionsWithRetransmits: withRetrans,
  };
}

function peerStat(p: PeerTally): PeerStat {
  const addresses = p.addresses.size;
  return {
    peer:
      p.remotePort === null
        ? `${p.remoteAddress} → :${p.localPort}`
        : p.peerName === null
          ? `${p.remoteAddress}:${p.remotePort}`
          : `${p.peerName}:${p.remotePort} (${addresses === 1 ? p.remoteAddress : `${addresses} addresses`})`,
    role: p.role,
    peerName: p.peerName,
    remoteAddress: p.remoteAddress,
    addresses,
    remotePort: p.remotePort,
    localPort: p.localPort,
    count: p.count,
    failed: p.failed,
    openAtEnd: p.openAtEnd,
    processes: p.processes.size,
    bytesSent: p.bytesSent.value,
    bytesReceived: p.bytesReceived.value,
    retransmits: p.retransmits,
  };
}
