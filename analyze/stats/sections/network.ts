// TCP connections: totals, by peer, failed connects, connect latency, bytes, retransmits.

import { latencySummary, optionRecorded, type StatsContext, TOP } from '../context.ts';
import type { NetworkReport, PeerStat } from '../types.ts';

export function networkStats(ctx: StatsContext): NetworkReport {
  const { db, q } = ctx;
  const connectFailure =
    "CASE WHEN abandoned = 1 THEN 'abandoned' ELSE coalesce(errno_name, 'errno ' || errno, 'failed') END";
  const netTotals = db
    .prepare(
      `SELECT count(*) AS n, coalesce(sum(role = 'client'), 0) AS client, coalesce(sum(role = 'server'), 0) AS server,
              coalesce(sum(state = 'failed'), 0) AS failed, coalesce(sum(state = 'open-at-end'), 0) AS open,
              coalesce(sum(open_at_stop = 1), 0) AS openAtStop,
              total(bytes_sent) AS sent, total(bytes_received) AS received,
              coalesce(sum(retransmits), 0) AS retrans, coalesce(sum(retransmits > 0), 0) AS withRetrans
       FROM connections`,
    )
    .get() as {
    n: number;
    client: number;
    server: number;
    failed: number;
    open: number;
    openAtStop: number;
    sent: number;
    received: number;
    retrans: number;
    withRetrans: number;
  };
  const latencies = db
    .prepare(
      "SELECT connect_latency_ns FROM connections WHERE role = 'client' AND connect_latency_ns IS NOT NULL ORDER BY 1",
    )
    .pluck()
    .all() as number[];
  return {
    recorded: optionRecorded(ctx, 'net'),
    connections: netTotals.n,
    client: netTotals.client,
    server: netTotals.server,
    failed: netTotals.failed,
    openAtEnd: netTotals.open,
    openAtStop: netTotals.openAtStop,
    byPeer: q<Omit<PeerStat, 'peer'> & { k: string }>(
      `SELECT role, CASE WHEN role = 'server' THEN NULL ELSE peer_name END AS peerName,
              CASE WHEN role = 'server' OR peer_name IS NULL THEN remote_address ELSE peer_name END AS k,
              min(remote_address) AS remoteAddress, count(DISTINCT remote_address) AS addresses,
              CASE WHEN role = 'server' THEN NULL ELSE remote_port END AS remotePort,
              CASE WHEN role = 'server' THEN local_port ELSE NULL END AS localPort,
              count(*) AS count, sum(state = 'failed') AS failed, sum(state = 'open-at-end') AS openAtEnd,
              count(DISTINCT process_id) AS processes, total(bytes_sent) AS bytesSent,
              total(bytes_received) AS bytesReceived, coalesce(sum(retransmits), 0) AS retransmits
       FROM connections GROUP BY role, peerName, k, remotePort, localPort
       ORDER BY count DESC, failed DESC, k, remotePort, localPort LIMIT ${TOP}`,
    ).map(({ k: _k, ...r }) => ({
      peer:
        r.remotePort === null
          ? `${r.remoteAddress} → :${r.localPort}`
          : r.peerName === null
            ? `${r.remoteAddress}:${r.remotePort}`
            : `${r.peerName}:${r.remotePort} (${r.addresses === 1 ? r.remoteAddress : `${r.addresses} addresses`})`,
      ...r,
    })),
    failedByErrno: q<{ errno: string; count: number }>(
      `SELECT ${connectFailure} AS errno, count(*) AS count FROM connections WHERE state = 'failed' GROUP BY 1 ORDER BY count DESC, errno`,
    ).map((r) => ({
      ...r,
      examples: q<{ p: string }>(
        `SELECT remote_address || ':' || remote_port AS p, count(*) AS n FROM connections
         WHERE state = 'failed' AND ${connectFailure} = :e GROUP BY 1 ORDER BY n DESC, p LIMIT 3`,
        { e: r.errno },
      ).map((x) => x.p),
    })),
    connectLatency: latencySummary(latencies),
    bytesSent: netTotals.sent,
    bytesReceived: netTotals.received,
    retransmits: netTotals.retrans,
    connectionsWithRetransmits: netTotals.withRetrans,
  };
}
