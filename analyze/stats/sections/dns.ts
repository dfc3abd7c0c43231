// Name resolution: getaddrinfo() lookups (format 1.3) and DNS queries seen on the
// wire (UDP port 53, format 1.4).

import type { DnsQueryRow } from '../../replay/dns.ts';
import type { DnsLookupRow } from '../../replay/model.ts';
import { compareUtf8, latencySummary, optionRecorded, type StatsContext, TOP } from '../context.ts';
import { byLabel, topOf } from '../tally.ts';
import type { DnsNameStat, DnsReport, DnsWireReport } from '../types.ts';

/** A failed lookup's error: its EAI name, or `EAI N`. */
const errorOf = (d: DnsLookupRow): string => d.resultName ?? `EAI ${d.result}`;

/** A query's outcome: its reply's RCODE name (`RCODEn` when unnamed), or `no reply`. */
const outcomeOf = (q: DnsQueryRow): string => (q.rcode === null ? 'no reply' : (q.rcodeName ?? `RCODE${q.rcode}`));

/** A query that got an error reply or none. */
const queryFailed = (q: DnsQueryRow): boolean => q.rcode === null || q.rcode !== 0;

interface NameTally {
  name: string;
  count: number;
  failed: number;
  /** The group had a success (a lookup returning 0; a query answered NOERROR). */
  resolved: boolean;
  maxLatency: bigint | null;
  /** Distinct errors or outcomes, in the order first seen. */
  errors: Set<string>;
}

function tallyByName<T extends { name: string }>(
  rows: readonly T[],
  row: (r: T) => { failed: boolean; resolved: boolean; latency: bigint | null; error: string },
): NameTally[] {
  const byName = new Map<string, NameTally>();
  for (const r of rows) {
    let t = byName.get(r.name);
    if (t === undefined) {
      byName.set(
        r.name,
        (t = {
          name: r.name,
          count: 0,
          failed: 0,
          resolved: false,
          maxLatency: null,
          errors: new Set(),
        }),
      );
    }
    const f = row(r);
    t.count++;
    if (f.failed) t.failed++;
    if (f.resolved) t.resolved = true;
    if (f.latency !== null && (t.maxLatency === null || f.latency > t.maxLatency)) t.maxLatency = f.latency;
    t.errors.add(f.error);
  }
  return [...byName.values()];
}

const latenciesOf = (values: Iterable<bigint | null>): number[] => {
  const out: number[] = [];
  for (const v of values) if (v !== null) out.push(Number(v));
  return out.sort((a, b) => a - b);
};

export function dnsStats(ctx: StatsContext): DnsReport {
  const lookups = ctx.model.dnsLookups;
  const failedLookups = lookups.filter((d) => d.result !== 0);
  const names = tallyByName(lookups, (d) => ({
    failed: d.result !== 0,
    resolved: d.result === 0,
    latency: d.latencyNs,
    error: errorOf(d),
  }));
  return {
    recorded: optionRecorded(ctx, 'dns'),
    lookups: lookups.length,
    failed: failedLookups.length,
    names: names.length,
    byName: topOf(names, TOP, (a, b) => b.count - a.count || b.failed - a.failed || compareUtf8(a.name, b.name)).map(
      (n): DnsNameStat => ({ name: n.name, count: n.count, failed: n.failed, maxLatencyNs: Number(n.maxLatency) }),
    ),
    failedByResult: byLabel(failedLookups, errorOf, (d) => d.name).map(({ label, count, examples }) => ({
      error: label,
      count,
      examples,
    })),
    latency: latencySummary(latenciesOf(lookups.map((d) => d.latencyNs))),
    unresolved: topOf(
      names.filter((n) => !n.resolved),
      TOP,
      (a, b) => b.failed - a.failed || compareUtf8(a.name, b.name),
    ).map((n) => ({ name: n.name, failed: n.failed, error: [...n.errors].join(',') })),
    wire: dnsWireReport(ctx),
  };
}

/** The DNS queries' summary. */
function dnsWireReport(ctx: StatsContext): DnsWireReport {
  const queries = ctx.model.dnsQueries;
  const failedQueries = queries.filter(queryFailed);
  const servers = new Map<
    string,
    { server: string; port: number; queries: number; failed: number; max: bigint | null }
  >();
  for (const q of queries) {
    const key = `${q.serverPort} ${q.server}`;
    let s = servers.get(key);
    if (s === undefined)
      servers.set(key, (s = { server: q.server, port: q.serverPort, queries: 0, failed: 0, max: null }));
    s.queries++;
    if (queryFailed(q)) s.failed++;
    if (q.latencyNs !== null && (s.max === null || q.latencyNs > s.max)) s.max = q.latencyNs;
  }
  const names = tallyByName(queries, (q) => ({
    failed: queryFailed(q),
    resolved: q.rcode === 0,
    latency: q.latencyNs,
    error: outcomeOf(q),
  }));
  let answered = 0;
  let truncated = 0;
  let malformed = 0;
  for (const q of queries) {
    if (q.rcode === 0) answered++;
    if (q.truncated) truncated++;
    if (q.error !== null) malformed++;
  }
  return {
    recorded: optionRecorded(ctx, 'dnsMessages'),
    queries: queries.length,
    answered,
    failed: failedQueries.length,
    failedByOutcome: byLabel(failedQueries, outcomeOf, (q) => q.name).map(({ label, count, examples }) => ({
      outcome: label,
      count,
      examples,
    })),
    latency: latencySummary(latenciesOf(queries.map((q) => q.latencyNs))),
    servers: topOf(
      servers.values(),
      TOP,
      (a, b) => b.queries - a.queries || compareUtf8(a.server, b.server) || a.port - b.port,
    ).map((s) => ({
      server: s.server,
      port: s.port,
      queries: s.queries,
      failed: s.failed,
      maxLatencyNs: s.max === null ? null : Number(s.max),
    })),
    unresolved: topOf(
      names.filter((n) => !n.resolved),
      TOP,
      (a, b) => b.count - a.count || compareUtf8(a.name, b.name),
    ).map((n) => ({ name: n.name, failed: n.count, outcome: [...n.errors].join(', ') })),
    truncated,
    malformed,
  };
}
