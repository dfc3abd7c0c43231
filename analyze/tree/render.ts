// Tree renderers: display items → text lines, or → the JSON structure
// documented in docs/tree-json.md. Pure.

import {
  commandLine,
  ELLIPSIS,
  formatDuration,
  formatKib,
  isoTime,
  maskEnvValue,
  type Paint,
  statusText,
  terminalText,
} from '../format.ts';
import { type CaptureInfo, lossWarning } from '../replay/capture-info.ts';
import { openFlagsShort, openFlagsText } from '../replay/files.ts';
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
import {
  connectionText,
  groupConnections,
  groupLookups,
  groupQueries,
  groupText,
  lookupGroupText,
  lookupText,
  queryGroupText,
  queryOutcome,
  queryText,
} from '../replay/net.ts';
import { argvOf, type DisplayItem, type GroupItem, nodeDuration, type TreeFilters, type TreeNode } from './build.ts';

export interface TreeRenderOptions {
  /** Whole command lines instead of shortened ones. */
  full: boolean;
  /** Target line width for shortening. */
  width: number;
  paint: Paint;
  /** Show environments (resolved, by env id). */
  envs: ReadonlyMap<number, [string, string][]> | null;
  /** Show repeated values (env vars, failed exec attempts, opened paths) only at their first occurrence. */
  dedup: boolean;
  /** Show file opens (--files). */
  files?: boolean;
  /** Show CPU time and max RSS (--resources). */
  resources?: boolean;
  /** Show TCP connections (--net). */
  net?: boolean;
  /** Records were lost: which counts may be too low (shown as ×≥N, +≥N). */
  incomplete?: { processes: boolean; files: boolean; execFailed: boolean; net?: boolean; dns?: boolean };
}

/** `N`, or `≥N` when records of its kind were lost. */
const atLeast = (n: number, lost: boolean | undefined): string => (lost === true ? `≥${n}` : String(n));

/** Shown for a path whose bytes were lost (the record arrived, its string did not). */
export const PATH_LOST = '(path lost)';

/** The path shown for an open: resolved, else as given (prefixed by its dirfd when not AT_FDCWD). */
export function openDisplayPath(o: OpenRow): string {
  if (o.resolved !== null) return o.resolved;
  if (o.path === '' && o.pathTruncated) return PATH_LOST;
  return o.dirfd === -100 ? o.path : `<fd ${o.dirfd}>/${o.path}`;
}

/** CPU time of a usage row: the scheduler's runtime (precise), else user + system. */
export function cpuNs(r: ResourceRow): number {
  return Number(r.runtimeNs > 0n ? r.runtimeNs : r.utimeNs + r.stimeNs);
}

/** Bytes → `409.6 kB`-style binary units: `400 KiB`. */
export function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : formatKib(Math.round(bytes / 1024));
}

const NOT_RECORDED = 'usage not recorded';

function resourceText(rows: readonly (ResourceRow | null)[]): string {
  let cpu = 0;
  let rss = 0;
  let any = false;
  for (const r of rows) {
    if (r === null) continue;
    any = true;
    cpu += cpuNs(r);
    if (Number(r.maxrssKb) > rss) rss = Number(r.maxrssKb);
  }
  return any ? `cpu ${formatDuration(cpu)}, rss ${formatKib(rss)}` : NOT_RECORDED;
}

/** Every item of the display tree, in no particular order (without recursion: trees can be 100,000s of levels deep). */
export function allItems(items: readonly DisplayItem[]): DisplayItem[] {
  const out: DisplayItem[] = [];
  const stack: (readonly DisplayItem[])[] = [items];
  while (stack.length > 0) {
    for (const i of stack.pop()!) {
      out.push(i);
      if (i.children.length > 0) stack.push(i.children);
    }
  }
  return out;
}

/** Successful opens per display path over the whole tree (for "+N later" under --dedup). */
function openCounts(items: readonly DisplayItem[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of allItems(items)) {
    const members = i.type === 'node' ? [i.node] : i.members;
    for (const m of members)
      for (const o of m.opens)
        if (o.fd !== null) {
          const k = openDisplayPath(o);
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
  }
  return counts;
}

/**
 * Levels drawn with their own indentation; deeper ones stay at this
 * indentation and show `[depth N]`, so a chain of 100,000 processes prints
 * lines of bounded width (output linear in the tree).
 */
export const MAX_INDENT_DEPTH = 64;

/** Values already shown, for --dedup. */
class Seen {
  private readonly set = new Set<string>();
  /** true the first time. */
  first(key: string): boolean {
    if (this.set.has(key)) return false;
    this.set.add(key);
    return true;
  }
}

function trailer(
  items: {
    pid: number | null;
    durationText: string;
    status: string | null;
    failed: boolean;
    signal: boolean;
    usage?: string | null;
  },
  paint: Paint,
): { text: string; plainLength: number } {
  const parts: string[] = [];
  const plain: string[] = [];
  if (items.pid !== null) {
    parts.push(paint('dim', String(items.pid)));
    plain.push(String(items.pid));
  }
  parts.push(paint('dim', items.durationText));
  plain.push(items.durationText);
  if (items.status !== null) {
    const style = items.signal
      ? (['magenta', 'bold'] as const)
      : items.failed
        ? (['red', 'bold'] as const)
        : (['yellow'] as const);
    parts.push(paint([...style], items.status));
    plain.push(items.status);
  }
  if (items.usage != null) {
    parts.push(paint('dim', items.usage));
    plain.push(items.usage);
  }
  const sep = paint('dim', ', ');
  return {
    text: `${paint('dim', '(')}${parts.join(sep)}${paint('dim', ')')}`,
    plainLength: plain.join(', ').length + 2,
  };
}

/** Math.max without a spread (groups can have 100,000 members: too many arguments for one call). */
function maxOf(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of values) if (v > m) m = v;
  return m;
}

function nodeDurationText(n: TreeNode): string {
  return formatDuration(nodeDuration(n)) + (n.end === null ? '+' : '');
}

/** A failed exec's path, or PATH_LOST. */
function failedExecPath(f: ExecFailureRow): string {
  return f.path === '' && f.pathTruncated ? PATH_LOST : f.path;
}

function nodeLabel(n: TreeNode, maxLen: number, opts: TreeRenderOptions): string {
  if (n.kind === 'exec') {
    const argv = argvOf(n);
    if (argv.length === 0 && n.exe === '')
      return `${n.execSeq !== null && n.execSeq > 0 ? '↳ ' : ''}(exec, command line lost)`;
    const cmd = commandLine(argv.length > 0 ? argv : [n.exe], { full: opts.full, max: maxLen });
    return (
      (n.execSeq !== null && n.execSeq > 0 ? '↳ ' : '') + cmd + (n.argvTruncated ? ` ${ELLIPSIS}[argv truncated]` : '')
    );
  }
  if (n.kind === 'fork') return `(fork of ${terminalText(n.forkOf ?? '?')})`;
  return `(pid ${n.pid}, no exec seen)`;
}

/** Text lines of the tree. */
export function renderTreeText(items: readonly DisplayItem[], opts: TreeRenderOptions): string[] {
  const { paint } = opts;
  const out: string[] = [];
  const seen = new Seen();

  const counts = opts.files === true && opts.dedup ? openCounts(items) : null;
  const fileLines = (prefix: string, opens: readonly OpenRow[]): void => {
    if (opts.files !== true || opens.length === 0) return;
    // Failed opens always shown (with dedup, each path+errno once per line here, ×count); successful ones at their first occurrence.
    const failed = new Map<string, { o: OpenRow; n: number }>();
    let repeated = 0;
    for (const o of opens) {
      const path = openDisplayPath(o);
      if (o.fd === null) {
        const key = `${path}\u0000${o.errnoName}`;
        const f = opts.dedup ? failed.get(key) : undefined;
        if (f !== undefined) {
          f.n++;
          continue;
        }
        if (opts.dedup) failed.set(key, { o, n: 1 });
        else
          out.push(
            `${prefix}${paint('red', '✗')} open ${terminalText(path)}: ${terminalText(o.errnoName ?? '')} ${paint('dim', `(${openFlagsShort(o.flags)})`)}`,
          );
        continue;
      }
      if (counts !== null) {
        if (!seen.first(`open\u0000${path}`)) {
          repeated++;
          continue;
        }
        const later = counts.get(path)! - 1;
        out.push(
          `${prefix}${paint('dim', '·')} open ${terminalText(path)} ${paint('dim', `(${openFlagsShort(o.flags)})`)}${later > 0 ? paint('dim', ` +${atLeast(later, opts.incomplete?.files)} later`) : ''}`,
        );
      } else {
        out.push(
          `${prefix}${paint('dim', '·')} open ${terminalText(path)} ${paint('dim', `(${openFlagsShort(o.flags)})`)}`,
        );
      }
    }
    for (const { o, n } of failed.values()) {
      out.push(
        `${prefix}${paint('red', '✗')} open ${terminalText(openDisplayPath(o))}: ${terminalText(o.errnoName ?? '')} ${paint('dim', `(${openFlagsShort(o.flags)})`)}${n > 1 ? ` ×${atLeast(n, opts.incomplete?.files)}` : ''}`,
      );
    }
    if (repeated > 0)
      out.push(`${prefix}${paint('dim', `· ${repeated} open${repeated > 1 ? 's' : ''} of paths shown above`)}`);
  };

  const netLines = (
    prefix: string,
    conns: readonly ConnectionRow[],
    lookups: readonly DnsLookupRow[],
    queries: readonly DnsQueryRow[],
  ): void => {
    if (opts.net !== true || (conns.length === 0 && lookups.length === 0 && queries.length === 0)) return;
    // Without --dedup every lookup, query and connection; with it one line per name and outcome, one per peer
    // (failures per peer and errno: never hidden). In time order; at equal times lookups, then queries, then connections.
    const timed: { t: bigint; line: { mark: string; text: string; detail: string } }[] = opts.dedup
      ? [
          ...groupLookups(lookups).map((g) => ({ t: g.start, line: lookupGroupText(g, opts.incomplete?.dns) })),
          ...groupQueries(queries).map((g) => ({ t: g.start, line: queryGroupText(g, opts.incomplete?.dns) })),
          ...groupConnections(conns).map((g) => ({ t: g.start, line: groupText(g, opts.incomplete?.net) })),
        ]
      : [
          ...lookups.map((l) => ({ t: l.time, line: lookupText(l) })),
          ...queries.map((q) => ({ t: q.time, line: queryText(q) })),
          ...conns.map((c) => ({ t: c.start, line: connectionText(c) })),
        ];
    timed.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    for (const { line: l } of timed) {
      const mark = l.mark === '✗' ? paint('red', '✗') : paint('cyan', l.mark);
      const detail = l.detail === '' ? '' : ` ${paint('dim', `(${terminalText(l.detail)})`)}`;
      out.push(`${prefix}${mark} ${terminalText(l.text)}${detail}`);
    }
  };

  const annotate = (
    prefix: string,
    n: {
      failedExecs: readonly ExecFailureRow[];
      envId: number | null;
      hidden: number;
      opens: readonly OpenRow[];
      connections?: readonly ConnectionRow[];
      lookups?: readonly DnsLookupRow[];
      queries?: readonly DnsQueryRow[];
    },
    extraFailed: readonly ExecFailureRow[] = [],
    extraOpens: readonly OpenRow[] = [],
  ): void => {
    // Failed exec attempts, in time order; with dedup each path+errno once.
    const attempts = [...n.failedExecs, ...extraFailed];
    if (opts.dedup) {
      const counts = new Map<string, { f: ExecFailureRow; n: number }>();
      let repeated = 0;
      for (const f of attempts) {
        const key = `${f.path}\u0000${f.errnoName}`;
        const c = counts.get(key);
        if (c !== undefined) c.n++;
        else if (seen.first(`exec-failed\u0000${key}`)) counts.set(key, { f, n: 1 });
        else repeated++;
      }
      for (const { f, n: k } of counts.values()) {
        out.push(
          `${prefix}${paint('red', '✗')} exec ${terminalText(failedExecPath(f))}: ${terminalText(f.errnoName)}${k > 1 ? ` ×${atLeast(k, opts.incomplete?.execFailed)}` : ''}`,
        );
      }
      if (repeated > 0)
        out.push(`${prefix}${paint('dim', `✗ ${repeated} failed exec attempt${repeated > 1 ? 's' : ''} as above`)}`);
    } else {
      for (const f of attempts)
        out.push(`${prefix}${paint('red', '✗')} exec ${terminalText(failedExecPath(f))}: ${terminalText(f.errnoName)}`);
    }
    fileLines(prefix, extraOpens.length === 0 ? n.opens : [...n.opens, ...extraOpens]);
    netLines(prefix, n.connections ?? [], n.lookups ?? [], n.queries ?? []);
    if (opts.envs !== null && n.envId !== null) {
      const env = opts.envs.get(n.envId) ?? [];
      let repeated = 0;
      for (const [name, value] of env) {
        if (opts.dedup && !seen.first(`env\u0000${name}=${value}`)) {
          repeated++;
          continue;
        }
        out.push(`${prefix}${paint('dim', terminalText(`${name}=${maskEnvValue(name, value)}`))}`);
      }
      if (repeated > 0)
        out.push(`${prefix}${paint('dim', `(${repeated} env var${repeated > 1 ? 's' : ''} as above)`)}`);
    }
    if (n.hidden > 0) out.push(`${prefix}${paint('dim', `${ELLIPSIS} ${n.hidden} more below`)}`);
  };

  // Pre-order without recursion: a frame per level being listed.
  interface Frame {
    list: readonly DisplayItem[];
    next: number;
    prefix: string;
    depth: number;
  }
  const stack: Frame[] = [{ list: items, next: 0, prefix: '', depth: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next >= frame.list.length) {
      stack.pop();
      continue;
    }
    const i = frame.next++;
    const { list, prefix, depth } = frame;
    const item = list[i]!;
    const root = depth === 0;
    const last = i === list.length - 1;
    const capped = depth > MAX_INDENT_DEPTH;
    const lead = root ? '' : prefix + (last ? '└─ ' : '├─ ') + (capped ? `[depth ${depth}] ` : '');
    const childPrefix = root ? '' : depth >= MAX_INDENT_DEPTH ? prefix : prefix + (last ? '   ' : '│  ');
    const notePrefix = childPrefix + (item.children.length > 0 ? '│ ' : '  ');
    if (item.type === 'node') {
      const n = item.node;
      const status = n.replaced ? null : statusText(n.exit);
      const usage = opts.resources === true && !n.replaced ? resourceText([n.resources]) : null;
      const t = trailer(
        {
          pid: n.pid,
          durationText: nodeDurationText(n),
          status,
          failed: n.failed,
          signal: n.exit.signal !== null,
          usage,
        },
        paint,
      );
      const label = nodeLabel(n, Math.max(30, opts.width - lead.length - t.plainLength - 2), opts);
      out.push(`${lead}${n.failed ? paint('bold', label) : label}  ${t.text}`);
      annotate(notePrefix, n);
    } else {
      out.push(`${lead}${groupLine(item, opts, Math.max(30, opts.width - lead.length - 40))}`);
      const first = item.members[0]!;
      annotate(
        notePrefix,
        {
          failedExecs: first.failedExecs,
          envId: first.envId,
          hidden: item.members.reduce((s, m) => s + m.hidden, 0),
          opens: first.opens,
          connections: opts.net === true ? item.members.flatMap((m) => m.connections) : [],
          lookups: opts.net === true ? item.members.flatMap((m) => m.lookups) : [],
          queries: opts.net === true ? item.members.flatMap((m) => m.queries) : [],
        },
        item.members.slice(1).flatMap((m) => m.failedExecs),
        opts.files === true ? item.members.slice(1).flatMap((m) => m.opens) : [],
      );
    }
    if (item.children.length > 0) stack.push({ list: item.children, next: 0, prefix: childPrefix, depth: depth + 1 });
  }
  return out;
}

function groupLine(g: GroupItem, opts: TreeRenderOptions, maxLen: number): string {
  const { paint } = opts;
  const first = g.members[0]!;
  let label: string;
  if (first.kind === 'exec') {
    label =
      (first.execSeq !== null && first.execSeq > 0 ? '↳ ' : '') +
      commandLine(g.pattern, { full: opts.full, max: maxLen });
  } else if (first.kind === 'fork') label = `(fork of ${terminalText(first.forkOf ?? '?')})`;
  else label = '(no exec seen)';
  const durations = g.members.map(nodeDuration);
  const total = durations.reduce((s, d) => s + d, 0);
  const max = maxOf(durations);
  const running = g.members.some((m) => m.end === null);
  const usage =
    opts.resources === true ? `, ${resourceText(g.members.map((m) => (m.replaced ? null : m.resources)))}` : '';
  const stats = `total ${formatDuration(total)}${running ? '+' : ''}, max ${formatDuration(max)}${usage}`;
  return `${label} ${paint(['cyan', 'bold'], `×${atLeast(g.members.length, opts.incomplete?.processes)}`)}  ${paint('dim', `(${stats})`)}`;
}

// ---------------------------------------------------------------- JSON

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
    cpuUserNs: Number(r.utimeNs),
    cpuSystemNs: Number(r.stimeNs),
    cpuRuntimeNs: Number(r.runtimeNs),
    maxRssKib: Number(r.maxrssKb),
    minorFaults: Number(r.minFlt),
    majorFaults: Number(r.majFlt),
    voluntaryContextSwitches: Number(r.nvcsw),
    involuntaryContextSwitches: Number(r.nivcsw),
    readChars: Number(r.rchar),
    writtenChars: Number(r.wchar),
    readBytes: Number(r.readBytes),
    writtenBytes: Number(r.writeBytes),
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
  /** With --net: connections started while this image was current (grouped by peer with --dedup). */
  connections?: (JsonConnection | JsonConnectionGroup)[];
  /** With --net: name lookups made while this image was current (grouped by name and outcome with --dedup). */
  lookups?: (JsonLookup | JsonLookupGroup)[];
  /** With --net: DNS queries on the wire sent while this image was current (grouped with --dedup). */
  dnsQueries?: (JsonDnsQuery | JsonDnsQueryGroup)[];
  hiddenDescendants: number;
  children: (JsonNode | JsonGroup)[];
}

export interface JsonGroup {
  type: 'group';
  count: number;
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
  opts: Pick<TreeRenderOptions, 'envs' | 'dedup' | 'files' | 'resources' | 'net'> & { startNs: bigint },
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
      else shown.push({ name, value: maskEnvValue(name, value) });
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

/** Env ids the renderers will need (each node's, each group's first member's). */
export function envIds(items: readonly DisplayItem[]): Set<number> {
  const out = new Set<number>();
  for (const i of allItems(items)) {
    const n = i.type === 'node' ? i.node : i.members[0]!;
    if (n.envId !== null) out.add(n.envId);
  }
  return out;
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
      startNs: capture.startNs,
    }),
  };
}
