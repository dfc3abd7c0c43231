// The SQLite schema of a replayed capture. analyze/SCHEMA.md documents every
// table and column (test/analyze-db-schema.test.ts checks it against TABLES);
// bump SCHEMA_VERSION on any incompatible change.
//
// Each table's columns are declared once, with the model field each one
// stores: the CREATE TABLE statements, the INSERT statements and the value
// binding (database.ts) are all generated from TABLES.

import { stringsJson } from '../../formats/nul-area.ts';
import type { ReadWarning } from '../../formats/types.ts';
import type { EnvRow, EnvVarRow } from '../replay/env.ts';
import { openFlagsText } from '../replay/files.ts';
import type {
  ConnectionRow,
  DnsLookupRow,
  DnsQueryRow,
  ExecFailureRow,
  ExecRow,
  HistRow,
  LossRow,
  MetaValue,
  Model,
  OpenRow,
  ProcessRow,
  ResourceRow,
} from '../replay/model.ts';

export const SCHEMA_VERSION = 7;

/** What better-sqlite3 binds: INTEGER (number, bigint), TEXT, BLOB, NULL. */
export type SqlValue = number | bigint | string | Buffer | null;

/** A declared column type; '' declares none (any value, as `meta.value`). */
export type SqlType = 'INTEGER' | 'TEXT' | 'BLOB' | '';

export interface Column<R> {
  name: string;
  type: SqlType;
  /** What follows the type in CREATE TABLE: `NOT NULL`, `PRIMARY KEY`, `REFERENCES processes(id)`. */
  constraints?: string;
  /** The stored value of a model row; absent for a row id SQLite assigns (the column is not inserted). */
  get?: (row: R) => SqlValue;
}

export interface Table<R> {
  name: string;
  columns: readonly Column<R>[];
  /** Table constraints after the columns (a composite primary key). */
  tableConstraints?: readonly string[];
  withoutRowid?: boolean;
  /** The model rows the table holds, in insertion order. */
  rows: (m: Model) => readonly R[];
}

/** A table with its row type erased, for code that handles every table alike. */
export type AnyTable = Table<never> & { rows: (m: Model) => readonly unknown[] };

const table = <R>(t: Table<R>): AnyTable => t as unknown as AnyTable;

const bool = (v: boolean): number => (v ? 1 : 0);

const FLAGS_TEXT_CACHE_LIMIT = 4096;
const flagsTexts = new Map<number, string>();
/** openFlagsText, remembered: a build repeats a handful of flag sets over and over. */
function cachedFlagsText(flags: number): string {
  let text = flagsTexts.get(flags);
  if (text === undefined) {
    if (flagsTexts.size >= FLAGS_TEXT_CACHE_LIMIT) flagsTexts.clear(); // flags come from the file: bound the cache
    flagsTexts.set(flags, (text = openFlagsText(flags)));
  }
  return text;
}

/** Integers as BigInt: a JS number would be stored as REAL in the untyped `meta.value`. */
const metaValue = (v: MetaValue): SqlValue => (typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v);

const id = <R extends { id: number }>(): Column<R> => ({
  name: 'id',
  type: 'INTEGER',
  constraints: 'PRIMARY KEY',
  get: (r) => r.id,
});
const processId = <R extends { processId: number }>(): Column<R> => ({
  name: 'process_id',
  type: 'INTEGER',
  constraints: 'NOT NULL REFERENCES processes(id)',
  get: (r) => r.processId,
});

/** Every table, in creation and insertion order. */
export const TABLES: readonly AnyTable[] = [
  table<number>({
    name: 'schema_version',
    columns: [{ name: 'version', type: 'INTEGER', constraints: 'NOT NULL', get: (v) => v }],
    rows: () => [SCHEMA_VERSION],
  }),
  table<[string, MetaValue]>({
    name: 'meta',
    columns: [
      { name: 'key', type: 'TEXT', constraints: 'PRIMARY KEY', get: ([k]) => k },
      { name: 'value', type: '', get: ([, v]) => metaValue(v) },
    ],
    withoutRowid: true,
    rows: (m) => m.meta,
  }),
  table<ReadWarning>({
    name: 'warnings',
    columns: [
      { name: 'id', type: 'INTEGER', constraints: 'PRIMARY KEY' },
      { name: 'code', type: 'TEXT', constraints: 'NOT NULL', get: (w) => w.code },
      { name: 'message', type: 'TEXT', constraints: 'NOT NULL', get: (w) => w.message },
    ],
    rows: (m) => m.warnings,
  }),
  table<ProcessRow>({
    name: 'processes',
    columns: [
      id(),
      { name: 'pid', type: 'INTEGER', constraints: 'NOT NULL', get: (p) => p.pid },
      { name: 'start_boot_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (p) => p.startBoot },
      { name: 'parent_id', type: 'INTEGER', constraints: 'REFERENCES processes(id)', get: (p) => p.parentId },
      { name: 'parent_pid', type: 'INTEGER', get: (p) => p.parentPid },
      { name: 'parent_start_boot_ns', type: 'INTEGER', get: (p) => p.parentStartBoot },
      { name: 'ppid', type: 'INTEGER', get: (p) => p.ppid },
      { name: 'start_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (p) => p.start },
      { name: 'end_ns', type: 'INTEGER', get: (p) => p.end },
      { name: 'exit_status', type: 'INTEGER', get: (p) => p.exitStatus },
      { name: 'exit_code', type: 'INTEGER', get: (p) => p.exitCode },
      { name: 'signal', type: 'INTEGER', get: (p) => p.signal },
      { name: 'signal_name', type: 'TEXT', get: (p) => p.signalName },
      { name: 'core_dumped', type: 'INTEGER', constraints: 'NOT NULL', get: (p) => bool(p.coreDumped) },
      { name: 'still_running', type: 'INTEGER', constraints: 'NOT NULL', get: (p) => bool(p.state === 'running') },
      { name: 'state', type: 'TEXT', constraints: 'NOT NULL', get: (p) => p.state },
      { name: 'is_root', type: 'INTEGER', constraints: 'NOT NULL', get: (p) => bool(p.isRoot) },
      { name: 'forked', type: 'INTEGER', constraints: 'NOT NULL', get: (p) => bool(p.forked) },
      { name: 'threads', type: 'INTEGER', constraints: 'NOT NULL', get: (p) => p.threads },
      { name: 'exec_count', type: 'INTEGER', constraints: 'NOT NULL', get: (p) => p.execCount },
      { name: 'comm', type: 'TEXT', get: (p) => p.comm },
      { name: 'attached', type: 'TEXT', get: (p) => p.attached },
      { name: 'attached_ns', type: 'INTEGER', get: (p) => p.attachedAt },
      { name: 'cgroup_id', type: 'INTEGER', get: (p) => p.cgroupId },
      { name: 'cgroup', type: 'TEXT', get: (p) => p.cgroup },
      { name: 'container_id', type: 'TEXT', get: (p) => p.containerId },
      { name: 'container_runtime', type: 'TEXT', get: (p) => p.containerRuntime },
      { name: 'pid_ns', type: 'INTEGER', get: (p) => p.pidNs },
      { name: 'mnt_ns', type: 'INTEGER', get: (p) => p.mntNs },
      { name: 'net_ns', type: 'INTEGER', get: (p) => p.netNs },
      { name: 'uts_ns', type: 'INTEGER', get: (p) => p.utsNs },
    ],
    rows: (m) => m.processes,
  }),
  table<EnvRow>({
    name: 'envs',
    columns: [
      id(),
      { name: 'base_id', type: 'INTEGER', constraints: 'REFERENCES envs(id)', get: (e) => e.baseId },
      { name: 'size', type: 'INTEGER', constraints: 'NOT NULL', get: (e) => e.size },
    ],
    rows: (m) => m.envs,
  }),
  table<EnvVarRow>({
    name: 'env_vars',
    columns: [
      { name: 'env_id', type: 'INTEGER', constraints: 'NOT NULL REFERENCES envs(id)', get: (v) => v.envId },
      { name: 'name', type: 'TEXT', constraints: 'NOT NULL', get: (v) => v.name },
      { name: 'value', type: 'TEXT', get: (v) => v.value },
      { name: 'raw', type: 'BLOB', get: (v) => v.raw },
    ],
    tableConstraints: ['PRIMARY KEY (env_id, name)'],
    withoutRowid: true,
    rows: (m) => m.envVars,
  }),
  table<ExecRow>({
    name: 'execs',
    columns: [
      id(),
      processId(),
      { name: 'seq', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => x.seq },
      { name: 'time_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => x.time },
      { name: 'exe', type: 'TEXT', constraints: 'NOT NULL', get: (x) => x.exe },
      { name: 'filename', type: 'TEXT', constraints: 'NOT NULL', get: (x) => x.filename },
      { name: 'interp', type: 'TEXT', get: (x) => x.interp },
      { name: 'cwd', type: 'TEXT', constraints: 'NOT NULL', get: (x) => x.cwd },
      { name: 'argv', type: 'BLOB', constraints: 'NOT NULL', get: (x) => x.argv },
      { name: 'argv_json', type: 'TEXT', constraints: 'NOT NULL', get: (x) => stringsJson(x.argv) },
      { name: 'argc', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => x.argc },
      { name: 'argc_kernel', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => x.argcKernel },
      { name: 'envc', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => x.envc },
      { name: 'env_id', type: 'INTEGER', constraints: 'REFERENCES envs(id)', get: (x) => x.envId },
      { name: 'uid', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => x.uid },
      { name: 'gid', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => x.gid },
      { name: 'euid', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => x.euid },
      { name: 'egid', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => x.egid },
      { name: 'ns_pid', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => x.nsPid },
      { name: 'ns_level', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => x.nsLevel },
      { name: 'comm', type: 'TEXT', constraints: 'NOT NULL', get: (x) => x.comm },
      { name: 'ppid', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => x.ppid },
      { name: 'argv_truncated', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => bool(x.argvTruncated) },
      { name: 'env_truncated', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => bool(x.envTruncated) },
      { name: 'exe_truncated', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => bool(x.exeTruncated) },
      { name: 'filename_truncated', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => bool(x.filenameTruncated) },
      { name: 'cwd_truncated', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => bool(x.cwdTruncated) },
      { name: 'attached', type: 'INTEGER', constraints: 'NOT NULL', get: (x) => bool(x.attached) },
    ],
    rows: (m) => m.execs,
  }),
  table<ExecFailureRow>({
    name: 'exec_failures',
    columns: [
      id(),
      processId(),
      { name: 'time_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (f) => f.time },
      { name: 'path', type: 'TEXT', constraints: 'NOT NULL', get: (f) => f.path },
      { name: 'path_truncated', type: 'INTEGER', constraints: 'NOT NULL', get: (f) => bool(f.pathTruncated) },
      { name: 'errno', type: 'INTEGER', constraints: 'NOT NULL', get: (f) => f.errno },
      { name: 'errno_name', type: 'TEXT', constraints: 'NOT NULL', get: (f) => f.errnoName },
    ],
    rows: (m) => m.execFailures,
  }),
  table<LossRow>({
    name: 'losses',
    columns: [
      id(),
      { name: 'time_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (l) => l.time },
      { name: 'category', type: 'INTEGER', constraints: 'NOT NULL', get: (l) => l.category },
      { name: 'category_name', type: 'TEXT', constraints: 'NOT NULL', get: (l) => l.categoryName },
      { name: 'count', type: 'INTEGER', constraints: 'NOT NULL', get: (l) => l.count },
    ],
    rows: (m) => m.losses,
  }),
  table<OpenRow>({
    name: 'opens',
    columns: [
      id(),
      processId(),
      { name: 'time_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (f) => f.time },
      { name: 'syscall', type: 'TEXT', constraints: 'NOT NULL', get: (f) => f.syscall },
      { name: 'syscall_nr', type: 'INTEGER', constraints: 'NOT NULL', get: (f) => f.syscallNr },
      { name: 'dirfd', type: 'INTEGER', constraints: 'NOT NULL', get: (f) => f.dirfd },
      { name: 'path', type: 'TEXT', constraints: 'NOT NULL', get: (f) => f.path },
      { name: 'path_truncated', type: 'INTEGER', constraints: 'NOT NULL', get: (f) => bool(f.pathTruncated) },
      { name: 'resolved_path', type: 'TEXT', get: (f) => f.resolved },
      { name: 'flags', type: 'INTEGER', constraints: 'NOT NULL', get: (f) => f.flags },
      { name: 'flags_text', type: 'TEXT', constraints: 'NOT NULL', get: (f) => cachedFlagsText(f.flags) },
      { name: 'mode', type: 'INTEGER', constraints: 'NOT NULL', get: (f) => f.mode },
      { name: 'fd', type: 'INTEGER', get: (f) => f.fd },
      { name: 'errno', type: 'INTEGER', get: (f) => f.errno },
      { name: 'errno_name', type: 'TEXT', get: (f) => f.errnoName },
      { name: 'latency_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (f) => f.latencyNs },
    ],
    rows: (m) => m.opens,
  }),
  table<ResourceRow>({
    name: 'resources',
    columns: [
      {
        name: 'process_id',
        type: 'INTEGER',
        constraints: 'PRIMARY KEY REFERENCES processes(id)',
        get: (r) => r.processId,
      },
      { name: 'utime_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (r) => r.utimeNs },
      { name: 'stime_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (r) => r.stimeNs },
      {
        name: 'cpu_ns',
        type: 'INTEGER',
        constraints: 'NOT NULL',
        // Each at most 2^53 - 1: their sum may not be a safe integer.
        get: (r) =>
          Number.isSafeInteger(r.utimeNs + r.stimeNs) ? r.utimeNs + r.stimeNs : BigInt(r.utimeNs) + BigInt(r.stimeNs),
      },
      { name: 'runtime_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (r) => r.runtimeNs },
      { name: 'maxrss_kb', type: 'INTEGER', constraints: 'NOT NULL', get: (r) => r.maxrssKb },
      { name: 'min_flt', type: 'INTEGER', constraints: 'NOT NULL', get: (r) => r.minFlt },
      { name: 'maj_flt', type: 'INTEGER', constraints: 'NOT NULL', get: (r) => r.majFlt },
      { name: 'nvcsw', type: 'INTEGER', constraints: 'NOT NULL', get: (r) => r.nvcsw },
      { name: 'nivcsw', type: 'INTEGER', constraints: 'NOT NULL', get: (r) => r.nivcsw },
      { name: 'rchar', type: 'INTEGER', constraints: 'NOT NULL', get: (r) => r.rchar },
      { name: 'wchar', type: 'INTEGER', constraints: 'NOT NULL', get: (r) => r.wchar },
      { name: 'read_bytes', type: 'INTEGER', constraints: 'NOT NULL', get: (r) => r.readBytes },
      { name: 'write_bytes', type: 'INTEGER', constraints: 'NOT NULL', get: (r) => r.writeBytes },
    ],
    rows: (m) => m.resources,
  }),
  table<HistRow>({
    name: 'histograms',
    columns: [
      id(),
      processId(),
      { name: 'kind', type: 'TEXT', constraints: 'NOT NULL', get: (h) => h.kind },
      { name: 'count', type: 'INTEGER', constraints: 'NOT NULL', get: (h) => h.count },
      { name: 'total_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (h) => h.totalNs },
      { name: 'max_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (h) => h.maxNs },
      { name: 'buckets', type: 'TEXT', constraints: 'NOT NULL', get: (h) => JSON.stringify(h.buckets) },
    ],
    rows: (m) => m.histograms,
  }),
  table<ConnectionRow>({
    name: 'connections',
    columns: [
      id(),
      processId(),
      { name: 'conn_id', type: 'INTEGER', constraints: 'NOT NULL', get: (c) => c.connId },
      { name: 'role', type: 'TEXT', constraints: 'NOT NULL', get: (c) => c.role },
      { name: 'family', type: 'INTEGER', constraints: 'NOT NULL', get: (c) => c.family },
      { name: 'local_address', type: 'TEXT', constraints: 'NOT NULL', get: (c) => c.localAddress },
      { name: 'local_port', type: 'INTEGER', constraints: 'NOT NULL', get: (c) => c.localPort },
      { name: 'remote_address', type: 'TEXT', constraints: 'NOT NULL', get: (c) => c.remoteAddress },
      { name: 'remote_port', type: 'INTEGER', constraints: 'NOT NULL', get: (c) => c.remotePort },
      { name: 'peer_name', type: 'TEXT', get: (c) => c.peerName },
      { name: 'start_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (c) => c.start },
      { name: 'end_ns', type: 'INTEGER', get: (c) => c.end },
      { name: 'connect_latency_ns', type: 'INTEGER', get: (c) => c.latencyNs },
      { name: 'state', type: 'TEXT', constraints: 'NOT NULL', get: (c) => c.state },
      { name: 'errno', type: 'INTEGER', get: (c) => c.errno },
      { name: 'errno_name', type: 'TEXT', get: (c) => c.errnoName },
      { name: 'bytes_sent', type: 'INTEGER', get: (c) => c.bytesSent },
      { name: 'bytes_received', type: 'INTEGER', get: (c) => c.bytesReceived },
      { name: 'retransmits', type: 'INTEGER', get: (c) => c.retransmits },
      { name: 'abandoned', type: 'INTEGER', constraints: 'NOT NULL', get: (c) => bool(c.abandoned) },
      { name: 'open_at_stop', type: 'INTEGER', get: (c) => (c.openAtStop === null ? null : bool(c.openAtStop)) },
      { name: 'tcp_state_at_stop', type: 'TEXT', get: (c) => c.tcpStateAtStop },
    ],
    rows: (m) => m.connections,
  }),
  table<DnsLookupRow>({
    name: 'dns_lookups',
    columns: [
      id(),
      processId(),
      { name: 'time_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (d) => d.time },
      { name: 'name', type: 'TEXT', constraints: 'NOT NULL', get: (d) => d.name },
      { name: 'name_truncated', type: 'INTEGER', constraints: 'NOT NULL', get: (d) => bool(d.nameTruncated) },
      { name: 'result', type: 'INTEGER', constraints: 'NOT NULL', get: (d) => d.result },
      { name: 'result_name', type: 'TEXT', get: (d) => d.resultName },
      { name: 'latency_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (d) => d.latencyNs },
      { name: 'answer_count', type: 'INTEGER', constraints: 'NOT NULL', get: (d) => d.count },
      { name: 'answers', type: 'TEXT', constraints: 'NOT NULL', get: (d) => JSON.stringify(d.answers) },
    ],
    rows: (m) => m.dnsLookups,
  }),
  table<DnsQueryRow>({
    name: 'dns_queries',
    columns: [
      id(),
      processId(),
      { name: 'time_ns', type: 'INTEGER', constraints: 'NOT NULL', get: (q) => q.time },
      { name: 'server_address', type: 'TEXT', constraints: 'NOT NULL', get: (q) => q.server },
      { name: 'server_port', type: 'INTEGER', constraints: 'NOT NULL', get: (q) => q.serverPort },
      { name: 'local_port', type: 'INTEGER', constraints: 'NOT NULL', get: (q) => q.localPort },
      { name: 'dns_id', type: 'INTEGER', constraints: 'NOT NULL', get: (q) => q.dnsId },
      { name: 'name', type: 'TEXT', constraints: 'NOT NULL', get: (q) => q.name },
      { name: 'type', type: 'TEXT', constraints: 'NOT NULL', get: (q) => q.type },
      { name: 'rcode', type: 'INTEGER', get: (q) => q.rcode },
      { name: 'rcode_name', type: 'TEXT', get: (q) => q.rcodeName },
      { name: 'latency_ns', type: 'INTEGER', get: (q) => q.latencyNs },
      { name: 'answers', type: 'TEXT', constraints: 'NOT NULL', get: (q) => JSON.stringify(q.answers) },
      { name: 'truncated', type: 'INTEGER', constraints: 'NOT NULL', get: (q) => bool(q.truncated) },
      { name: 'parse_error', type: 'TEXT', get: (q) => q.error },
      { name: 'query', type: 'BLOB', get: (q) => q.query },
      { name: 'reply', type: 'BLOB', get: (q) => q.reply },
    ],
    rows: (m) => m.dnsQueries,
  }),
];

/** The CREATE TABLE statement of `t`, laid out one column a line. */
export function createTableSql(t: AnyTable): string {
  const lines = [
    ...t.columns.map((c) => `  ${[c.name, c.type, c.constraints ?? ''].filter((s) => s !== '').join(' ')}`),
    ...(t.tableConstraints ?? []).map((s) => `  ${s}`),
  ];
  return `CREATE TABLE ${t.name} (\n${lines.join(',\n')}\n)${t.withoutRowid === true ? ' WITHOUT ROWID' : ''};`;
}

/** Tables, created before loading (no indexes yet: bulk insert is faster without). */
export const TABLES_SQL = TABLES.map(createTableSql).join('\n');

/** Indexes, created after loading (a table's as soon as its rows are all in: writer.ts). */
export const INDEXES: readonly { table: string; sql: string }[] = [
  { table: 'processes', sql: 'CREATE UNIQUE INDEX processes_identity ON processes(pid, start_boot_ns);' },
  { table: 'processes', sql: 'CREATE INDEX processes_parent ON processes(parent_id);' },
  { table: 'execs', sql: 'CREATE UNIQUE INDEX execs_process ON execs(process_id, seq);' },
  { table: 'exec_failures', sql: 'CREATE INDEX exec_failures_process ON exec_failures(process_id);' },
  { table: 'opens', sql: 'CREATE INDEX opens_process ON opens(process_id);' },
  { table: 'opens', sql: 'CREATE INDEX opens_resolved ON opens(resolved_path);' },
  { table: 'histograms', sql: 'CREATE INDEX histograms_process ON histograms(process_id, kind);' },
  { table: 'connections', sql: 'CREATE INDEX connections_process ON connections(process_id);' },
  { table: 'connections', sql: 'CREATE INDEX connections_peer ON connections(remote_address, remote_port);' },
  { table: 'dns_lookups', sql: 'CREATE INDEX dns_lookups_process ON dns_lookups(process_id);' },
  { table: 'dns_lookups', sql: 'CREATE INDEX dns_lookups_name ON dns_lookups(name);' },
  { table: 'dns_queries', sql: 'CREATE INDEX dns_queries_process ON dns_queries(process_id);' },
  { table: 'dns_queries', sql: 'CREATE INDEX dns_queries_name ON dns_queries(name);' },
];

/** The CREATE INDEX statements of the tables in `tables`. */
export function indexesSql(tables: ReadonlySet<string>): string {
  return INDEXES.filter((i) => tables.has(i.table))
    .map((i) => i.sql)
    .join('\n');
}

/** Views, created after loading. */
export const VIEWS_SQL = `
-- Full environment of every stored environment: follow base_id, nearest definition wins, unset removes.
CREATE VIEW env_full AS
WITH RECURSIVE chain(env_id, ancestor_id, depth) AS (
  SELECT id, id, 0 FROM envs
  UNION ALL
  SELECT c.env_id, e.base_id, c.depth + 1
  FROM chain c JOIN envs e ON e.id = c.ancestor_id
  WHERE e.base_id IS NOT NULL
),
ranked AS (
  SELECT c.env_id, v.name, v.value, v.raw,
         row_number() OVER (PARTITION BY c.env_id, v.name ORDER BY c.depth) AS rn
  FROM chain c JOIN env_vars v ON v.env_id = c.ancestor_id
)
SELECT env_id, name, value, raw FROM ranked WHERE rn = 1 AND value IS NOT NULL;

-- Full environment of every exec.
CREATE VIEW exec_env AS
SELECT x.id AS exec_id, x.process_id, f.name, f.value, f.raw
FROM execs x JOIN env_full f ON f.env_id = x.env_id;

-- One row per process with its duration and last image.
CREATE VIEW process_summary AS
SELECT p.id, p.pid, p.parent_id, p.start_ns, p.end_ns,
       p.end_ns - p.start_ns AS duration_ns,
       p.exit_code, p.signal_name, p.state,
       x.exe, x.argv_json
FROM processes p
LEFT JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1;
`;

/** Indexes and views, created after loading. */
export const INDEXES_SQL = `${INDEXES.map((i) => i.sql).join('\n')}\n${VIEWS_SQL}`;
