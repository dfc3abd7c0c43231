// DNS messages captured on UDP port 53 → queries: each query paired with the
// reply to it (same process, local port, server and message id), parsed with
// formats/dns-wire.ts; and the pseudo reverse DNS that names a connection
// after the lookup that gave its address (peerNames). Pure.

import type { DnsMessage } from '../../formats/dns-wire.ts';
import { answerAddresses, parseDnsMessage } from '../../formats/dns-wire.ts';
import type { DnsMessageEvent } from '../../formats/types.ts';

/** One DNS query on the wire and its reply, if one came (dns_queries table; format 1.4). */
export interface DnsQueryRow {
  id: number;
  processId: number;
  /** Wall clock ns the query was sent; for a reply without its query, when the reply came. */
  time: bigint;
  /** The resolver's address and port. */
  server: string;
  serverPort: number;
  localPort: number;
  /** The DNS message id. */
  dnsId: number;
  /** The question's name and type (A, AAAA, …), from the query, else from the reply; '' when neither parsed. */
  name: string;
  type: string;
  /** null when no reply was captured (a timeout, or the capture ended first). */
  rcode: number | null;
  rcodeName: string | null;
  /** Query to reply; null without both. */
  latencyNs: bigint | null;
  /** A/AAAA addresses the reply gives for the name (following CNAMEs). */
  answers: string[];
  /** A message was cut (capture limit, or TC: the server said to retry over TCP). */
  truncated: boolean;
  /** Why a message did not parse whole; null when both did. */
  error: string | null;
  query: Buffer | null;
  reply: Buffer | null;
}

/** A captured message with its position: `rel` orders messages; `processId`/`time` are copied to rows. */
export interface PlacedDnsMessage {
  rel: number;
  processId: number;
  time: bigint;
  event: DnsMessageEvent;
}

const questionOf = (m: DnsMessage): { name: string; type: string } => {
  const q = m.questions[0];
  return q === undefined ? { name: '', type: '' } : { name: q.name, type: q.typeName };
};

/** The row of a query, or of a reply nobody asked for, before a reply fills it in. */
function newRow(m: PlacedDnsMessage, parsed: DnsMessage): DnsQueryRow {
  const e = m.event;
  return {
    id: 0,
    processId: m.processId,
    time: m.time,
    server: e.remoteAddress,
    serverPort: e.remotePort,
    localPort: e.localPort,
    dnsId: parsed.id,
    ...questionOf(parsed),
    rcode: null,
    rcodeName: null,
    latencyNs: null,
    answers: [],
    truncated: false,
    error: null,
    query: null,
    reply: null,
  };
}

/**
 * Queries in time order (ids from 1). A reply answers the latest unanswered
 * query with the same process, local port, server and id; a retried query
 * (same id) leaves the first unanswered. Replies nobody asked for (the query
 * was before the capture, or lost) become rows of their own.
 */
export function pairDnsMessages(messages: readonly PlacedDnsMessage[]): DnsQueryRow[] {
  const sorted = [...messages].sort((a, b) => a.rel - b.rel || a.processId - b.processId);
  const rows: DnsQueryRow[] = [];
  const open = new Map<string, DnsQueryRow[]>();
  const timeOf = new Map<DnsQueryRow, number>();
  for (const m of sorted) {
    const e = m.event;
    const parsed = parseDnsMessage(e.message.bytes);
    const key = `${m.processId}\u0000${e.localPort}\u0000${e.remoteAddress}\u0000${e.remotePort}\u0000${parsed.id}`;
    const cut = e.message.truncated || parsed.truncated;
    if (e.direction === 'sent') {
      const row = newRow(m, parsed);
      row.truncated = cut;
      row.error = parsed.error;
      row.query = e.message.bytes;
      rows.push(row);
      timeOf.set(row, m.rel);
      const list = open.get(key);
      if (list === undefined) open.set(key, [row]);
      else list.push(row);
      continue;
    }
    const waiting = open.get(key);
    const asked = waiting?.pop();
    if (waiting !== undefined && waiting.length === 0) open.delete(key);
    const row = asked ?? newRow(m, parsed);
    if (asked === undefined) {
      rows.push(row);
      timeOf.set(row, m.rel);
    }
    if (row.name === '') Object.assign(row, questionOf(parsed));
    row.rcode = parsed.rcode;
    row.rcodeName = parsed.rcodeName;
    row.latencyNs = asked === undefined ? null : m.time - asked.time;
    row.answers = [...new Set(answerAddresses(parsed))];
    row.truncated ||= cut;
    row.error ??= parsed.error;
    row.reply = e.message.bytes;
  }
  rows.sort((a, b) => timeOf.get(a)! - timeOf.get(b)! || a.processId - b.processId);
  rows.forEach((r, i) => (r.id = i + 1));
  return rows;
}

/** What peerNames needs of a name lookup (a getaddrinfo() call, or an answered query on the wire). */
export interface PeerLookup {
  id: number;
  processId: number;
  time: bigint;
  latencyNs: bigint;
  result: number;
  name: string;
  answers: readonly { address: string }[];
}

/** Answered queries as name lookups, for pseudo reverse DNS (peerNames below). */
export function queriesAsLookups(queries: readonly DnsQueryRow[]): PeerLookup[] {
  return queries
    .filter((q) => q.rcode === 0 && q.answers.length > 0)
    .map((q) => ({
      // negative: on a tie (same end time) the getaddrinfo() call the program made wins
      id: -q.id,
      processId: q.processId,
      time: q.time,
      latencyNs: q.latencyNs ?? 0n,
      result: 0,
      name: q.name,
      answers: q.answers.map((address) => ({ address })),
    }));
}

/** An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) as its IPv4 address; any other unchanged. */
export function unmapAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m === null ? address : m[1]!;
}

/**
 * Pseudo reverse DNS: for each connection, the name of the most recent
 * successful lookup, finished before the connection started, made by the
 * connection's process or one of its ancestors, whose answers include the
 * remote address (an IPv4-mapped IPv6 remote address matches its IPv4
 * answer). null for server connections and when no lookup matches.
 * `parentOf` gives a process id's parent id (null: none in the capture).
 */
export function peerNames(
  connections: readonly { processId: number; role: string; remoteAddress: string; start: bigint }[],
  lookups: readonly PeerLookup[],
  parentOf: (processId: number) => number | null,
): (string | null)[] {
  // Successful lookups by answer address.
  const byAddress = new Map<string, { processId: number; end: bigint; id: number; name: string }[]>();
  for (const l of lookups) {
    if (l.result !== 0) continue;
    const entry = { processId: l.processId, end: l.time + l.latencyNs, id: l.id, name: l.name };
    for (const a of new Set(l.answers.map((x) => unmapAddress(x.address)))) {
      let list = byAddress.get(a);
      if (list === undefined) byAddress.set(a, (list = []));
      list.push(entry);
    }
  }
  return connections.map((c) => {
    if (c.role !== 'client') return null;
    const candidates = byAddress.get(unmapAddress(c.remoteAddress));
    if (candidates === undefined) return null;
    const lineage = new Set<number>();
    for (let id: number | null = c.processId; id !== null && !lineage.has(id); id = parentOf(id)) lineage.add(id);
    let best: { end: bigint; id: number; name: string } | null = null;
    for (const l of candidates) {
      if (l.end > c.start || !lineage.has(l.processId)) continue;
      if (best === null || l.end > best.end || (l.end === best.end && l.id > best.id)) best = l;
    }
    return best?.name ?? null;
  });
}
