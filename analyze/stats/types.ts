// The `stats` report's shape: what `ptrace stats --json` prints and what the
// terminal renderer (render.ts) reads. A new section adds its field to
// StatsReport here, its compute function in sections/, its text in render.ts.

export const STATS_JSON_VERSION = 1;

/** Exact nearest-rank percentiles of a list of latencies (null when the list is empty). */
export interface LatencySummary {
  count: number;
  p50Ns: number | null;
  p95Ns: number | null;
  maxNs: number | null;
}

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
  connectLatency: LatencySummary;
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
  latency: LatencySummary;
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
  latency: LatencySummary;
  /** Per resolver: queries, failures, slowest reply. */
  servers: { server: string; port: number; queries: number; failed: number; maxLatencyNs: number | null }[];
  /** Names no query resolved (NOERROR), most failures first. */
  unresolved: { name: string; failed: number; outcome: string }[];
  /** Messages cut by the capture or flagged TC; messages that did not parse whole. */
  truncated: number;
  malformed: number;
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
