// The SQLite schema of a replayed capture. analyze/SCHEMA.md documents every
// table and column; bump SCHEMA_VERSION on any incompatible change.

export const SCHEMA_VERSION = 6;

/** Tables, created before loading (no indexes yet: bulk insert is faster without). */
export const TABLES_SQL = `
CREATE TABLE schema_version (
  version INTEGER NOT NULL
);
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value
) WITHOUT ROWID;
CREATE TABLE warnings (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE TABLE processes (
  id INTEGER PRIMARY KEY,
  pid INTEGER NOT NULL,
  start_boot_ns INTEGER NOT NULL,
  parent_id INTEGER REFERENCES processes(id),
  parent_pid INTEGER,
  parent_start_boot_ns INTEGER,
  ppid INTEGER,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER,
  exit_status INTEGER,
  exit_code INTEGER,
  signal INTEGER,
  signal_name TEXT,
  core_dumped INTEGER NOT NULL,
  still_running INTEGER NOT NULL,
  state TEXT NOT NULL,
  is_root INTEGER NOT NULL,
  forked INTEGER NOT NULL,
  threads INTEGER NOT NULL,
  exec_count INTEGER NOT NULL,
  comm TEXT
);
CREATE TABLE envs (
  id INTEGER PRIMARY KEY,
  base_id INTEGER REFERENCES envs(id),
  size INTEGER NOT NULL
);
CREATE TABLE env_vars (
  env_id INTEGER NOT NULL REFERENCES envs(id),
  name TEXT NOT NULL,
  value TEXT,
  raw BLOB,
  PRIMARY KEY (env_id, name)
) WITHOUT ROWID;
CREATE TABLE execs (
  id INTEGER PRIMARY KEY,
  process_id INTEGER NOT NULL REFERENCES processes(id),
  seq INTEGER NOT NULL,
  time_ns INTEGER NOT NULL,
  exe TEXT NOT NULL,
  filename TEXT NOT NULL,
  interp TEXT,
  cwd TEXT NOT NULL,
  argv BLOB NOT NULL,
  argv_json TEXT NOT NULL,
  argc INTEGER NOT NULL,
  argc_kernel INTEGER NOT NULL,
  envc INTEGER NOT NULL,
  env_id INTEGER REFERENCES envs(id),
  uid INTEGER NOT NULL,
  gid INTEGER NOT NULL,
  euid INTEGER NOT NULL,
  egid INTEGER NOT NULL,
  ns_pid INTEGER NOT NULL,
  ns_level INTEGER NOT NULL,
  comm TEXT NOT NULL,
  ppid INTEGER NOT NULL,
  argv_truncated INTEGER NOT NULL,
  env_truncated INTEGER NOT NULL,
  exe_truncated INTEGER NOT NULL,
  filename_truncated INTEGER NOT NULL,
  cwd_truncated INTEGER NOT NULL
);
CREATE TABLE exec_failures (
  id INTEGER PRIMARY KEY,
  process_id INTEGER NOT NULL REFERENCES processes(id),
  time_ns INTEGER NOT NULL,
  path TEXT NOT NULL,
  path_truncated INTEGER NOT NULL,
  errno INTEGER NOT NULL,
  errno_name TEXT NOT NULL
);
CREATE TABLE losses (
  id INTEGER PRIMARY KEY,
  time_ns INTEGER NOT NULL,
  category INTEGER NOT NULL,
  category_name TEXT NOT NULL,
  count INTEGER NOT NULL
);
CREATE TABLE opens (
  id INTEGER PRIMARY KEY,
  process_id INTEGER NOT NULL REFERENCES processes(id),
  time_ns INTEGER NOT NULL,
  syscall TEXT NOT NULL,
  syscall_nr INTEGER NOT NULL,
  dirfd INTEGER NOT NULL,
  path TEXT NOT NULL,
  path_truncated INTEGER NOT NULL,
  resolved_path TEXT,
  flags INTEGER NOT NULL,
  flags_text TEXT NOT NULL,
  mode INTEGER NOT NULL,
  fd INTEGER,
  errno INTEGER,
  errno_name TEXT,
  latency_ns INTEGER NOT NULL
);
CREATE TABLE resources (
  process_id INTEGER PRIMARY KEY REFERENCES processes(id),
  utime_ns INTEGER NOT NULL,
  stime_ns INTEGER NOT NULL,
  cpu_ns INTEGER NOT NULL,
  runtime_ns INTEGER NOT NULL,
  maxrss_kb INTEGER NOT NULL,
  min_flt INTEGER NOT NULL,
  maj_flt INTEGER NOT NULL,
  nvcsw INTEGER NOT NULL,
  nivcsw INTEGER NOT NULL,
  rchar INTEGER NOT NULL,
  wchar INTEGER NOT NULL,
  read_bytes INTEGER NOT NULL,
  write_bytes INTEGER NOT NULL
);
CREATE TABLE histograms (
  id INTEGER PRIMARY KEY,
  process_id INTEGER NOT NULL REFERENCES processes(id),
  kind TEXT NOT NULL,
  count INTEGER NOT NULL,
  total_ns INTEGER NOT NULL,
  max_ns INTEGER NOT NULL,
  buckets TEXT NOT NULL
);
CREATE TABLE connections (
  id INTEGER PRIMARY KEY,
  process_id INTEGER NOT NULL REFERENCES processes(id),
  conn_id INTEGER NOT NULL,
  role TEXT NOT NULL,
  family INTEGER NOT NULL,
  local_address TEXT NOT NULL,
  local_port INTEGER NOT NULL,
  remote_address TEXT NOT NULL,
  remote_port INTEGER NOT NULL,
  peer_name TEXT,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER,
  connect_latency_ns INTEGER,
  state TEXT NOT NULL,
  errno INTEGER,
  errno_name TEXT,
  bytes_sent INTEGER,
  bytes_received INTEGER,
  retransmits INTEGER,
  abandoned INTEGER NOT NULL,
  open_at_stop INTEGER,
  tcp_state_at_stop TEXT
);
CREATE TABLE dns_lookups (
  id INTEGER PRIMARY KEY,
  process_id INTEGER NOT NULL REFERENCES processes(id),
  time_ns INTEGER NOT NULL,
  name TEXT NOT NULL,
  name_truncated INTEGER NOT NULL,
  result INTEGER NOT NULL,
  result_name TEXT,
  latency_ns INTEGER NOT NULL,
  answer_count INTEGER NOT NULL,
  answers TEXT NOT NULL
);
CREATE TABLE dns_queries (
  id INTEGER PRIMARY KEY,
  process_id INTEGER NOT NULL REFERENCES processes(id),
  time_ns INTEGER NOT NULL,
  server_address TEXT NOT NULL,
  server_port INTEGER NOT NULL,
  local_port INTEGER NOT NULL,
  dns_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  rcode INTEGER,
  rcode_name TEXT,
  latency_ns INTEGER,
  answers TEXT NOT NULL,
  truncated INTEGER NOT NULL,
  parse_error TEXT,
  query BLOB,
  reply BLOB
);
`;

/** Indexes and views, created after loading. */
export const INDEXES_SQL = `
CREATE UNIQUE INDEX processes_identity ON processes(pid, start_boot_ns);
CREATE INDEX processes_parent ON processes(parent_id);
CREATE UNIQUE INDEX execs_process ON execs(process_id, seq);
CREATE INDEX exec_failures_process ON exec_failures(process_id);
CREATE INDEX opens_process ON opens(process_id);
CREATE INDEX opens_resolved ON opens(resolved_path);
CREATE INDEX histograms_process ON histograms(process_id, kind);
CREATE INDEX connections_process ON connections(process_id);
CREATE INDEX connections_peer ON connections(remote_address, remote_port);
CREATE INDEX dns_lookups_process ON dns_lookups(process_id);
CREATE INDEX dns_lookups_name ON dns_lookups(name);
CREATE INDEX dns_queries_process ON dns_queries(process_id);
CREATE INDEX dns_queries_name ON dns_queries(name);

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
