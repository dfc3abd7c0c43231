// Name resolution: getaddrinfo() lookups (format 1.3) and DNS queries seen on the
// wire (UDP port 53, format 1.4).

import { latencySummary, optionRecorded, type StatsContext, TOP } from '../context.ts';
import type { DnsNameStat, DnsReport, DnsWireReport } from '../types.ts';

export function dnsStats(ctx: StatsContext): DnsReport {
  const { db, q, one } = ctx;
  const dnsLatencies = db.prepare('SELECT latency_ns FROM dns_lookups ORDER BY 1').pluck().all() as number[];
  const dnsError = "coalesce(result_name, 'EAI ' || result)";
  return {
    recorded: optionRecorded(ctx, 'dns'),
    lookups: dnsLatencies.length,
    failed: one<number>('SELECT count(*) FROM dns_lookups WHERE result != 0'),
    names: one<number>('SELECT count(DISTINCT name) FROM dns_lookups'),
    byName: q<DnsNameStat>(
      `SELECT name, count(*) AS count, sum(result != 0) AS failed, max(latency_ns) AS maxLatencyNs
       FROM dns_lookups GROUP BY name ORDER BY count DESC, failed DESC, name LIMIT ${TOP}`,
    ),
    failedByResult: q<{ error: string; count: number }>(
      `SELECT ${dnsError} AS error, count(*) AS count FROM dns_lookups WHERE result != 0 GROUP BY 1 ORDER BY count DESC, error`,
    ).map((r) => ({
      ...r,
      examples: q<{ name: string }>(
        `SELECT name, count(*) AS n FROM dns_lookups WHERE result != 0 AND ${dnsError} = :e GROUP BY 1 ORDER BY n DESC, name LIMIT 3`,
        { e: r.error },
      ).map((x) => x.name),
    })),
    latency: latencySummary(dnsLatencies),
    unresolved: q<{ name: string; failed: number; error: string }>(
      `SELECT name, count(*) AS failed, group_concat(DISTINCT ${dnsError}) AS error FROM dns_lookups
       GROUP BY name HAVING sum(result = 0) = 0 ORDER BY failed DESC, name LIMIT ${TOP}`,
    ),
    wire: dnsWireReport(ctx),
  };
}

/** The dns_queries table's summary. */
function dnsWireReport(ctx: StatsContext): DnsWireReport {
  const { db, q, one } = ctx;
  const latencies = db
    .prepare('SELECT latency_ns FROM dns_queries WHERE latency_ns IS NOT NULL ORDER BY 1')
    .pluck()
    .all() as number[];
  const outcome = "CASE WHEN rcode IS NULL THEN 'no reply' ELSE coalesce(rcode_name, 'RCODE' || rcode) END";
  const failed = '(rcode IS NULL OR rcode != 0)';
  return {
    recorded: optionRecorded(ctx, 'dns_messages'),
    queries: one<number>('SELECT count(*) FROM dns_queries'),
    answered: one<number>('SELECT count(*) FROM dns_queries WHERE rcode = 0'),
    failed: one<number>(`SELECT count(*) FROM dns_queries WHERE ${failed}`),
    failedByOutcome: q<{ outcome: string; count: number }>(
      `SELECT ${outcome} AS outcome, count(*) AS count FROM dns_queries WHERE ${failed} GROUP BY 1 ORDER BY count DESC, outcome`,
    ).map((r) => ({
      ...r,
      examples: q<{ name: string }>(
        `SELECT name, count(*) AS n FROM dns_queries WHERE ${failed} AND ${outcome} = :o GROUP BY 1 ORDER BY n DESC, name LIMIT 3`,
        { o: r.outcome },
      ).map((x) => x.name),
    })),
    latency: latencySummary(latencies),
    servers: q<{ server: string; port: number; queries: number; failed: number; maxLatencyNs: number | null }>(
      `SELECT server_address AS server, server_port AS port, count(*) AS queries, sum(${failed}) AS failed, max(latency_ns) AS maxLatencyNs
       FROM dns_queries GROUP BY 1, 2 ORDER BY queries DESC, server, port LIMIT ${TOP}`,
    ),
    unresolved: q<{ name: string; failed: number; outcome: string }>(
      `SELECT name, count(*) AS failed, group_concat(DISTINCT ${outcome}) AS outcome FROM dns_queries
       GROUP BY name HAVING sum(rcode = 0) = 0 ORDER BY failed DESC, name LIMIT ${TOP}`,
    ).map((u) => ({ ...u, outcome: u.outcome.replaceAll(',', ', ') })),
    truncated: one<number>('SELECT count(*) FROM dns_queries WHERE truncated = 1'),
    malformed: one<number>('SELECT count(*) FROM dns_queries WHERE parse_error IS NOT NULL'),
  };
}
