// The `stats` diagnose report: figures computed with SQL on the replay
// database (plus a concurrency sweep), rendered as cli-table3 tables or JSON.
// Later sections (network, DNS, files, CPU) add a field to StatsReport, a
// query in computeStats and a renderer in SECTIONS.

import Table from 'cli-table3';
import type { Db } from '../db/database.ts';
import {
  basename,
  commandLine,
  formatDuration,
  formatKib,
  formatOffset,
  isoTime,
  type Paint,
  statusText,
  terminalText,
} from '../format.ts';
import type { CaptureInfo, ProcInfo } from '../replay/capture-info.ts';
import { addBuckets, bucketUpper, HIST_BUCKETS, quantileBucket } from '../replay/files.ts';
import { formatNetBytes } from '../replay/net.ts';

export const STATS_JSON_VERSION = 1;

export interface CommandStat {
  /** Executable path. */
  exe: string;
  /** Name shown: the exe's basename (the full path when two exes share it), after the usual argv[0] when that differs. */
  name: string;
  count: number;
  totalNs: number;
  maxNs: number;
  failed: number;
}

export interface ProcessStat {
  processId: number;
  pid: number;
  startNs: number;
  durationNs: number;
  status: string | null;
  argv: string[];
  /** For a process that never exec'd: the image it was forked from. */
  forkOf: string | null;
}

/** Ancestor names kept per failure (the root, `…` and the nearest ones beyond). */
export const MAX_ANCESTORS = 16;

export interface FailureStat extends ProcessStat {
  exitCode: number | null;
  signal: string | null;
  coreDumped: boolean;
  /** Image names from the root down to the failing process's parent; in chains deeper than MAX_ANCESTORS: the root, `…`, then the nearest ones. */
  ancestors: string[];
  /** No process below this one failed: a likely cause rather than a consequence. */
  leaf: boolean;
}

export interface FailedExecStat {
  path: string;
  errno: string;
  count: number;
  /** Attempts not followed by a successful exec in the same process. */
  final: number;
}

export interface TimelineBucket {
  startNs: number;
  max: number;
  avg: number;
}

export interface Issue {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
}

export interface PathStat {
  path: string;
  count: number;
  /** Distinct processes. */
  processes: number;
}

export interface ErrnoStat {
  errno: string;
  count: number;
  /** Up to 3 paths, most frequent first. */
  examples: string[];
}

export interface FilesReport {
  /** The capture recorded opens (capture.options.files). */
  recorded: boolean;
  opens: number;
  failed: number;
  distinctPaths: number;
  /** Unresolved (dirfd-relative) opens are counted under their path as given, prefixed `<fd N>/`. */
  topPaths: PathStat[];
  /** Successful opens with O_WRONLY, O_RDWR or O_CREAT. */
  written: PathStat[];
  failedByErrno: ErrnoStat[];
}

export interface CpuProcessStat extends ProcessStat {
  cpuNs: number;
  userNs: number;
  systemNs: number;
  /** cpuNs / the capture's total CPU time. */
  share: number;
}

export interface CpuCommandStat {
  name: string;
  exe: string;
  processes: number;
  cpuNs: number;
  share: number;
}

export interface CpuReport {
  /** Processes whose exit recorded resource usage (0: not recorded, e.g. a format 1.0 file). */
  processesWithUsage: number;
  /** Sum of the processes' CPU time (scheduler runtime, else user + system). */
  totalNs: number;
  userNs: number;
  systemNs: number;
  /** totalNs / wall time: average number of CPUs kept busy. */
  averageCpus: number;
  topProcesses: CpuProcessStat[];
  topCommands: CpuCommandStat[];
}

export interface MemoryReport {
  processesWithUsage: number;
  top: (ProcessStat & { maxRssKib: number; majorFaults: number })[];
}

export interface HistogramStat {
  kind: string;
  processes: number;
  count: number;
  totalNs: number;
  maxNs: number;
  /** 32 log2 buckets summed over processes: bucket i = [2^i, 2^(i+1)) ns. */
  buckets: number[];
  /** Bucket of the median and the 99th percentile, and their upper bounds (ns); -1/null when empty. */
  p50Bucket: number;
  p99Bucket: number;
  p50UpperNs: number | null;
  p99UpperNs: number | null;
  /** Processes with the most time in this histogram. */
  top: {
    processId: number;
    pid: number;
    name: string;
    count: number;
    totalNs: number;
    maxNs: number;
    p99UpperNs: number | null;
  }[];
}

export interface PeerStat {
  /** `address:port` for clients (`name:port (address)` when a lookup named the peer); `address → :port` (the listening port) for servers. */
  peer: string;
  role: string;
  /** Clients: the peer's name (connections.peer_name), grouping the connections to all its addresses; else null. */
  peerName: string | null;
  /** The remote address (the smallest of them when a named peer had several). */
  remoteAddress: string;
  /** Distinct remote addresses in the group (1 unless a named peer had several). */
  addresses: number;
  /** null for servers (the client's port varies). */
  remotePort: number | null;
  localPort: number | null;
  count: number;
  failed: number;
  openAtEnd: number;
  processes: number;
  bytesSent: number;
  bytesReceived: number;
  retransmits: number;
}

export interface NetworkReport {
  /** The capture recorded TCP connections (capture.options.net; format 1.2). */
  recorded: boolean;
  connections: number;
  client: number;
  server: number;
  failed: number;
  /** Not closed when the capture stopped (no close record). */
  openAtEnd: number;
  /** Of those, the ones the capture found still open by the application at its stop, with their bytes so far (format 1.5; the others were not seen at the stop: older files, lost records, other network namespaces). */
  openAtStop: number;
  /** Most connections first. */
  byPeer: PeerStat[];
  /** Failed connects by errno (`abandoned` when the application gave up first), with up to 3 peers (most frequent first). */
  failedByErrno: ErrnoStat[];
  /** Connect latency of the client connections that got one (successful or failed): exact nearest-rank percentiles. */
  connectLatency: { count: number; p50Ns: number | null; p95Ns: number | null; maxNs: number | null };
  bytesSent: number;
  bytesReceived: number;
  retransmits: number;
  /** Connections that had retransmits. */
  connectionsWithRetransmits: number;
}

export interface DnsNameStat {
  name: string;
  count: number;
  failed: number;
  maxLatencyNs: number;
}

export interface DnsReport {
  /** The capture recorded getaddrinfo() calls (capture.options.dns; format 1.3). */
  recorded: boolean;
  lookups: number;
  failed: number;
  /** Distinct names looked up. */
  names: number;
  /** Most lookups first. */
  byName: DnsNameStat[];
  /** Failed lookups by EAI name, with up to 3 names (most frequent first). */
  failedByResult: { error: string; count: number; examples: string[] }[];
  /** Latency of every lookup: exact nearest-rank percentiles. */
  latency: { count: number; p50Ns: number | null; p95Ns: number | null; maxNs: number | null };
  /** Names no lookup resolved (every lookup of them failed), most failures first. */
  unresolved: { name: string; failed: number; error: string }[];
  /** DNS queries seen on the wire (UDP port 53; format 1.4). */
  wire: DnsWireReport;
}

export interface DnsWireReport {
  /** The capture recorded UDP port 53 messages (capture.options.dns_messages). */
  recorded: boolean;
  queries: number;
  /** Replies with NOERROR. */
  answered: number;
  /** Queries with an error reply (NXDOMAIN, SERVFAIL, REFUSED…) or none (`no reply`: a timeout, or the capture stopped first). */
  failed: number;
  /** Failed queries by outcome, with up to 3 names (most frequent first). */
  failedByOutcome: { outcome: string; count: number; examples: string[] }[];
  /** Query-to-reply time of every query with a reply. */
  latency: { count: number; p50Ns: number | null; p95Ns: number | null; maxNs: number | null };
  /** Per resolver: queries, failures, slowest reply. */
  servers: { server: string; port: number; queries: number; failed: number; maxLatencyNs: number | null }[];
  /** Names no query resolved (NOERROR), most failures first. */
  unresolved: { name: string; failed: number; outcome: string }[];
  /** Messages cut by the capture or flagged TC; messages that did not parse whole. */
  truncated: number;
  malformed: number;
}

/** The dns_queries table's summary. */
function dnsWireReport(
  db: Db,
  one: <T>(sql: string) => T,
  q: <T>(sql: string, params?: Record<string, unknown>) => T[],
): DnsWireReport {
  const latencies = db
    .prepare('SELECT latency_ns FROM dns_queries WHERE latency_ns IS NOT NULL ORDER BY 1')
    .pluck()
    .all() as number[];
  const rank = (p: number): number | null =>
    latencies.length === 0 ? null : latencies[Math.max(0, Math.ceil(p * latencies.length) - 1)]!;
  const outcome = "CASE WHEN rcode IS NULL THEN 'no reply' ELSE coalesce(rcode_name, 'RCODE' || rcode) END";
  const failed = '(rcode IS NULL OR rcode != 0)';
  return {
    recorded: one<number | null>("SELECT value FROM meta WHERE key = 'capture.options.dns_messages'") === 1,
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
    latency: {
      count: latencies.length,
      p50Ns: rank(0.5),
      p95Ns: rank(0.95),
      maxNs: latencies.length === 0 ? null : latencies.at(-1)!,
    },
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

export interface StatsReport {
  format: 'ptrace-stats';
  version: number;
  overview: {
    path: string;
    command: string[];
    startTime: string;
    wallTimeNs: number;
    complete: boolean;
    processes: number;
    execs: number;
    failures: number;
    failedExecs: number;
    /** Failed execs whose process next exec'd the same file name from another directory: a PATH search, not a failure. */
    failedExecSearchMisses: number;
    lostRecords: number;
    peakConcurrency: number;
    peakAtNs: number;
    threads: number;
  };
  topByCount: CommandStat[];
  topByTime: CommandStat[];
  slowest: ProcessStat[];
  failures: FailureStat[];
  failedExecs: FailedExecStat[];
  timeline: { bucketNs: number; buckets: TimelineBucket[] };
  files: FilesReport;
  cpu: CpuReport;
  memory: MemoryReport;
  histograms: HistogramStat[];
  network: NetworkReport;
  dns: DnsReport;
  issues: Issue[];
}

const TOP = 10;
/** A read/write/fsync p99 bucket reaching above 100 ms (bucket 26, [67 ms, 134 ms), or higher) is a slow-I/O issue. */
const SLOW_IO_NS = 100_000_000;
const BUCKETS = 30;

export function computeStats(db: Db, capture: CaptureInfo, processes: readonly ProcInfo[]): StatsReport {
  const t0 = capture.startNs;
  const end = t0 + BigInt(capture.end);
  const q = <T>(sql: string, params: Record<string, unknown> = {}): T[] => db.prepare(sql).all(params) as T[];
  const one = <T>(sql: string): T => db.prepare(sql).pluck().get() as T;

  const imagesCte = `
    WITH images AS (
      SELECT x.exe,
             coalesce(lead(x.time_ns) OVER (PARTITION BY x.process_id ORDER BY x.seq), p.end_ns, :end) - x.time_ns AS dur,
             (x.seq = p.exec_count - 1 AND p.state = 'exited'
              AND (p.signal IS NOT NULL OR coalesce(p.exit_code, 0) != 0)) AS failed
      FROM execs x JOIN processes p ON p.id = x.process_id
    )`;
  const commandRows = (order: string): CommandStat[] =>
    q<{ exe: string; count: number; totalNs: number; maxNs: number; failed: number }>(
      `${imagesCte}
       SELECT exe, count(*) AS count, total(dur) AS totalNs, max(dur) AS maxNs, sum(failed) AS failed
       FROM images GROUP BY exe ORDER BY ${order}, exe LIMIT ${TOP}`,
      { end },
    ).map((r) => ({ ...r, name: basename(r.exe) }));
  // The argv[0] most used with each exe (cc for x86_64-linux-gnu-gcc-12).
  const argv0 = new Map<string, string>();
  for (const r of db
    .prepare(
      `SELECT exe, json_extract(argv_json, '$[0]') AS a0, count(*) AS n FROM execs
       GROUP BY exe, a0 ORDER BY n DESC, a0`,
    )
    .raw(true)
    .all() as [string, string | null, number][]) {
    if (!argv0.has(r[0]) && r[1] !== null) argv0.set(r[0], basename(r[1]));
  }
  const topByCount = commandRows('count DESC, totalNs DESC');
  const topByTime = commandRows('totalNs DESC, count DESC');
  for (const list of [topByCount, topByTime]) {
    const seen = new Map<string, number>();
    for (const c of list) seen.set(c.name, (seen.get(c.name) ?? 0) + 1);
    for (const c of list) {
      if (seen.get(c.name)! > 1) c.name = c.exe;
      const a0 = argv0.get(c.exe);
      if (a0 !== undefined && a0 !== '' && a0 !== basename(c.exe)) c.name = `${a0} (${c.name})`;
    }
  }

  type Row = {
    processId: number;
    pid: number;
    startNs: number;
    durationNs: number;
    state: string;
    exitCode: number | null;
    signal: number | null;
    signalName: string | null;
    coreDumped: number;
    argv: string | null;
  };
  const processSelect = `
    SELECT p.id AS processId, p.pid, p.start_ns - :t0 AS startNs, coalesce(p.end_ns, :end) - p.start_ns AS durationNs,
           p.state, p.exit_code AS exitCode, p.signal, p.signal_name AS signalName, p.core_dumped AS coreDumped,
           x.argv_json AS argv
    FROM processes p LEFT JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1`;
  const byId = new Map(processes.map((p) => [p.id, p]));
  const names = imageNames(db);
  // The topmost ancestor of each process, memoized along each path walked (linear over all calls).
  const roots = new Map<number, number>();
  const rootOf = (id: number): number => {
    const path: number[] = [];
    let a = id;
    let top: number | undefined;
    for (;;) {
      top = roots.get(a);
      if (top !== undefined) break;
      path.push(a);
      const up = byId.get(a)?.parentId ?? null;
      if (up === null || path.length > byId.size) {
        top = a;
        break;
      }
      a = up;
    }
    for (const p of path) roots.set(p, top);
    return top;
  };
  const forkNames = new Map<number, string>();
  const nameOf = (id: number): string => {
    const own = names.get(id);
    if (own !== undefined) return own;
    const known = forkNames.get(id);
    if (known !== undefined) return known;
    let name = `pid ${byId.get(id)?.pid ?? '?'}`;
    for (
      let a = byId.get(id)?.parentId ?? null, i = 0;
      a !== null && i < 1000;
      a = byId.get(a)?.parentId ?? null, i++
    ) {
      const n = names.get(a);
      if (n !== undefined) {
        name = `(fork of ${n})`;
        break;
      }
    }
    forkNames.set(id, name);
    return name;
  };
  const toStat = (r: Row): ProcessStat => ({
    processId: r.processId,
    pid: r.pid,
    startNs: r.startNs,
    durationNs: r.durationNs,
    status: statusText({ ...r, coreDumped: r.coreDumped === 1 }),
    argv: r.argv === null ? [] : (JSON.parse(r.argv) as string[]),
    forkOf: r.argv === null ? nameOf(r.processId).replace(/^\(fork of (.*)\)$/, '$1') : null,
  });
  const slowest = q<Row>(`${processSelect} ORDER BY durationNs DESC, p.start_ns, p.pid LIMIT ${TOP}`, { t0, end }).map(
    toStat,
  );

  const failures = q<Row>(
    `${processSelect}
     WHERE p.state = 'exited' AND (p.signal IS NOT NULL OR coalesce(p.exit_code, 0) != 0)
     ORDER BY p.start_ns, p.pid, p.id`,
    { t0, end },
  ).map((r): FailureStat => {
    // The nearest ancestors, then the root: bounded per failure, so the report stays linear in deep chains.
    const near: string[] = [];
    let a = byId.get(r.processId)?.parentId ?? null;
    for (; a !== null && near.length < MAX_ANCESTORS - 2; a = byId.get(a)?.parentId ?? null) near.push(nameOf(a));
    const ancestors = near.reverse();
    if (a !== null) {
      const top = rootOf(a);
      ancestors.unshift(...(top === a ? [nameOf(top)] : [nameOf(top), '…']));
    }
    return {
      ...toStat(r),
      exitCode: r.exitCode,
      signal: r.signal === null ? null : (r.signalName ?? `signal ${r.signal}`),
      coreDumped: r.coreDumped === 1,
      ancestors,
      leaf: true,
    };
  });
  const failedIds = new Map(failures.map((f) => [f.processId, f]));
  // Each ancestor is visited once over all failures (a visited one had its own ancestors marked already).
  const visited = new Set<number>();
  for (const f of failures) {
    for (
      let a = byId.get(f.processId)?.parentId ?? null;
      a !== null && !visited.has(a);
      a = byId.get(a)?.parentId ?? null
    ) {
      visited.add(a);
      const up = failedIds.get(a);
      if (up !== undefined) up.leaf = false;
    }
  }

  const failedExecs = q<FailedExecStat>(
    `SELECT f.path, f.errno_name AS errno, count(*) AS count,
            sum(NOT EXISTS (SELECT 1 FROM execs x WHERE x.process_id = f.process_id AND x.time_ns >= f.time_ns)) AS final
     FROM exec_failures f GROUP BY f.path, f.errno_name ORDER BY final DESC, count DESC, f.path, f.errno_name`,
  );

  const { peak, peakAt, timeline } = concurrency(processes, capture.end);
  const overview: StatsReport['overview'] = {
    path: capture.path,
    command: capture.command,
    startTime: isoTime(capture.startNs),
    wallTimeNs: capture.end,
    complete: capture.complete,
    processes: processes.length,
    execs: one<number>('SELECT count(*) FROM execs'),
    failures: failures.length,
    failedExecs: one<number>('SELECT count(*) FROM exec_failures'),
    failedExecSearchMisses: one<number>(PATH_SEARCH_MISSES),
    lostRecords: capture.lost,
    peakConcurrency: peak,
    peakAtNs: peakAt,
    threads: one<number>('SELECT coalesce(sum(threads - 1), 0) FROM processes'),
  };
  const truncation = db
    .prepare(
      `SELECT sum(argv_truncated) AS argv, sum(env_truncated) AS env,
              sum(exe_truncated OR filename_truncated OR cwd_truncated) AS paths FROM execs`,
    )
    .get() as { argv: number | null; env: number | null; paths: number | null };
  const lossByCategory = q<{ name: string; n: number }>(
    'SELECT category_name AS name, max(count) AS n FROM losses GROUP BY category ORDER BY category',
  );
  const unknown = processes.filter((p) => p.state === 'unknown').length;
  const running = processes.filter((p) => p.state === 'running').length;

  // ---- files
  const filesRecorded = one<number | null>("SELECT value FROM meta WHERE key = 'capture.options.files'") === 1;
  const pathExpr = `coalesce(resolved_path, CASE WHEN dirfd = -100 THEN path ELSE '<fd ' || dirfd || '>/' || path END)`;
  const files: FilesReport = {
    recorded: filesRecorded,
    opens: one<number>('SELECT count(*) FROM opens'),
    failed: one<number>('SELECT count(*) FROM opens WHERE fd IS NULL'),
    distinctPaths: one<number>(`SELECT count(DISTINCT ${pathExpr}) FROM opens`),
    topPaths: q<PathStat>(
      `SELECT ${pathExpr} AS path, count(*) AS count, count(DISTINCT process_id) AS processes FROM opens
       WHERE fd IS NOT NULL GROUP BY 1 ORDER BY count DESC, path LIMIT ${TOP}`,
    ),
    written: q<PathStat>(
      `SELECT ${pathExpr} AS path, count(*) AS count, count(DISTINCT process_id) AS processes FROM opens
       WHERE fd IS NOT NULL AND (flags & 67) != 0 GROUP BY 1 ORDER BY count DESC, path LIMIT ${TOP}`,
    ),
    failedByErrno: q<{ errno: string; count: number }>(
      `SELECT errno_name AS errno, count(*) AS count FROM opens WHERE fd IS NULL GROUP BY 1 ORDER BY count DESC, errno`,
    ).map((r) => ({
      ...r,
      examples: q<{ p: string }>(
        `SELECT ${pathExpr} AS p, count(*) AS n FROM opens WHERE fd IS NULL AND errno_name = :e GROUP BY 1 ORDER BY n DESC, p LIMIT 3`,
        { e: r.errno },
      ).map((x) => x.p),
    })),
  };

  // ---- CPU and memory (resources rows: processes whose exit recorded usage)
  const cpuExpr = 'CASE WHEN r.runtime_ns > 0 THEN r.runtime_ns ELSE r.cpu_ns END';
  // Sums of u64 columns use total() (a double): sum() fails with "integer overflow" past int64 (values up to 2^53 each).
  const totals = db
    .prepare(
      `SELECT count(*) AS n, total(${cpuExpr}) AS cpu, total(r.utime_ns) AS u, total(r.stime_ns) AS s FROM resources r`,
    )
    .get() as { n: number; cpu: number; u: number; s: number };
  const share = (ns: number): number => (totals.cpu > 0 ? Math.round((ns / totals.cpu) * 10000) / 10000 : 0);
  type UsageRow = Row & { cpuNs: number; userNs: number; systemNs: number; maxRssKib: number; majorFaults: number };
  const usageSelect = `
    SELECT p.id AS processId, p.pid, p.start_ns - :t0 AS startNs, coalesce(p.end_ns, :end) - p.start_ns AS durationNs,
           p.state, p.exit_code AS exitCode, p.signal, p.signal_name AS signalName, p.core_dumped AS coreDumped,
           x.argv_json AS argv, ${cpuExpr} AS cpuNs, r.utime_ns AS userNs, r.stime_ns AS systemNs,
           r.maxrss_kb AS maxRssKib, r.maj_flt AS majorFaults
    FROM resources r JOIN processes p ON p.id = r.process_id
    LEFT JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1`;
  const cpu: CpuReport = {
    processesWithUsage: totals.n,
    totalNs: totals.cpu,
    userNs: totals.u,
    systemNs: totals.s,
    averageCpus: capture.end > 0 ? Math.round((totals.cpu / capture.end) * 100) / 100 : 0,
    topProcesses: q<UsageRow>(
      `${usageSelect} WHERE ${cpuExpr} > 0 ORDER BY cpuNs DESC, p.start_ns, p.pid LIMIT ${TOP}`,
      { t0, end },
    ).map((r) => ({
      ...toStat(r),
      cpuNs: r.cpuNs,
      userNs: r.userNs,
      systemNs: r.systemNs,
      share: share(r.cpuNs),
    })),
    topCommands: q<{ exe: string; processes: number; cpuNs: number }>(
      `SELECT x.exe, count(*) AS processes, total(${cpuExpr}) AS cpuNs
       FROM resources r JOIN processes p ON p.id = r.process_id
       JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1
       GROUP BY x.exe HAVING cpuNs > 0 ORDER BY cpuNs DESC, x.exe LIMIT ${TOP}`,
    ).map((r) => ({
      name: commandName(r.exe, argv0),
      exe: r.exe,
      processes: r.processes,
      cpuNs: r.cpuNs,
      share: share(r.cpuNs),
    })),
  };
  const memory: MemoryReport = {
    processesWithUsage: totals.n,
    top: q<UsageRow>(`${usageSelect} WHERE r.maxrss_kb > 0 ORDER BY maxRssKib DESC, p.start_ns, p.pid LIMIT ${TOP}`, {
      t0,
      end,
    }).map((r) => ({
      ...toStat(r),
      maxRssKib: r.maxRssKib,
      majorFaults: r.majorFaults,
    })),
  };

  // ---- latency histograms, summed per kind
  const histRows = q<{
    processId: number;
    kind: string;
    count: number;
    totalNs: number;
    maxNs: number;
    buckets: string;
  }>(
    'SELECT process_id AS processId, kind, count, total_ns AS totalNs, max_ns AS maxNs, buckets FROM histograms ORDER BY kind, process_id',
  );
  const pidOf = new Map(processes.map((p) => [p.id, p.pid]));
  const kinds = new Map<string, HistogramStat>();
  const KIND_ORDER = ['read', 'write', 'fsync', 'offcpu'];
  for (const h of histRows) {
    let k = kinds.get(h.kind);
    if (k === undefined) {
      kinds.set(
        h.kind,
        (k = {
          kind: h.kind,
          processes: 0,
          count: 0,
          totalNs: 0,
          maxNs: 0,
          buckets: new Array<number>(HIST_BUCKETS).fill(0),
          p50Bucket: -1,
          p99Bucket: -1,
          p50UpperNs: null,
          p99UpperNs: null,
          top: [],
        }),
      );
    }
    const b = JSON.parse(h.buckets) as number[];
    k.processes++;
    k.count += h.count;
    k.totalNs += h.totalNs;
    if (h.maxNs > k.maxNs) k.maxNs = h.maxNs;
    addBuckets(k.buckets, b);
    const p99 = quantileBucket(b, 0.99);
    k.top.push({
      processId: h.processId,
      pid: pidOf.get(h.processId) ?? 0,
      name: nameOf(h.processId),
      count: h.count,
      totalNs: h.totalNs,
      maxNs: h.maxNs,
      p99UpperNs: p99 < 0 ? null : bucketUpper(p99),
    });
  }
  const histograms = [...kinds.values()].sort((a, b) => {
    const ia = KIND_ORDER.indexOf(a.kind);
    const ib = KIND_ORDER.indexOf(b.kind);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a.kind < b.kind ? -1 : 1);
  });
  for (const k of histograms) {
    k.p50Bucket = quantileBucket(k.buckets, 0.5);
    k.p99Bucket = quantileBucket(k.buckets, 0.99);
    k.p50UpperNs = k.p50Bucket < 0 ? null : bucketUpper(k.p50Bucket);
    k.p99UpperNs = k.p99Bucket < 0 ? null : bucketUpper(k.p99Bucket);
    k.top = k.top.sort((a, b) => b.totalNs - a.totalNs || a.processId - b.processId).slice(0, 3);
  }

  // ---- TCP connections
  const connectFailure =
    "CASE WHEN abandoned = 1 THEN 'abandoned' ELSE coalesce(errno_name, 'errno ' || errno, 'failed') END";
  const netRecorded = one<number | null>("SELECT value FROM meta WHERE key = 'capture.options.net'") === 1;
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
  const rank = (p: number): number | null =>
    latencies.length === 0 ? null : latencies[Math.max(0, Math.ceil(p * latencies.length) - 1)]!;
  const network: NetworkReport = {
    recorded: netRecorded,
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
    connectLatency: {
      count: latencies.length,
      p50Ns: rank(0.5),
      p95Ns: rank(0.95),
      maxNs: latencies.length === 0 ? null : latencies.at(-1)!,
    },
    bytesSent: netTotals.sent,
    bytesReceived: netTotals.received,
    retransmits: netTotals.retrans,
    connectionsWithRetransmits: netTotals.withRetrans,
  };

  // ---- Name lookups
  const dnsLatencies = db.prepare('SELECT latency_ns FROM dns_lookups ORDER BY 1').pluck().all() as number[];
  const dnsRank = (p: number): number | null =>
    dnsLatencies.length === 0 ? null : dnsLatencies[Math.max(0, Math.ceil(p * dnsLatencies.length) - 1)]!;
  const dnsError = "coalesce(result_name, 'EAI ' || result)";
  const dns: DnsReport = {
    recorded: one<number | null>("SELECT value FROM meta WHERE key = 'capture.options.dns'") === 1,
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
    latency: {
      count: dnsLatencies.length,
      p50Ns: dnsRank(0.5),
      p95Ns: dnsRank(0.95),
      maxNs: dnsLatencies.length === 0 ? null : dnsLatencies.at(-1)!,
    },
    unresolved: q<{ name: string; failed: number; error: string }>(
      `SELECT name, count(*) AS failed, group_concat(DISTINCT ${dnsError}) AS error FROM dns_lookups
       GROUP BY name HAVING sum(result = 0) = 0 ORDER BY failed DESC, name LIMIT ${TOP}`,
    ),
    wire: dnsWireReport(db, one, q),
  };

  return {
    format: 'ptrace-stats',
    version: STATS_JSON_VERSION,
    overview,
    topByCount,
    topByTime,
    slowest,
    failures,
    failedExecs,
    timeline,
    files,
    cpu,
    memory,
    histograms,
    network,
    dns,
    issues: issues({
      capture,
      failures,
      failedExecs,
      truncation,
      lossByCategory,
      running,
      unknown,
      files,
      histograms,
      network,
      dns,
    }),
  };
}

/** The display name of an exe: its basename, after the usual argv[0] when that differs. */
function commandName(exe: string, argv0: ReadonlyMap<string, string>): string {
  const name = basename(exe);
  const a0 = argv0.get(exe);
  return a0 !== undefined && a0 !== '' && a0 !== name ? `${a0} (${name})` : name;
}

/** Name of each process's last image (argv[0] basename), for ancestor chains. */
function imageNames(db: Db): Map<number, string> {
  const out = new Map<number, string>();
  const rows = db
    .prepare(
      `SELECT p.id, json_extract(x.argv_json, '$[0]'), x.exe
       FROM processes p LEFT JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1`,
    )
    .raw(true)
    .all() as [number, string | null, string | null][];
  for (const [id, argv0, exe] of rows) {
    if (argv0 !== null || exe !== null) out.set(id, basename(argv0 || exe || '?'));
  }
  return out;
}

/** Live processes over time: the peak, and per-bucket max and time-weighted average. */
export function concurrency(
  processes: readonly Pick<ProcInfo, 'start' | 'end'>[],
  captureEnd: number,
  buckets = BUCKETS,
): { peak: number; peakAt: number; timeline: { bucketNs: number; buckets: TimelineBucket[] } } {
  const points: [number, number][] = [];
  for (const p of processes) {
    points.push([p.start, 1]);
    points.push([p.end ?? Math.max(captureEnd, p.start), -1]);
  }
  // Ends before starts at the same instant: a process replaced by another is not counted twice.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let live = 0;
  let peak = 0;
  let peakAt = 0;
  // Loops, not Math.min(...spread): a spread of 200,000 arguments overflows the stack.
  let first = 0;
  let last = captureEnd;
  for (const [at] of points) {
    if (at < first) first = at;
    if (at > last) last = at;
  }
  const span = Math.max(1, last - first);
  const bucketNs = Math.ceil(span / buckets);
  const out: TimelineBucket[] = Array.from({ length: buckets }, (_, i) => ({
    startNs: first + i * bucketNs,
    max: 0,
    avg: 0,
  }));
  const weighted = new Float64Array(buckets);
  let t = first;
  const advance = (to: number): void => {
    // Time-weighted live count from t to `to`, bucket by bucket. Above 2^53 ns a
    // bucket edge may not be representable (it rounds back to t): then the rest
    // goes to the current bucket. Never more steps than buckets, whatever the times.
    for (let steps = 0; t < to && steps <= 2 * buckets; steps++) {
      const b = Math.min(buckets - 1, Math.max(0, Math.floor((t - first) / bucketNs)));
      const edge = first + (b + 1) * bucketNs;
      const bEnd = b === buckets - 1 || !(edge > t) ? to : Math.min(to, edge);
      weighted[b]! += live * (bEnd - t);
      if (live > out[b]!.max) out[b]!.max = live;
      t = bEnd;
    }
    if (t < to) t = to;
  };
  for (const [at, d] of points) {
    advance(at);
    live += d;
    if (live > peak) {
      peak = live;
      peakAt = at;
    }
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((at - first) / bucketNs)));
    if (live > out[b]!.max) out[b]!.max = live;
  }
  advance(last);
  out.forEach((b, i) => {
    const len = i === buckets - 1 ? Math.max(1, last - b.startNs) : bucketNs;
    b.avg = Math.round((weighted[i]! / len) * 100) / 100;
  });
  return { peak, peakAt, timeline: { bucketNs, buckets: out } };
}

function issues(x: {
  capture: CaptureInfo;
  failures: FailureStat[];
  failedExecs: FailedExecStat[];
  truncation: { argv: number | null; env: number | null; paths: number | null };
  lossByCategory: { name: string; n: number }[];
  running: number;
  unknown: number;
  files: FilesReport;
  histograms: HistogramStat[];
  network: NetworkReport;
  dns: DnsReport;
}): Issue[] {
  const out: Issue[] = [];
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
  const queries = (n: number): string => `${n} DNS quer${n === 1 ? 'y' : 'ies'}`;
  if (!x.capture.complete) {
    out.push({
      severity: 'warning',
      code: 'no-footer',
      message:
        'the file has no footer: the capture did not finish (crash, SIGKILL or full disk); figures cover what was written',
    });
  }
  const signalled = x.failures.filter((f) => f.signal !== null);
  if (x.failures.length > 0) {
    const leaves = x.failures.filter((f) => f.leaf);
    const shown = leaves
      .slice(0, 3)
      .map((f) => `${shortCmd(f)} (${f.status})`)
      .join(', ');
    out.push({
      severity: 'error',
      code: 'failures',
      message: `${plural(x.failures.length, 'process')} failed${signalled.length > 0 ? ` (${signalled.length} by a signal)` : ''}; where it started: ${shown}${leaves.length > 3 ? `, and ${leaves.length - 3} more` : ''}`,
    });
  }
  for (const s of signalled.filter((f) => f.coreDumped)) {
    out.push({ severity: 'error', code: 'core-dumped', message: `pid ${s.pid} dumped core (${s.signal})` });
  }
  const finalFailed = x.failedExecs.reduce((s, f) => s + f.final, 0);
  const searchMisses = x.failedExecs.reduce((s, f) => s + f.count - f.final, 0);
  if (finalFailed > 0) {
    const f = x.failedExecs[0]!;
    out.push({
      severity: 'warning',
      code: 'failed-execs',
      message: `${plural(finalFailed, 'exec attempt')} failed with no successful exec after (e.g. ${f.path}: ${f.errno})`,
    });
  }
  if (searchMisses > 0) {
    out.push({
      severity: 'info',
      code: 'exec-search',
      message: `${plural(searchMisses, 'failed exec attempt')} followed by a successful exec (PATH search)`,
    });
  }
  for (const l of x.lossByCategory) {
    if (l.n > 0)
      out.push({
        severity: 'warning',
        code: 'loss',
        message: `${l.n} ${l.name} records lost: the tree may miss processes or details`,
      });
  }
  if (x.capture.lost > 0 && x.lossByCategory.length === 0) {
    out.push({ severity: 'warning', code: 'loss', message: `${x.capture.lost} records lost` });
  }
  const t = x.truncation;
  if ((t.argv ?? 0) > 0)
    out.push({
      severity: 'warning',
      code: 'argv-truncated',
      message: `${plural(t.argv!, 'exec')} with argv cut at the capture's args limit`,
    });
  if ((t.env ?? 0) > 0)
    out.push({
      severity: 'warning',
      code: 'env-truncated',
      message: `${plural(t.env!, 'exec')} with the environment cut at the capture's args limit`,
    });
  if ((t.paths ?? 0) > 0)
    out.push({
      severity: 'warning',
      code: 'path-truncated',
      message: `${plural(t.paths!, 'exec')} with a truncated path`,
    });
  if (x.running > 0)
    out.push({
      severity: 'warning',
      code: 'still-running',
      message: `${plural(x.running, 'process')} still running when the capture stopped`,
    });
  if (x.unknown > 0)
    out.push({
      severity: 'warning',
      code: 'no-exit',
      message: `${plural(x.unknown, 'process')} without an exit record (lost, or the file ends early)`,
    });
  // Failed opens: ENOENT is routine (search paths, optional config files); other errors (EACCES…) rarely are.
  const serious = x.files.failedByErrno.filter((e) => e.errno !== 'ENOENT');
  const seriousCount = serious.reduce((s, e) => s + e.count, 0);
  if (seriousCount > 0) {
    out.push({
      severity: 'warning',
      code: 'failed-opens',
      message: `${plural(seriousCount, 'file open')} failed with ${serious.map((e) => e.errno).join(', ')} (e.g. ${serious[0]!.examples[0]}: ${serious[0]!.errno})`,
    });
  }
  const enoent = x.files.failedByErrno.find((e) => e.errno === 'ENOENT');
  if (enoent !== undefined && enoent.count >= 100 && enoent.count >= x.files.opens / 4) {
    out.push({
      severity: 'info',
      code: 'many-missing-files',
      message: `${enoent.count} of ${x.files.opens} file opens found no file (ENOENT; e.g. ${enoent.examples[0]}): search paths probed many times`,
    });
  }
  for (const h of x.histograms) {
    if (h.kind === 'offcpu' || h.p99UpperNs === null || h.p99UpperNs <= SLOW_IO_NS) continue;
    out.push({
      severity: 'warning',
      code: 'slow-io',
      message: `${h.kind} latency: 1% of ${h.count} calls took ${formatDuration(h.p99UpperNs / 2)} or more (max ${formatDuration(h.maxNs)}); most time in ${h.top[0]?.name ?? '?'} (pid ${h.top[0]?.pid ?? '?'})`,
    });
  }
  const net = x.network;
  if (net.failed > 0) {
    const e = net.failedByErrno[0]!;
    out.push({
      severity: 'warning',
      code: 'failed-connections',
      message: `${plural(net.failed, 'TCP connect')} failed with ${net.failedByErrno.map((f) => f.errno).join(', ')} (e.g. ${e.examples[0]}: ${e.errno})`,
    });
  }
  if (x.dns.failed > 0) {
    const d = x.dns;
    out.push({
      severity: 'warning',
      code: 'failed-lookups',
      message: `${plural(d.failed, 'name lookup')} failed with ${d.failedByResult.map((f) => f.error).join(', ')} (e.g. ${d.failedByResult[0]!.examples[0]}: ${d.failedByResult[0]!.error})`,
    });
  }
  if (x.dns.wire.failed > 0) {
    const w = x.dns.wire;
    out.push({
      severity: 'warning',
      code: 'failed-dns-queries',
      message: `${queries(w.failed)} failed with ${w.failedByOutcome.map((f) => f.outcome).join(', ')} (e.g. ${w.failedByOutcome[0]!.examples[0] || '?'}: ${w.failedByOutcome[0]!.outcome})`,
    });
  }
  if (x.dns.wire.malformed > 0) {
    out.push({
      severity: 'info',
      code: 'malformed-dns',
      message: `${queries(x.dns.wire.malformed)} with a message that did not parse whole (dns_queries.parse_error)`,
    });
  }
  if (net.retransmits > 0) {
    out.push({
      severity: net.retransmits >= 10 ? 'warning' : 'info',
      code: 'retransmits',
      message: `${plural(net.retransmits, 'TCP segment')} retransmitted over ${plural(net.connectionsWithRetransmits, 'connection')}: packet loss or congestion`,
    });
  }
  for (const w of x.capture.warnings) {
    if (w.code === 'no-footer') continue;
    out.push({ severity: 'warning', code: `reader:${w.code}`, message: w.message });
  }
  return out;
}

// ---------------------------------------------------------------- text

function table(head: string[], paint: Paint, color: boolean, aligns?: ('left' | 'right')[]): Table.Table {
  return new Table({
    head: head.map((h) => paint('bold', h)),
    ...(aligns === undefined ? {} : { colAligns: aligns }),
    style: { head: [], border: color ? ['grey'] : [], compact: true },
  });
}

const cmd = (p: ProcessStat): string =>
  p.argv.length > 0
    ? commandLine(p.argv, { full: false, max: 70 })
    : p.forkOf !== null
      ? `(fork of ${p.forkOf})`
      : `(pid ${p.pid})`;

const shortCmd = (p: ProcessStat): string =>
  p.argv.length > 0 ? commandLine(p.argv, { full: false, max: 40, maxArg: 24 }) : cmd(p);

type Section = (r: StatsReport, paint: Paint, color: boolean) => string[];

const overviewSection: Section = (r, paint, color) => {
  const o = r.overview;
  const t = table(['Overview', ''], paint, color);
  t.push(
    ['command', o.command.length > 0 ? commandLine(o.command, { full: false, max: 70 }) : '?'],
    ['file', o.path + (o.complete ? '' : paint('yellow', ' (no footer)'))],
    ['started', o.startTime],
    ['wall time', formatDuration(o.wallTimeNs)],
    ['processes', String(o.processes)],
    ['execs', String(o.execs)],
    ['threads created', String(o.threads)],
    ['failures', o.failures > 0 ? paint(['red', 'bold'], String(o.failures)) : '0'],
    ['failed execs', failedExecsText(o.failedExecs, o.failedExecSearchMisses)],
    ['lost records', o.lostRecords > 0 ? paint('yellow', String(o.lostRecords)) : '0'],
    ['peak concurrency', `${o.peakConcurrency} at ${formatOffset(o.peakAtNs)}`],
    [
      'CPU time',
      r.cpu.processesWithUsage > 0
        ? `${formatDuration(r.cpu.totalNs)} (${r.cpu.averageCpus} CPUs on average)`
        : paint('dim', 'not recorded'),
    ],
    [
      'max RSS',
      r.memory.top.length > 0
        ? `${formatKib(r.memory.top[0]!.maxRssKib)} (pid ${r.memory.top[0]!.pid})`
        : paint('dim', 'not recorded'),
    ],
    [
      'file opens',
      r.files.recorded
        ? `${r.files.opens} (${r.files.failed} failed, ${r.files.distinctPaths} paths)`
        : paint('dim', 'not recorded'),
    ],
  );
  return [t.toString()];
};

const commandsSection =
  (title: string, pick: (r: StatsReport) => CommandStat[]): Section =>
  (r, paint, color) => {
    const list = pick(r);
    if (list.length === 0) return [];
    const t = table([title, 'count', 'total', 'max', 'failed'], paint, color, [
      'left',
      'right',
      'right',
      'right',
      'right',
    ]);
    for (const c of list) {
      t.push([
        c.name,
        String(c.count),
        formatDuration(c.totalNs),
        formatDuration(c.maxNs),
        c.failed > 0 ? paint('red', String(c.failed)) : '',
      ]);
    }
    return [t.toString()];
  };

const slowestSection: Section = (r, paint, color) => {
  if (r.slowest.length === 0) return [];
  const t = table(['Slowest processes', 'pid', 'start', 'duration', 'status'], paint, color, [
    'left',
    'right',
    'right',
    'right',
    'left',
  ]);
  for (const p of r.slowest) {
    t.push([cmd(p), String(p.pid), formatOffset(p.startNs), formatDuration(p.durationNs), p.status ?? '']);
  }
  return [t.toString()];
};

const failuresSection: Section = (r, paint, color) => {
  if (r.failures.length === 0) return [];
  const t = table(['Failures', 'pid', 'status', 'duration', 'ancestors'], paint, color, [
    'left',
    'right',
    'left',
    'right',
    'left',
  ]);
  // A bounded table (cli-table3's layout is quadratic in rows): leaf failures (likely causes) first, in start order.
  const shown = new Set(
    [...r.failures.filter((f) => f.leaf), ...r.failures.filter((f) => !f.leaf)].slice(0, FAILURES_SHOWN),
  );
  for (const f of r.failures) {
    if (!shown.has(f)) continue;
    t.push([
      cmd(f),
      String(f.pid),
      paint(f.signal !== null ? ['magenta', 'bold'] : ['red', 'bold'], f.status ?? ''),
      formatDuration(f.durationNs),
      f.ancestors.length > 0 ? f.ancestors.join(' › ') : '(root)',
    ]);
  }
  const lines = [t.toString()];
  if (r.failures.length > shown.size)
    lines.push(
      paint(
        'dim',
        `  … ${r.failures.length - shown.size} more failures (all in --json; ptrace tree --failed shows where)`,
      ),
    );
  return lines;
};

/** SQLite has no basename(): what follows the last slash. */
const baseName = (column: string) => `replace(${column}, rtrim(${column}, replace(${column}, '/', '')), '')`;

/** Failed execs followed, in the same process, by a successful exec of a file with the same name. */
const PATH_SEARCH_MISSES = `SELECT count(*) FROM exec_failures f
  WHERE ${baseName('f.path')} = (SELECT ${baseName('x.filename')} FROM execs x
    WHERE x.process_id = f.process_id AND x.time_ns >= f.time_ns ORDER BY x.time_ns, x.seq LIMIT 1)`;

function failedExecsText(total: number, searchMisses: number): string {
  if (searchMisses === 0) return String(total);
  return `${total} (${searchMisses} PATH-search ${searchMisses === 1 ? 'miss' : 'misses'}, ${total - searchMisses} real)`;
}

const failedExecsSection: Section = (r, paint, color) => {
  if (r.failedExecs.length === 0) return [];
  const t = table(['Failed exec attempts', 'errno', 'count', 'not retried'], paint, color, [
    'left',
    'left',
    'right',
    'right',
  ]);
  for (const f of r.failedExecs.slice(0, TOP))
    t.push([f.path, f.errno, String(f.count), f.final > 0 ? paint('red', String(f.final)) : '0']);
  const lines = [t.toString()];
  if (r.failedExecs.length > TOP) lines.push(paint('dim', `  … ${r.failedExecs.length - TOP} more paths`));
  return lines;
};

/** Rows of the failures table (the JSON report lists every failure). */
const FAILURES_SHOWN = 50;

const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

const filesSection: Section = (r, paint, color) => {
  const f = r.files;
  if (!f.recorded || f.opens === 0) return [];
  const out: string[] = [];
  if (f.topPaths.length > 0) {
    const t = table(['Most opened files', 'opens', 'processes'], paint, color, ['left', 'right', 'right']);
    for (const p of f.topPaths) t.push([p.path, String(p.count), String(p.processes)]);
    out.push(t.toString());
  }
  if (f.written.length > 0) {
    const t = table(['Files written (O_WRONLY/O_RDWR/O_CREAT)', 'opens', 'processes'], paint, color, [
      'left',
      'right',
      'right',
    ]);
    for (const p of f.written) t.push([p.path, String(p.count), String(p.processes)]);
    out.push(t.toString());
  }
  if (f.failedByErrno.length > 0) {
    const t = table(['Failed opens', 'count', 'e.g.'], paint, color, ['left', 'right', 'left']);
    for (const e of f.failedByErrno) t.push([paint('red', e.errno), String(e.count), e.examples.join(', ')]);
    out.push(t.toString());
  }
  return out.length === 0 ? [] : [out.join('\n\n')];
};

const cpuSection: Section = (r, paint, color) => {
  const c = r.cpu;
  if (c.processesWithUsage === 0) return [];
  const out: string[] = [];
  const head = `CPU: ${formatDuration(c.totalNs)} over ${c.processesWithUsage} processes (user ${formatDuration(c.userNs)}, system ${formatDuration(c.systemNs)}), ${c.averageCpus} CPUs busy on average; share = of that total`;
  out.push(paint('bold', head));
  if (c.topCommands.length > 0) {
    const t = table(['Top commands by CPU', 'processes', 'cpu', 'share'], paint, color, [
      'left',
      'right',
      'right',
      'right',
    ]);
    for (const x of c.topCommands) t.push([x.name, String(x.processes), formatDuration(x.cpuNs), pct(x.share)]);
    out.push(t.toString());
  }
  if (c.topProcesses.length > 0) {
    const t = table(['Top processes by CPU', 'pid', 'cpu', 'user', 'system', 'share'], paint, color, [
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
    ]);
    for (const p of c.topProcesses)
      t.push([
        cmd(p),
        String(p.pid),
        formatDuration(p.cpuNs),
        formatDuration(p.userNs),
        formatDuration(p.systemNs),
        pct(p.share),
      ]);
    out.push(t.toString());
  }
  return [out.join('\n')];
};

const memorySection: Section = (r, paint, color) => {
  if (r.memory.top.length === 0) return [];
  const t = table(['Top processes by max RSS', 'pid', 'max RSS', 'major faults'], paint, color, [
    'left',
    'right',
    'right',
    'right',
  ]);
  for (const p of r.memory.top) t.push([cmd(p), String(p.pid), formatKib(p.maxRssKib), String(p.majorFaults)]);
  return [t.toString()];
};

const HIST_TITLES: Record<string, string> = {
  read: 'read latency',
  write: 'write latency',
  fsync: 'fsync latency',
  offcpu: 'off-CPU time',
};

const histogramSection: Section = (r, paint) => {
  const out: string[] = [];
  for (const h of r.histograms) {
    if (out.length > 0) out.push('');
    const title = HIST_TITLES[h.kind] ?? h.kind;
    const q = (upper: number | null): string => (upper === null ? '?' : `< ${formatDuration(upper)}`);
    out.push(
      paint(
        'bold',
        `${title[0]!.toUpperCase()}${title.slice(1)}: ${h.count} over ${h.processes} process${h.processes === 1 ? '' : 'es'}, total ${formatDuration(h.totalNs)}, p50 ${q(h.p50UpperNs)}, p99 ${q(h.p99UpperNs)}, max ${formatDuration(h.maxNs)}`,
      ),
    );
    let lo = -1;
    let hi = -1;
    let max = 0;
    h.buckets.forEach((n, i) => {
      if (n > 0) {
        if (lo < 0) lo = i;
        hi = i;
        if (n > max) max = n;
      }
    });
    for (let i = lo; i >= 0 && i <= hi; i++) {
      const n = h.buckets[i]!;
      const range = `${formatDuration(i === 0 ? 0 : 2 ** i)}–${formatDuration(2 ** (i + 1))}`;
      out.push(`  ${range.padStart(15)} │${paint('cyan', bar(n, max).padEnd(BAR))}│ ${String(n).padStart(7)}`);
    }
    for (const p of h.top) {
      out.push(
        `  ${paint('dim', `${p.name} (pid ${p.pid}): ${p.count}, total ${formatDuration(p.totalNs)}, p99 ${q(p.p99UpperNs)}, max ${formatDuration(p.maxNs)}`)}`,
      );
    }
  }
  return out;
};

const BAR = 40;
const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

export function bar(value: number, max: number, width = BAR): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8];
}

const networkSection: Section = (r, paint, color) => {
  const n = r.network;
  if (!n.recorded && n.connections === 0) return [];
  const out: string[] = [];
  const l = n.connectLatency;
  const q = (v: number | null): string => (v === null ? '?' : formatDuration(v));
  out.push(
    paint(
      'bold',
      `Network: ${n.connections} TCP connection${n.connections === 1 ? '' : 's'} (${n.client} client, ${n.server} server, ${n.failed} failed, ${n.openAtEnd} open at end), ` +
        `${formatNetBytes(n.bytesSent)} out / ${formatNetBytes(n.bytesReceived)} in, ${n.retransmits} retransmit${n.retransmits === 1 ? '' : 's'}`,
    ),
  );
  if (l.count > 0)
    out.push(
      `  connect latency: p50 ${q(l.p50Ns)}, p95 ${q(l.p95Ns)}, max ${q(l.maxNs)} (${l.count} connect${l.count === 1 ? '' : 's'})`,
    );
  if (n.byPeer.length > 0) {
    const t = table(['Connections by peer', 'role', 'count', 'failed', 'out', 'in', 'retrans'], paint, color, [
      'left',
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
    ]);
    for (const p of n.byPeer) {
      t.push([
        p.peer,
        p.role,
        String(p.count),
        p.failed > 0 ? paint('red', String(p.failed)) : '',
        formatNetBytes(p.bytesSent),
        formatNetBytes(p.bytesReceived),
        p.retransmits > 0 ? paint('yellow', String(p.retransmits)) : '',
      ]);
    }
    out.push(t.toString());
  }
  if (n.failedByErrno.length > 0) {
    const t = table(['Failed connects', 'count', 'e.g.'], paint, color, ['left', 'right', 'left']);
    for (const e of n.failedByErrno) t.push([paint('red', e.errno), String(e.count), e.examples.join(', ')]);
    out.push(t.toString());
  }
  return [out.join('\n')];
};

const dnsSection: Section = (r, paint, color) => {
  const d = r.dns;
  if (!d.recorded && d.lookups === 0 && !d.wire.recorded && d.wire.queries === 0) return [];
  const out: string[] = [];
  const l = d.latency;
  const q = (v: number | null): string => (v === null ? '?' : formatDuration(v));
  if (d.recorded || d.lookups > 0) {
    out.push(
      paint(
        'bold',
        `DNS: ${d.lookups} name lookup${d.lookups === 1 ? '' : 's'} of ${d.names} name${d.names === 1 ? '' : 's'} (${d.failed} failed)`,
      ),
    );
  }
  if (l.count > 0) out.push(`  lookup latency: p50 ${q(l.p50Ns)}, p95 ${q(l.p95Ns)}, max ${q(l.maxNs)}`);
  if (d.byName.length > 0) {
    const t = table(['Lookups by name', 'count', 'failed', 'max'], paint, color, ['left', 'right', 'right', 'right']);
    for (const n of d.byName)
      t.push([
        n.name,
        String(n.count),
        n.failed > 0 ? paint('red', String(n.failed)) : '',
        formatDuration(n.maxLatencyNs),
      ]);
    out.push(t.toString());
  }
  if (d.failedByResult.length > 0) {
    const t = table(['Failed lookups', 'count', 'e.g.'], paint, color, ['left', 'right', 'left']);
    for (const e of d.failedByResult) t.push([paint('red', e.error), String(e.count), e.examples.join(', ')]);
    out.push(t.toString());
  }
  if (d.unresolved.length > 0) {
    out.push(
      `  never resolved: ${d.unresolved.map((u) => `${u.name} (${u.error}${u.failed > 1 ? ` ×${u.failed}` : ''})`).join(', ')}`,
    );
  }
  const w = d.wire;
  if (w.recorded || w.queries > 0) {
    const wl = w.latency;
    out.push(
      paint(
        'bold',
        `DNS on the wire: ${w.queries} quer${w.queries === 1 ? 'y' : 'ies'} (UDP port 53), ${w.answered} answered, ${w.failed} failed`,
      ),
    );
    if (wl.count > 0) out.push(`  reply latency: p50 ${q(wl.p50Ns)}, p95 ${q(wl.p95Ns)}, max ${q(wl.maxNs)}`);
    if (w.servers.length > 0) {
      const t = table(['Resolver', 'queries', 'failed', 'max'], paint, color, ['left', 'right', 'right', 'right']);
      for (const s of w.servers)
        t.push([
          `${s.server}${s.port === 53 ? '' : `:${s.port}`}`,
          String(s.queries),
          s.failed > 0 ? paint('red', String(s.failed)) : '',
          q(s.maxLatencyNs),
        ]);
      out.push(t.toString());
    }
    if (w.failedByOutcome.length > 0) {
      const t = table(['Failed queries', 'count', 'e.g.'], paint, color, ['left', 'right', 'left']);
      for (const e of w.failedByOutcome) t.push([paint('red', e.outcome), String(e.count), e.examples.join(', ')]);
      out.push(t.toString());
    }
    if (w.unresolved.length > 0) {
      out.push(
        `  never resolved on the wire: ${w.unresolved.map((u) => `${u.name || '(unparsed)'} (${u.outcome}${u.failed > 1 ? ` ×${u.failed}` : ''})`).join(', ')}`,
      );
    }
    if (w.truncated + w.malformed > 0) out.push(`  ${w.truncated} truncated, ${w.malformed} not parsed whole`);
  }
  return [out.join('\n')];
};

const timelineSection: Section = (r, paint) => {
  const { bucketNs, buckets } = r.timeline;
  const max = Math.max(0, ...buckets.map((b) => b.max));
  if (max === 0) return [];
  const lines = [
    paint(
      'bold',
      `Concurrency over time (live processes per ${formatDuration(bucketNs)}: bar = average, number = max)`,
    ),
  ];
  for (const b of buckets) {
    lines.push(
      `  ${formatOffset(b.startNs).padStart(10)} │${paint('cyan', bar(b.avg, max).padEnd(BAR))}│ ${String(b.max).padStart(3)}`,
    );
  }
  return lines;
};

const issuesSection: Section = (r, paint) => {
  const lines = [paint('bold', 'Potential issues')];
  if (r.issues.length === 0) lines.push('  none found');
  for (const i of r.issues) {
    const mark =
      i.severity === 'error'
        ? paint(['red', 'bold'], '✗')
        : i.severity === 'warning'
          ? paint('yellow', '!')
          : paint('dim', 'i');
    lines.push(`  ${mark} ${i.message}`);
  }
  return lines;
};

/** Sections in print order; network, DNS, files and CPU sections go before the timeline. */
const SECTIONS: Section[] = [
  overviewSection,
  commandsSection('Top commands by count', (r) => r.topByCount),
  commandsSection('Top commands by cumulative time', (r) => r.topByTime),
  slowestSection,
  failuresSection,
  failedExecsSection,
  filesSection,
  cpuSection,
  memorySection,
  histogramSection,
  networkSection,
  dnsSection,
  timelineSection,
  issuesSection,
];

/** Keys whose string arrays are command lines: commandLine quotes them (with $'…' escapes). */
const COMMAND_LINE_KEYS = new Set(['argv', 'command']);

/**
 * A copy of the report with every string passed through terminalText, so no
 * cell, heading or issue can carry a control, format or bidi character to the
 * terminal (the report's shape is fixed by code: the recursion depth is bounded).
 */
export function terminalReport<T>(value: T): T {
  if (typeof value === 'string') return terminalText(value) as T;
  if (Array.isArray(value)) return value.map((v) => terminalReport(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = COMMAND_LINE_KEYS.has(k) ? v : terminalReport(v);
  return out as T;
}

/** The report as text lines (tables from cli-table3; no ANSI unless `color`). Every string of the report is shown through terminalText. */
export function renderStats(report: StatsReport, paint: Paint, color: boolean): string[] {
  const r = terminalReport(report);
  const out: string[] = [];
  for (const s of SECTIONS) {
    const lines = s(r, paint, color);
    if (lines.length === 0) continue;
    if (out.length > 0) out.push('');
    out.push(...lines.flatMap((l) => l.split('\n')));
  }
  return out;
}
