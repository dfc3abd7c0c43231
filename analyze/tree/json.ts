// The tree as JSON: display items → the `roots` array and the whole --json
// document documented in docs/tree-json.md. Pure.

import { isoTime } from '../format.ts';
import { type CaptureInfo, lossWarning } from '../replay/capture-info.ts';
import { openFlagsText } from '../replay/files.ts';
import type {
  ConnectionRow,
  ConnectionState,
  DnsAnswer,
  DnsLookupRow,
  DnsQueryRow,
  ExecFailureRow,
  OpenRow,
  ResourceRow,
} from '../replay/model.ts';
import { groupConnections, groupLookups, groupQueries, queryOutcome } from '../replay/net.ts';
import { argvOf, type DisplayItem, nodeDuration, type TreeFilters } from './build.ts';
import type { CriticalMarks } from './critical.ts';
import { cpuNs, maxOf, openCounts, openDisplayPath, Seen, type TreeRenderOptions } from './display.ts';

export interface JsonStatus {
  state: 'exited' | 'running' | 'unknown' | 'replaced';
  exitCode: number | null;
  signal: string | null;
  coreDumped: boolean;
}

export interface JsonFailedExec {
  path: string;
  errno: string;
  startNs: number;
  /** The path's bytes were lost (`path` is empty). */
  pathLost?: true;
}

export interface JsonOpen {
  /** Absolute path resolved at replay, else as given (`<fd N>/path` when relative to another dirfd). */
  path: string;
  /** The path as the process gave it. */
  pathAsGiven: string;
  resolved: boolean;
  flags: string;
  fd: number | null;
  errno: string | null;
  startNs: number;
  latencyNs: number;
  /** The path's bytes were lost (`path` is "(path lost)", `pathAsGiven` empty). */
  pathLost?: true;
  /** With --dedup, at a path's first occurrence: successful opens of it later in the tree. */
  laterRepeats?: number;
}

export interface JsonResources {
  cpuUserNs: number;
  cpuSystemNs: number;
  cpuRuntimeNs: number;
  maxRssKib: number;
  minorFaults: number;
  majorFaults: number;
  voluntaryContextSwitches: number;
  involuntaryContextSwitches: number;
  readChars: number;
  writtenChars: number;
  readBytes: number;
  writtenBytes: number;
}

export function jsonResources(r: ResourceRow): JsonResources {
  return {
    cpuUserNs: r.utimeNs,
    cpuSystemNs: r.stimeNs,
    cpuRuntimeNs: r.runtimeNs,
    maxRssKib: r.maxrssKb,
    minorFaults: r.minFlt,
    majorFaults: r.majFlt,
    voluntaryContextSwitches: r.nvcsw,
    involuntaryContextSwitches: r.nivcsw,
    readChars: r.rchar,
    writtenChars: r.wchar,
    readBytes: r.readBytes,
    writtenBytes: r.writeBytes,
  };
}

/** A TCP connection (--net, without --dedup). */
export interface JsonConnection {
  type: 'connection';
  role: string;
  family: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Client connections: the name of the lookup that gave the remote address (pseudo reverse DNS); else null. */
  peerName: string | null;
  state: ConnectionState;
  errno: string | null;
  /** A failed connect the application gave up on (closed before any answer). */
  abandoned: boolean;
  startNs: number;
  /** Until the close or the failure; null when still open at the end. */
  durationNs: number | null;
  connectLatencyNs: number | null;
  bytesSent: number | null;
  bytesReceived: number | null;
  retransmits: number | null;
  /** The application still had it open when the capture stopped; null: the file does not say (before format 1.5). */
  openAtStop: boolean | null;
  tcpStateAtStop: string | null;
}

/** Connections of one peer (--net --dedup). */
export interface JsonConnectionGroup {
  type: 'connectionGroup';
  role: string;
  remoteAddress: string;
  /** null for server groups (one per remote address and listening port). */
  remotePort: number | null;
  /** Client groups: the peer's name (part of the grouping); else null. */
  peerName: string | null;
  localPort: number | null;
  /** Failures: one group per peer and failure (`ECONNREFUSED`, `abandoned`…). */
  errno: string | null;
  count: number;
  openAtEnd: number;
  maxConnectLatencyNs: number | null;
  bytesSent: number;
  bytesReceived: number;
  retransmits: number;
  startNs: number;
}

/** A name lookup (--net, without --dedup). */
export interface JsonLookup {
  type: 'lookup';
  name: string;
  /** 0 or the EAI code; `error` its name (null on success). */
  result: number;
  error: string | null;
  startNs: number;
  latencyNs: number;
  /** Addresses in the result list; `answers` holds the first 8 (duplicates per socket type included). */
  answerCount: number;
  answers: DnsAnswer[];
}

/** Lookups of one name with one outcome (--net --dedup). */
export interface JsonLookupGroup {
  type: 'lookupGroup';
  name: string;
  /** Failures: the EAI name; null for successes. */
  error: string | null;
  count: number;
  /** Distinct addresses over the group's answers. */
  addresses: string[];
  maxLatencyNs: number;
  startNs: number;
}

/** A DNS query on the wire and its reply (--net, without --dedup; format 1.4). */
export interface JsonDnsQuery {
  type: 'dnsQuery';
  name: string;
  /** A, AAAA, … */
  queryType: string;
  server: string;
  serverPort: number;
  /** null for NOERROR; else the rcode name (NXDOMAIN, SERVFAIL…) or `no reply`. */
  error: string | null;
  startNs: number;
  /** null without a reply. */
  latencyNs: number | null;
  /** A/AAAA addresses of the reply, CNAMEs followed. */
  answers: string[];
}

/** Queries of one name, type, server and outcome (--net --dedup). */
export interface JsonDnsQueryGroup {
  type: 'dnsQueryGroup';
  name: string;
  queryType: string;
  server: string;
  serverPort: number;
  error: string | null;
  count: number;
  addresses: string[];
  maxLatencyNs: number | null;
  startNs: number;
}

export interface JsonEnvVar {
  name: string;
  value: string;
}

export interface JsonNode {
  type: 'exec' | 'fork' | 'process';
  pid: number;
  processId: number;
  execSeq: number | null;
  startNs: number;
  durationNs: number | null;
  argv: string[] | null;
  argvTruncated: boolean;
  exe: string | null;
  cwd: string | null;
  forkOf: string | null;
  status: JsonStatus;
  failed: boolean;
  failedExecs: JsonFailedExec[];
  failedExecsRepeated?: number;
  env?: JsonEnvVar[];
  envRepeated?: number;
  /** With --files. */
  opens?: JsonOpen[];
  opensRepeated?: number;
  /** With --resources, on a process's last image: null when not recorded. */
  resources?: JsonResources | null;
  /** With --critical: the image's own time on the critical path, ns (docs/critical-path.md). */
  criticalOwnNs?: number;
  /** With --net: connections started while this image was current (grouped by peer with --dedup). */
  connections?: (JsonConnection | JsonConnectionGroup)[];
  /** With --net: name lookups made while this image was current (grouped by name and outcome with --dedup). */
  lookups?: (JsonLookup | JsonLookupGroup)[];
  /** With --net: DNS queries on the wire sent while this image was current (grouped with --dedup). */
  dnsQueries?: (JsonDnsQuery | JsonDnsQueryGroup)[];
  hiddenDescendants: number;
  /** Where a process starts: `attached` (not seen starting), the container or namespaces it enters (format 1.8); absent when none. */
  marks?: string[];
  children: (JsonNode | JsonGroup)[];
}

export interface JsonGroup {
  type: 'group';
  count: number;
  /** The members' marks (the same on each: only processes with the same marks are grouped); absent when none. */
  marks?: string[];
  memberType: 'exec' | 'fork' | 'process';
  argvPattern: (string | null)[];
  exe: string | null;
  forkOf: string | null;
  pids: number[];
  processIds: number[];
  startNs: number;
  totalDurationNs: number;
  maxDurationNs: number;
  running: number;
  failedExecs: JsonFailedExec[];
  failedExecsRepeated?: number;
  env?: JsonEnvVar[];
  envRepeated?: number;
  opens?: JsonOpen[];
  opensRepeated?: number;
  /** With --resources: CPU time summed, max RSS the largest, over the members that recorded usage (null: none did). */
  resources?: { cpuNs: number; maxRssKib: number; recorded: number } | null;
  /** With --net: the members' connections, grouped by peer. */
  connections?: JsonConnectionGroup[];
  /** With --net: the members' lookups, grouped by name and outcome. */
  lookups?: JsonLookupGroup[];
  /** With --net: the members' DNS queries, grouped. */
  dnsQueries?: JsonDnsQueryGroup[];
  children: (JsonNode | JsonGroup)[];
}

/** The JSON `roots` array (docs/tree-json.md). */
export function treeJson(
  items: readonly DisplayItem[],
  opts: Pick<TreeRenderOptions, 'envs' | 'dedup' | 'files' | 'resources' | 'net' | 'critical'> & { startNs: bigint },
): (JsonNode | JsonGroup)[] {
  const seen = new Seen();
  const rel = (ns: bigint): number => Number(ns - opts.startNs);
  const lookupGroups = (list: readonly DnsLookupRow[]): JsonLookupGroup[] =>
    groupLookups(list).map((g) => ({
      type: 'lookupGroup',
      name: g.name,
      error: g.resultName,
      count: g.count,
      addresses: g.addresses,
      maxLatencyNs: g.maxLatencyNs,
      startNs: rel(g.start),
    }));
  const queryGroups = (list: readonly DnsQueryRow[]): JsonDnsQueryGroup[] =>
    groupQueries(list).map((g) => ({
      type: 'dnsQueryGroup',
      name: g.name,
      queryType: g.type,
      server: g.server,
      serverPort: g.serverPort,
      error: g.outcome,
      count: g.count,
      addresses: g.addresses,
      maxLatencyNs: g.maxLatencyNs,
      startNs: rel(g.start),
    }));
  const queries = (list: readonly DnsQueryRow[]): (JsonDnsQuery | JsonDnsQueryGroup)[] =>
    opts.dedup
      ? queryGroups(list)
      : list.map((q) => ({
          type: 'dnsQuery',
          name: q.name,
          queryType: q.type,
          server: q.server,
          serverPort: q.serverPort,
          error: queryOutcome(q),
          startNs: rel(q.time),
          latencyNs: q.latencyNs === null ? null : Number(q.latencyNs),
          answers: q.answers,
        }));
  const lookups = (list: readonly DnsLookupRow[]): (JsonLookup | JsonLookupGroup)[] =>
    opts.dedup
      ? lookupGroups(list)
      : list.map((l) => ({
          type: 'lookup',
          name: l.name,
          result: l.result,
          error: l.result === 0 ? null : (l.resultName ?? `EAI ${l.result}`),
          startNs: rel(l.time),
          latencyNs: Number(l.latencyNs),
          answerCount: l.count,
          answers: l.answers,
        }));
  const connGroups = (list: readonly ConnectionRow[]): JsonConnectionGroup[] =>
    groupConnections(list).map((g) => ({
      type: 'connectionGroup',
      role: g.role,
      remoteAddress: g.remoteAddress,
      remotePort: g.remotePort,
      peerName: g.peerName,
      localPort: g.localPort,
      errno: g.errnoName,
      count: g.count,
      openAtEnd: g.open,
      maxConnectLatencyNs: g.maxLatencyNs,
      bytesSent: g.bytesSent,
      bytesReceived: g.bytesReceived,
      retransmits: g.retransmits,
      startNs: rel(g.start),
    }));
  const connections = (list: readonly ConnectionRow[]): (JsonConnection | JsonConnectionGroup)[] =>
    opts.dedup
      ? connGroups(list)
      : list.map((c) => ({
          type: 'connection',
          role: c.role,
          family: c.family,
          localAddress: c.localAddress,
          localPort: c.localPort,
          remoteAddress: c.remoteAddress,
          remotePort: c.remotePort,
          peerName: c.peerName,
          state: c.state,
          errno: c.errnoName,
          abandoned: c.abandoned,
          startNs: rel(c.start),
          durationNs: c.end === null ? null : Number(c.end - c.start),
          connectLatencyNs: c.latencyNs === null ? null : Number(c.latencyNs),
          bytesSent: c.bytesSent === null ? null : Number(c.bytesSent),
          bytesReceived: c.bytesReceived === null ? null : Number(c.bytesReceived),
          retransmits: c.retransmits,
          openAtStop: c.openAtStop,
          tcpStateAtStop: c.tcpStateAtStop,
        }));
  const counts = opts.files === true && opts.dedup ? openCounts(items) : null;
  const opens = (list: readonly OpenRow[]): { shown: JsonOpen[]; repeated: number } => {
    const shown: JsonOpen[] = [];
    let repeated = 0;
    for (const o of list) {
      const path = openDisplayPath(o);
      const j: JsonOpen = {
        path,
        pathAsGiven: o.path,
        resolved: o.resolved !== null,
        flags: openFlagsText(o.flags),
        fd: o.fd,
        errno: o.errnoName,
        startNs: Number(o.time - opts.startNs),
        latencyNs: Number(o.latencyNs),
      };
      if (o.path === '' && o.pathTruncated) j.pathLost = true;
      if (counts !== null && o.fd !== null) {
        if (!seen.first(`open\u0000${path}`)) {
          repeated++;
          continue;
        }
        j.laterRepeats = counts.get(path)! - 1;
      }
      shown.push(j);
    }
    return { shown, repeated };
  };
  const failedExecs = (list: readonly ExecFailureRow[]): { shown: JsonFailedExec[]; repeated: number } => {
    const shown: JsonFailedExec[] = [];
    let repeated = 0;
    for (const f of list) {
      if (opts.dedup && !seen.first(`exec-failed\u0000${f.path}\u0000${f.errnoName}`)) repeated++;
      else
        shown.push({
          path: f.path,
          errno: f.errnoName,
          startNs: Number(f.time - opts.startNs),
          ...(f.path === '' && f.pathTruncated ? { pathLost: true as const } : {}),
        });
    }
    return { shown, repeated };
  };
  const env = (envId: number | null): { shown: JsonEnvVar[]; repeated: number } | null => {
    if (opts.envs === null) return null;
    const shown: JsonEnvVar[] = [];
    let repeated = 0;
    for (const [name, value] of envId === null ? [] : (opts.envs.get(envId) ?? [])) {
      if (opts.dedup && !seen.first(`env\u0000${name}=${value}`)) repeated++;
      else shown.push({ name, value });
    }
    return { shown, repeated };
  };
  const conv = (item: DisplayItem): JsonNode | JsonGroup => {
    if (item.type === 'node') {
      const n = item.node;
      const fe = failedExecs(n.failedExecs);
      const e = env(n.envId);
      const node: JsonNode = {
        type: n.kind,
        pid: n.pid,
        processId: n.processId,
        execSeq: n.execSeq,
        startNs: n.start,
        durationNs: n.end === null ? null : n.end - n.start,
        argv: n.kind === 'exec' ? argvOf(n) : null,
        argvTruncated: n.argvTruncated,
        exe: n.kind === 'exec' ? n.exe : null,
        cwd: n.cwd,
        forkOf: n.forkOf,
        status: {
          state: n.replaced ? 'replaced' : n.exit.state,
          exitCode: n.exit.exitCode,
          signal: n.exit.signal === null ? null : (n.exit.signalName ?? `signal ${n.exit.signal}`),
          coreDumped: n.exit.coreDumped,
        },
        failed: n.failed,
        failedExecs: fe.shown,
        hiddenDescendants: n.hidden,
        children: [],
      };
      if (n.marks.length > 0) node.marks = [...n.marks];
      if (opts.dedup) node.failedExecsRepeated = fe.repeated;
      if (e !== null) {
        node.env = e.shown;
        if (opts.dedup) node.envRepeated = e.repeated;
      }
      if (opts.files === true) {
        const o = opens(n.opens);
        node.opens = o.shown;
        if (opts.dedup) node.opensRepeated = o.repeated;
      }
      if (opts.resources === true && !n.replaced)
        node.resources = n.resources === null ? null : jsonResources(n.resources);
      const own = opts.critical?.ownNs(n) ?? null;
      if (own !== null) node.criticalOwnNs = own;
      if (opts.net === true) {
        node.connections = connections(n.connections);
        node.lookups = lookups(n.lookups);
        if (n.queries.length > 0) node.dnsQueries = queries(n.queries);
      }
      return node;
    }
    const first = item.members[0]!;
    const durations = item.members.map(nodeDuration);
    const fe = failedExecs(item.members.flatMap((m) => m.failedExecs));
    const e = env(first.envId);
    const g: JsonGroup = {
      type: 'group',
      count: item.members.length,
      memberType: first.kind,
      argvPattern: first.kind === 'exec' ? item.pattern : [],
      exe: first.kind === 'exec' ? first.exe : null,
      forkOf: first.forkOf,
      pids: item.members.map((m) => m.pid),
      processIds: item.members.map((m) => m.processId),
      startNs: first.start,
      totalDurationNs: durations.reduce((s, d) => s + d, 0),
      maxDurationNs: maxOf(durations),
      running: item.members.filter((m) => m.end === null).length,
      failedExecs: fe.shown,
      failedExecsRepeated: fe.repeated,
      children: [],
    };
    if (first.marks.length > 0) g.marks = [...first.marks];
    if (e !== null) {
      g.env = e.shown;
      g.envRepeated = e.repeated;
    }
    if (opts.files === true) {
      const o = opens(item.members.flatMap((m) => m.opens));
      g.opens = o.shown;
      g.opensRepeated = o.repeated;
    }
    if (opts.resources === true) {
      let cpu = 0;
      let rss = 0;
      let recorded = 0;
      for (const m of item.members) {
        if (m.replaced || m.resources === null) continue;
        recorded++;
        cpu += cpuNs(m.resources);
        rss = Math.max(rss, Number(m.resources.maxrssKb));
      }
      g.resources = recorded === 0 ? null : { cpuNs: cpu, maxRssKib: rss, recorded };
    }
    if (opts.net === true) {
      g.connections = connGroups(item.members.flatMap((m) => m.connections));
      g.lookups = lookupGroups(item.members.flatMap((m) => m.lookups));
      const q = item.members.flatMap((m) => m.queries);
      if (q.length > 0) g.dnsQueries = queryGroups(q);
    }
    return g;
  };
  // Pre-order without recursion (the order the repeated values are first seen in): a converted item's
  // children are converted after it, into its `children`, before its next sibling.
  const roots: (JsonNode | JsonGroup)[] = [];
  const stack: { item: DisplayItem; into: (JsonNode | JsonGroup)[] }[] = [];
  for (let i = items.length - 1; i >= 0; i--) stack.push({ item: items[i]!, into: roots });
  while (stack.length > 0) {
    const { item, into } = stack.pop()!;
    const j = conv(item);
    into.push(j);
    for (let i = item.children.length - 1; i >= 0; i--) stack.push({ item: item.children[i]!, into: j.children });
  }
  return roots;
}

export const TREE_JSON_VERSION = 1;

export interface TreeDocument {
  format: 'ptrace-tree';
  version: number;
  capture: {
    path: string;
    startTime: string;
    startNs: string;
    durationNs: number;
    complete: boolean;
    rootPid: number;
    command: string[];
    /** Records lost (all categories), and per category: the counts and lists below may be incomplete. */
    lostRecords: number;
    losses: Record<string, number>;
    warnings: { code: string; message: string }[];
  };
  options: {
    dedup: boolean;
    env: boolean;
    pid: number | null;
    match: string | null;
    failed: boolean;
    depth: number | null;
    minDurationNs: number | null;
    critical: boolean;
    files: boolean;
    resources: boolean;
    net: boolean;
  };
  roots: (JsonNode | JsonGroup)[];
}

/** The whole --json document (docs/tree-json.md). */
export function treeDocument(
  capture: CaptureInfo,
  items: readonly DisplayItem[],
  opts: {
    envs: ReadonlyMap<number, [string, string][]> | null;
    dedup: boolean;
    full: boolean;
    filters: TreeFilters;
    files?: boolean;
    resources?: boolean;
    net?: boolean;
    critical?: CriticalMarks;
  },
): TreeDocument {
  const f = opts.filters;
  const loss = lossWarning(capture);
  return {
    format: 'ptrace-tree',
    version: TREE_JSON_VERSION,
    capture: {
      path: capture.path,
      startTime: isoTime(capture.startNs),
      startNs: capture.startNs.toString(),
      durationNs: capture.end,
      complete: capture.complete,
      rootPid: capture.rootPid,
      command: capture.command,
      lostRecords: capture.lost,
      losses: Object.fromEntries(capture.losses.map((l) => [l.category, l.count])),
      warnings: [...capture.warnings, ...(loss === null ? [] : [loss])],
    },
    options: {
      dedup: opts.dedup,
      env: opts.envs !== null,
      pid: f.pid ?? null,
      match: f.match?.source ?? null,
      failed: f.failed === true,
      depth: f.depth ?? null,
      minDurationNs: f.minDuration ?? null,
      critical: f.critical !== undefined,
      files: opts.files === true,
      resources: opts.resources === true,
      net: opts.net === true,
    },
    roots: treeJson(items, {
      envs: opts.envs,
      dedup: opts.dedup,
      files: opts.files,
      resources: opts.resources,
      net: opts.net,
      critical: opts.critical,
      startNs: capture.startNs,
    }),
  };
}
