// TCP connections for display: peer text, byte sizes, and the --dedup
// grouping of a process's connections by peer. Pure.

import { formatDuration, formatNetBytes } from '../format.ts';
import type { ConnectionRow, DnsLookupRow, DnsQueryRow } from './model.ts';

/** `addr:port` as the capture gives the address (IPv6 without brackets: `::1:8766`); with a peer name `name (addr):port`. */
export function peerText(address: string, port: number, name: string | null = null): string {
  return name === null ? `${address}:${port}` : `${name} (${address}):${port}`;
}

/**
 * What ended a failed connect: the kernel's error (`ECONNREFUSED`), or
 * `abandoned` when the application closed the socket before any answer
 * (with the last error the kernel had noted, if any).
 */
export function connectFailure(c: Pick<ConnectionRow, 'abandoned' | 'errno' | 'errnoName'>): string {
  const error = c.errnoName ?? (c.errno === null ? null : `errno ${c.errno}`);
  if (c.abandoned) return error === null ? 'abandoned' : `abandoned (last error ${error})`;
  return error ?? 'failed';
}

/** `1000 B out / 4.9 KiB in`, or null when no byte counts were recorded. */
function bytesText(c: Pick<ConnectionRow, 'bytesSent' | 'bytesReceived'>): string | null {
  if (c.bytesSent === null || c.bytesReceived === null) return null;
  return `${formatNetBytes(Number(c.bytesSent))} out / ${formatNetBytes(Number(c.bytesReceived))} in`;
}

/** The arrow line of one connection (failures: `✗ connect …: ERRNO`), without the mark's colour. */
export function connectionText(c: ConnectionRow): { mark: '→' | '←' | '✗'; text: string; detail: string } {
  if (c.state === 'failed') {
    return {
      mark: '✗',
      text: `connect ${peerText(c.remoteAddress, c.remotePort, c.peerName)}: ${connectFailure(c)}`,
      detail: c.latencyNs === null ? '' : `after ${formatDuration(Number(c.latencyNs))}`,
    };
  }
  const parts: string[] = [c.role];
  if (c.role === 'client' && c.latencyNs !== null) parts.push(`${formatDuration(Number(c.latencyNs))} connect`);
  const bytes = bytesText(c);
  if (c.state === 'open-at-end') {
    parts.push('open at end');
    if (bytes !== null) parts.push(`${bytes} so far`);
  } else if (bytes !== null) parts.push(bytes);
  if (c.retransmits !== null && c.retransmits > 0)
    parts.push(`${c.retransmits} retransmit${c.retransmits === 1 ? '' : 's'}`);
  if (c.role === 'server') {
    return {
      mark: '←',
      text: `${peerText(c.remoteAddress, c.remotePort)} on :${c.localPort}`,
      detail: parts.join(', '),
    };
  }
  return { mark: '→', text: peerText(c.remoteAddress, c.remotePort, c.peerName), detail: parts.join(', ') };
}

/** Connections of one peer (--dedup): clients by remote address:port, servers by remote address and local port, failures by peer and errno. */
export interface ConnectionGroup {
  role: string;
  /** Client groups: the peer's name (pseudo reverse DNS), part of the grouping key; else null. */
  peerName: string | null;
  /** Set for failures (one group per peer and failure: connectFailure's text). */
  errnoName: string | null;
  remoteAddress: string;
  /** null for server groups (the client's port varies). */
  remotePort: number | null;
  /** Server groups: the listening port; else null. */
  localPort: number | null;
  count: number;
  /** Still open at the end of the capture. */
  open: number;
  /** Connections whose byte counts were recorded (at close, or at the stop). */
  withBytes: number;
  /** Of those, the ones still open at the stop: their bytes are so far. */
  openWithBytes: number;
  /** Largest connect latency (clients), ns; null when none recorded. */
  maxLatencyNs: number | null;
  bytesSent: number;
  bytesReceived: number;
  retransmits: number;
  /** First start, wall clock ns. */
  start: bigint;
}

export function groupConnections(list: readonly ConnectionRow[]): ConnectionGroup[] {
  const groups = new Map<string, ConnectionGroup>();
  for (const c of list) {
    const failed = c.state === 'failed';
    const server = c.role === 'server' && !failed;
    const failure = failed ? connectFailure(c) : null;
    const key = failed
      ? `f\u0000${c.remoteAddress}\u0000${c.remotePort}\u0000${failure}\u0000${c.peerName}`
      : server
        ? `s\u0000${c.remoteAddress}\u0000${c.localPort}`
        : `c\u0000${c.role}\u0000${c.remoteAddress}\u0000${c.remotePort}\u0000${c.peerName}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        role: c.role,
        peerName: server ? null : c.peerName,
        errnoName: failure,
        remoteAddress: c.remoteAddress,
        remotePort: server ? null : c.remotePort,
        localPort: server ? c.localPort : null,
        count: 0,
        open: 0,
        withBytes: 0,
        openWithBytes: 0,
        maxLatencyNs: null,
        bytesSent: 0,
        bytesReceived: 0,
        retransmits: 0,
        start: c.start,
      };
      groups.set(key, g);
    }
    g.count++;
    if (c.state === 'open-at-end') g.open++;
    if (c.latencyNs !== null && (g.maxLatencyNs === null || Number(c.latencyNs) > g.maxLatencyNs))
      g.maxLatencyNs = Number(c.latencyNs);
    if (c.bytesSent !== null) g.withBytes++;
    if (c.bytesSent !== null && c.state === 'open-at-end') g.openWithBytes++;
    g.bytesSent += Number(c.bytesSent ?? 0n);
    g.bytesReceived += Number(c.bytesReceived ?? 0n);
    g.retransmits += c.retransmits ?? 0;
  }
  return [...groups.values()];
}

/** The line of a group: `→ 10.1.2.3:443 ×2 (client, max 12ms connect, …)`, `← 127.0.0.1 on :8080 ×3 (server, …)`, `✗ connect ::1:8766: ECONNREFUSED ×2`. */
export function groupText(
  g: ConnectionGroup,
  countIsLowerBound = false,
): { mark: '→' | '←' | '✗'; text: string; detail: string } {
  const times = g.count > 1 ? ` ×${countIsLowerBound ? '≥' : ''}${g.count}` : '';
  if (g.errnoName !== null)
    return {
      mark: '✗',
      text: `connect ${peerText(g.remoteAddress, g.remotePort ?? 0, g.peerName)}: ${g.errnoName}${times}`,
      detail: '',
    };
  const parts: string[] = [g.role];
  if (g.role === 'client' && g.maxLatencyNs !== null)
    parts.push(`${g.count > 1 ? 'max ' : ''}${formatDuration(g.maxLatencyNs)} connect`);
  if (g.withBytes > 0)
    parts.push(
      `${formatNetBytes(g.bytesSent)} out / ${formatNetBytes(g.bytesReceived)} in${g.openWithBytes > 0 ? ' so far' : ''}`,
    );
  if (g.open > 0) parts.push(g.count > 1 ? `${g.open} open at end` : 'open at end');
  if (g.retransmits > 0) parts.push(`${g.retransmits} retransmit${g.retransmits === 1 ? '' : 's'}`);
  if (g.localPort !== null)
    return { mark: '←', text: `${g.remoteAddress} on :${g.localPort}${times}`, detail: parts.join(', ') };
  return {
    mark: '→',
    text: `${peerText(g.remoteAddress, g.remotePort ?? 0, g.peerName)}${times}`,
    detail: parts.join(', '),
  };
}

/** Distinct addresses of a lookup's answers, in answer order (getaddrinfo lists each once per socket type). */
export function answerAddresses(answers: readonly { address: string }[]): string[] {
  return [...new Set(answers.map((a) => a.address))];
}

function addressList(addresses: readonly string[], more: boolean): string {
  if (addresses.length === 0) return 'no addresses';
  return addresses.join(', ') + (more ? ', …' : '');
}

/** The line of one lookup: `? localhost → 127.0.0.1, ::1 (0.6ms)`, `✗ lookup foo.invalid: EAI_NONAME (after 4ms)`. */
export function lookupText(l: DnsLookupRow): { mark: '?' | '✗'; text: string; detail: string } {
  const latency = formatDuration(Number(l.latencyNs));
  if (l.result !== 0)
    return { mark: '✗', text: `lookup ${l.name}: ${l.resultName ?? `EAI ${l.result}`}`, detail: `after ${latency}` };
  return {
    mark: '?',
    text: `${l.name} → ${addressList(answerAddresses(l.answers), l.count > l.answers.length)}`,
    detail: latency,
  };
}

/** Lookups of one name with one outcome (--dedup): successes by name, failures by name and EAI code. */
export interface LookupGroup {
  name: string;
  /** Failures: the EAI name; null for successes. */
  resultName: string | null;
  count: number;
  /** Distinct addresses over the group's answers, in first-seen order. */
  addresses: string[];
  /** Some result list had more addresses than the capture keeps. */
  more: boolean;
  maxLatencyNs: number;
  /** First call, wall clock ns. */
  start: bigint;
}

export function groupLookups(list: readonly DnsLookupRow[]): LookupGroup[] {
  const groups = new Map<string, { g: LookupGroup; seen: Set<string> }>();
  for (const l of list) {
    const resultName = l.result === 0 ? null : (l.resultName ?? `EAI ${l.result}`);
    const key = `${l.name}\u0000${resultName}`;
    let e = groups.get(key);
    if (e === undefined) {
      e = {
        g: { name: l.name, resultName, count: 0, addresses: [], more: false, maxLatencyNs: 0, start: l.time },
        seen: new Set(),
      };
      groups.set(key, e);
    }
    const g = e.g;
    g.count++;
    g.maxLatencyNs = Math.max(g.maxLatencyNs, Number(l.latencyNs));
    if (l.count > l.answers.length) g.more = true;
    for (const a of l.answers) {
      if (e.seen.has(a.address)) continue;
      e.seen.add(a.address);
      g.addresses.push(a.address);
    }
  }
  return [...groups.values()].map((e) => e.g);
}

/** The line of a lookup group: `? localhost → 127.0.0.1, ::1 ×4 (max 0.9ms)`, `✗ lookup foo.invalid: EAI_NONAME ×2`. */
export function lookupGroupText(
  g: LookupGroup,
  countIsLowerBound = false,
): { mark: '?' | '✗'; text: string; detail: string } {
  const times = g.count > 1 ? ` ×${countIsLowerBound ? '≥' : ''}${g.count}` : '';
  const latency = `${g.count > 1 ? 'max ' : ''}${formatDuration(g.maxLatencyNs)}`;
  if (g.resultName !== null)
    return {
      mark: '✗',
      text: `lookup ${g.name}: ${g.resultName}${times}`,
      detail: g.count > 1 ? '' : `after ${latency}`,
    };
  return { mark: '?', text: `${g.name} → ${addressList(g.addresses, g.more)}${times}`, detail: latency };
}

/** `127.0.0.53`, or `127.0.0.53:5353` off the DNS port; IPv6 in brackets when a port is shown. */
function serverText(address: string, port: number): string {
  if (port === 53) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** What became of a query: null for NOERROR, else the rcode name or `no reply`. */
export function queryOutcome(q: Pick<DnsQueryRow, 'rcode' | 'rcodeName'>): string | null {
  if (q.rcode === null) return 'no reply';
  return q.rcode === 0 ? null : (q.rcodeName ?? `RCODE${q.rcode}`);
}

/**
 * The line of one DNS query on the wire: `? dns A example.com → 93.184.216.34 (0.4ms, 127.0.0.53)`,
 * `✗ dns AAAA nope.test: NXDOMAIN (…)`; a reply without its query, or one that did not parse whole, says so.
 */
export function queryText(q: DnsQueryRow): { mark: '?' | '✗'; text: string; detail: string } {
  const server = serverText(q.server, q.serverPort);
  const outcome = queryOutcome(q);
  const what = `dns ${q.type || '?'} ${q.name || '(unparsed)'}`;
  if (outcome !== null) {
    return {
      mark: '✗',
      text: `${what}: ${outcome}`,
      detail: q.latencyNs === null ? server : `after ${formatDuration(Number(q.latencyNs))}, ${server}`,
    };
  }
  const latency = q.latencyNs === null ? '' : `${formatDuration(Number(q.latencyNs))}, `;
  const notes = `${q.query === null ? ', no query seen' : ''}${q.error === null ? '' : `, not parsed whole: ${q.error}`}`;
  return { mark: '?', text: `${what} → ${addressList(q.answers, false)}`, detail: `${latency}${server}${notes}` };
}

/** Queries of one name, type, server and outcome (--dedup). */
export interface QueryGroup {
  name: string;
  type: string;
  server: string;
  serverPort: number;
  /** null for NOERROR; else the rcode name or `no reply`. */
  outcome: string | null;
  count: number;
  /** Distinct answer addresses, in first-seen order. */
  addresses: string[];
  /** Largest query-to-reply time; null when no member had a reply. */
  maxLatencyNs: number | null;
  start: bigint;
}

export function groupQueries(list: readonly DnsQueryRow[]): QueryGroup[] {
  const groups = new Map<string, QueryGroup>();
  for (const q of list) {
    const outcome = queryOutcome(q);
    const key = `${q.name}\u0000${q.type}\u0000${q.server}\u0000${q.serverPort}\u0000${outcome}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        name: q.name,
        type: q.type,
        server: q.server,
        serverPort: q.serverPort,
        outcome,
        count: 0,
        addresses: [],
        maxLatencyNs: null,
        start: q.time,
      };
      groups.set(key, g);
    }
    g.count++;
    if (q.latencyNs !== null) g.maxLatencyNs = Math.max(g.maxLatencyNs ?? 0, Number(q.latencyNs));
    for (const a of q.answers) if (!g.addresses.includes(a)) g.addresses.push(a);
  }
  return [...groups.values()];
}

/** The line of a query group: `? dns A example.com → 93.184.216.34 ×3 (max 0.9ms, 127.0.0.53)`. */
export function queryGroupText(
  g: QueryGroup,
  countIsLowerBound = false,
): { mark: '?' | '✗'; text: string; detail: string } {
  const times = g.count > 1 ? ` ×${countIsLowerBound ? '≥' : ''}${g.count}` : '';
  const server = serverText(g.server, g.serverPort);
  const latency = (failed: boolean): string =>
    g.maxLatencyNs === null
      ? ''
      : `${g.count > 1 ? 'max ' : failed ? 'after ' : ''}${formatDuration(g.maxLatencyNs)}, `;
  const what = `dns ${g.type || '?'} ${g.name || '(unparsed)'}`;
  if (g.outcome !== null)
    return { mark: '✗', text: `${what}: ${g.outcome}${times}`, detail: `${latency(true)}${server}` };
  return {
    mark: '?',
    text: `${what} → ${addressList(g.addresses, false)}${times}`,
    detail: `${latency(false)}${server}`,
  };
}
