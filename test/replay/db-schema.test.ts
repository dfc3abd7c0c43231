// The SQLite tables against their declarations (analyze/db/schema.ts TABLES):
// every value lands in the column named for it, and analyze/SCHEMA.md lists
// exactly the declared columns with their types.

import { readFileSync } from 'node:fs';
import test from 'ava';
import { buildDatabase } from '../../analyze/db/database.ts';
import { SCHEMA_VERSION, TABLES } from '../../analyze/db/schema.ts';
import type { EnvRow, EnvVarRow } from '../../analyze/replay/env.ts';
import { openFlagsText } from '../../analyze/replay/files.ts';
import { modelOfCapture } from '../../analyze/replay/load.ts';
import type {
  ConnectionRow,
  DnsLookupRow,
  DnsQueryRow,
  ExecFailureRow,
  ExecRow,
  HistRow,
  LossRow,
  Model,
  OpenRow,
  ProcessRow,
  ResourceRow,
} from '../../analyze/replay/model.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { buildScenario } from '../../testkit/synth.ts';

// ---------------------------------------------------------------- a model where no two fields hold the same value

let next = 1000;
const int = (): number => next++;
const big = (): bigint => BigInt(next++);
const str = (): string => `v${next++}`;
const ROWS = [0, 1, 2];
/** Row `i`'s value of a boolean whose pattern over the three rows is the bits of `code`: distinct codes, distinct columns. */
const flag = (i: number, code: number): boolean => ((code >> i) & 1) === 1;

function distinctModel(): Model {
  const states = ['running', 'exited', 'unknown'] as const; // still_running: code 1
  const processes: ProcessRow[] = ROWS.map((i) => ({
    id: int(),
    pid: int(),
    startBoot: big(),
    parentId: int(),
    parentPid: int(),
    parentStartBoot: big(),
    ppid: int(),
    start: big(),
    end: big(),
    exitStatus: int(),
    exitCode: int(),
    signal: int(),
    signalName: str(),
    coreDumped: flag(i, 2),
    state: states[i]!,
    isRoot: flag(i, 3),
    forked: flag(i, 4),
    threads: int(),
    execCount: int(),
    comm: str(),
    attached: str(),
    attachedAt: big(),
    cgroupId: int(),
    cgroup: str(),
    containerId: str(),
    containerRuntime: str(),
    pidNs: int(),
    mntNs: int(),
    netNs: int(),
    utsNs: int(),
  }));
  const envs: EnvRow[] = ROWS.map(() => ({ id: int(), baseId: int(), size: int() }));
  const envVars: EnvVarRow[] = ROWS.map(() => ({ envId: int(), name: str(), value: str(), raw: Buffer.from(str()) }));
  const execs: ExecRow[] = ROWS.map((i) => ({
    id: int(),
    processId: int(),
    seq: int(),
    time: big(),
    exe: str(),
    exeTruncated: flag(i, 1),
    filename: str(),
    filenameTruncated: flag(i, 2),
    interp: str(),
    cwd: str(),
    cwdTruncated: flag(i, 3),
    argv: Buffer.from(`${str()}\0${str()}\0`),
    argc: int(),
    argcKernel: int(),
    envc: int(),
    argvTruncated: flag(i, 4),
    envTruncated: flag(i, 5),
    envId: int(),
    uid: int(),
    gid: int(),
    euid: int(),
    egid: int(),
    nsPid: int(),
    nsLevel: int(),
    comm: str(),
    ppid: int(),
    attached: flag(i, 6),
  }));
  const execFailures: ExecFailureRow[] = ROWS.map((i) => ({
    id: int(),
    processId: int(),
    time: big(),
    path: str(),
    pathTruncated: flag(i, 5),
    errno: int(),
    errnoName: str(),
  }));
  const losses: LossRow[] = ROWS.map(() => ({
    id: int(),
    time: big(),
    category: int(),
    categoryName: str(),
    count: big(),
  }));
  const opens: OpenRow[] = ROWS.map((i) => ({
    id: int(),
    processId: int(),
    time: big(),
    syscallNr: int(),
    syscall: str(),
    dirfd: int(),
    path: str(),
    pathTruncated: flag(i, 5),
    resolved: str(),
    flags: int(),
    mode: int(),
    fd: int(),
    errno: int(),
    errnoName: str(),
    latencyNs: big(),
  }));
  const resources: ResourceRow[] = ROWS.map(() => ({
    processId: int(),
    utimeNs: int(),
    stimeNs: int(),
    runtimeNs: int(),
    maxrssKb: int(),
    minFlt: int(),
    majFlt: int(),
    nvcsw: int(),
    nivcsw: int(),
    rchar: int(),
    wchar: int(),
    readBytes: int(),
    writeBytes: int(),
  }));
  const histograms: HistRow[] = ROWS.map(() => ({
    id: int(),
    processId: int(),
    kind: str(),
    count: big(),
    totalNs: big(),
    maxNs: big(),
    buckets: [int(), int()],
  }));
  const connections: ConnectionRow[] = ROWS.map((i) => ({
    id: int(),
    processId: int(),
    connId: int(),
    role: str(),
    family: int(),
    localAddress: str(),
    localPort: int(),
    remoteAddress: str(),
    remotePort: int(),
    start: big(),
    end: big(),
    latencyNs: big(),
    state: 'established',
    errno: int(),
    errnoName: str(),
    abandoned: flag(i, 5),
    bytesSent: big(),
    bytesReceived: big(),
    retransmits: int(),
    openAtStop: flag(i, 6),
    tcpStateAtStop: str(),
    peerName: str(),
  }));
  const dnsLookups: DnsLookupRow[] = ROWS.map((i) => ({
    id: int(),
    processId: int(),
    time: big(),
    name: str(),
    nameTruncated: flag(i, 5),
    result: int(),
    resultName: str(),
    latencyNs: big(),
    count: int(),
    answers: [{ family: int(), address: str() }],
  }));
  const dnsQueries: DnsQueryRow[] = ROWS.map((i) => ({
    id: int(),
    processId: int(),
    time: big(),
    server: str(),
    serverPort: int(),
    localPort: int(),
    dnsId: int(),
    name: str(),
    type: str(),
    rcode: int(),
    rcodeName: str(),
    latencyNs: big(),
    answers: [str()],
    truncated: flag(i, 5),
    error: str(),
    query: Buffer.from(str()),
    reply: Buffer.from(str()),
  }));
  return {
    source: modelOfCapture(readCaptureBuffer(buildScenario().buffer())).source, // typed header and footer: no table holds them
    meta: [
      [str(), int()],
      [str(), str()],
      [str(), big()],
    ],
    warnings: ROWS.map(() => ({ code: str(), message: str() })),
    processes,
    execs,
    execFailures,
    envs,
    envVars,
    losses,
    opens,
    resources,
    histograms,
    connections,
    dnsLookups,
    dnsQueries,
    events: 0,
  };
}

// ---------------------------------------------------------------- what each column must hold, written independently of TABLES

type Row = Record<string, unknown>;

/** SQLite's view of a JS value: integers as BigInt (read with safeIntegers), booleans as 0/1. */
function stored(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'number') return BigInt(v);
  return v;
}
const storedRow = (r: Row): Row => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, stored(v)]));

function expectedTables(m: Model): Record<string, Row[]> {
  return {
    schema_version: [{ version: SCHEMA_VERSION }],
    meta: m.meta.map(([key, value]) => ({ key, value })),
    warnings: m.warnings.map((w, i) => ({ id: i + 1, code: w.code, message: w.message })),
    processes: m.processes.map((p) => ({
      id: p.id,
      pid: p.pid,
      start_boot_ns: p.startBoot,
      parent_id: p.parentId,
      parent_pid: p.parentPid,
      parent_start_boot_ns: p.parentStartBoot,
      ppid: p.ppid,
      start_ns: p.start,
      end_ns: p.end,
      exit_status: p.exitStatus,
      exit_code: p.exitCode,
      signal: p.signal,
      signal_name: p.signalName,
      core_dumped: p.coreDumped,
      still_running: p.state === 'running',
      state: p.state,
      is_root: p.isRoot,
      forked: p.forked,
      threads: p.threads,
      exec_count: p.execCount,
      comm: p.comm,
      attached: p.attached,
      attached_ns: p.attachedAt,
      cgroup_id: p.cgroupId,
      cgroup: p.cgroup,
      container_id: p.containerId,
      container_runtime: p.containerRuntime,
      pid_ns: p.pidNs,
      mnt_ns: p.mntNs,
      net_ns: p.netNs,
      uts_ns: p.utsNs,
    })),
    envs: m.envs.map((e) => ({ id: e.id, base_id: e.baseId, size: e.size })),
    env_vars: m.envVars.map((v) => ({ env_id: v.envId, name: v.name, value: v.value, raw: v.raw })),
    execs: m.execs.map((x) => {
      const [a0, a1] = x.argv.toString().split('\0');
      return {
        id: x.id,
        process_id: x.processId,
        seq: x.seq,
        time_ns: x.time,
        exe: x.exe,
        filename: x.filename,
        interp: x.interp,
        cwd: x.cwd,
        argv: x.argv,
        argv_json: `["${a0}","${a1}"]`,
        argc: x.argc,
        argc_kernel: x.argcKernel,
        envc: x.envc,
        env_id: x.envId,
        uid: x.uid,
        gid: x.gid,
        euid: x.euid,
        egid: x.egid,
        ns_pid: x.nsPid,
        ns_level: x.nsLevel,
        comm: x.comm,
        ppid: x.ppid,
        argv_truncated: x.argvTruncated,
        env_truncated: x.envTruncated,
        exe_truncated: x.exeTruncated,
        filename_truncated: x.filenameTruncated,
        cwd_truncated: x.cwdTruncated,
        attached: x.attached,
      };
    }),
    exec_failures: m.execFailures.map((f) => ({
      id: f.id,
      process_id: f.processId,
      time_ns: f.time,
      path: f.path,
      path_truncated: f.pathTruncated,
      errno: f.errno,
      errno_name: f.errnoName,
    })),
    losses: m.losses.map((l) => ({
      id: l.id,
      time_ns: l.time,
      category: l.category,
      category_name: l.categoryName,
      count: l.count,
    })),
    opens: m.opens.map((f) => ({
      id: f.id,
      process_id: f.processId,
      time_ns: f.time,
      syscall: f.syscall,
      syscall_nr: f.syscallNr,
      dirfd: f.dirfd,
      path: f.path,
      path_truncated: f.pathTruncated,
      resolved_path: f.resolved,
      flags: f.flags,
      flags_text: openFlagsText(f.flags),
      mode: f.mode,
      fd: f.fd,
      errno: f.errno,
      errno_name: f.errnoName,
      latency_ns: f.latencyNs,
    })),
    resources: m.resources.map((r) => ({
      process_id: r.processId,
      utime_ns: r.utimeNs,
      stime_ns: r.stimeNs,
      cpu_ns: r.utimeNs + r.stimeNs,
      runtime_ns: r.runtimeNs,
      maxrss_kb: r.maxrssKb,
      min_flt: r.minFlt,
      maj_flt: r.majFlt,
      nvcsw: r.nvcsw,
      nivcsw: r.nivcsw,
      rchar: r.rchar,
      wchar: r.wchar,
      read_bytes: r.readBytes,
      write_bytes: r.writeBytes,
    })),
    histograms: m.histograms.map((h) => ({
      id: h.id,
      process_id: h.processId,
      kind: h.kind,
      count: h.count,
      total_ns: h.totalNs,
      max_ns: h.maxNs,
      buckets: `[${h.buckets.join(',')}]`,
    })),
    connections: m.connections.map((c) => ({
      id: c.id,
      process_id: c.processId,
      conn_id: c.connId,
      role: c.role,
      family: c.family,
      local_address: c.localAddress,
      local_port: c.localPort,
      remote_address: c.remoteAddress,
      remote_port: c.remotePort,
      peer_name: c.peerName,
      start_ns: c.start,
      end_ns: c.end,
      connect_latency_ns: c.latencyNs,
      state: c.state,
      errno: c.errno,
      errno_name: c.errnoName,
      bytes_sent: c.bytesSent,
      bytes_received: c.bytesReceived,
      retransmits: c.retransmits,
      abandoned: c.abandoned,
      open_at_stop: c.openAtStop,
      tcp_state_at_stop: c.tcpStateAtStop,
    })),
    dns_lookups: m.dnsLookups.map((d) => ({
      id: d.id,
      process_id: d.processId,
      time_ns: d.time,
      name: d.name,
      name_truncated: d.nameTruncated,
      result: d.result,
      result_name: d.resultName,
      latency_ns: d.latencyNs,
      answer_count: d.count,
      answers: `[{"family":${d.answers[0]!.family},"address":"${d.answers[0]!.address}"}]`,
    })),
    dns_queries: m.dnsQueries.map((q) => ({
      id: q.id,
      process_id: q.processId,
      time_ns: q.time,
      server_address: q.server,
      server_port: q.serverPort,
      local_port: q.localPort,
      dns_id: q.dnsId,
      name: q.name,
      type: q.type,
      rcode: q.rcode,
      rcode_name: q.rcodeName,
      latency_ns: q.latencyNs,
      answers: `["${q.answers[0]!}"]`,
      truncated: q.truncated,
      parse_error: q.error,
      query: q.query,
      reply: q.reply,
    })),
  };
}

test('every model field lands in the column named for it (no two fields hold the same value)', (t) => {
  const model = distinctModel();
  const db = buildDatabase(model);
  const expected = expectedTables(model);
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .pluck()
    .all() as string[];
  t.deepEqual(tables, Object.keys(expected).sort(), 'every table is checked');
  for (const name of tables) {
    const got = db.prepare(`SELECT * FROM ${name}`).safeIntegers(true).all() as Row[];
    t.deepEqual(got, expected[name]!.map(storedRow), name);
  }
  db.close();
});

// ---------------------------------------------------------------- SCHEMA.md

/** `table.column TYPE` for every column of the column tables (`| column | type | meaning |`) of SCHEMA.md's "Tables" section. */
function documentedColumns(markdown: string): string[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Tables'));
  if (section === undefined) throw new Error('SCHEMA.md has no "## Tables" section');
  const out: string[] = [];
  let table: string | null = null;
  let inColumns = false;
  for (const line of section.split('\n')) {
    const heading = /^#{3,4} `(\w+)`/.exec(line);
    if (heading !== null) table = heading[1]!;
    if (/^\| column \| type \| meaning \|/.test(line)) {
      inColumns = true;
      continue;
    }
    if (!line.startsWith('|')) inColumns = false;
    if (!inColumns || line.startsWith('| ---')) continue;
    const [names, types] = line
      .split(/(?<!\\)\|/)
      .slice(1, 3)
      .map((cell) => cell.trim());
    const columns = [...names!.matchAll(/`(\w+)`/g)].map((m) => m[1]!);
    const typeList = types!.split(/,\s*/);
    if (typeList.length !== 1 && typeList.length !== columns.length)
      throw new Error(`SCHEMA.md: ${columns.length} columns, ${typeList.length} types: ${line}`);
    columns.forEach((c, i) => out.push(`${table}.${c} ${typeList[typeList.length === 1 ? 0 : i]}`));
  }
  return out.sort();
}

const declaredColumns = (): string[] =>
  TABLES.flatMap((tb) => tb.columns.map((c) => `${tb.name}.${c.name} ${c.type === '' ? 'any' : c.type}`)).sort();

test('SCHEMA.md lists every declared column with its type, and no other', (t) => {
  const doc = readFileSync(new URL('../../analyze/SCHEMA.md', import.meta.url), 'utf8');
  t.deepEqual(documentedColumns(doc), declaredColumns());
});

test('the SCHEMA.md check sees a column missing, one too many, and a wrong type', (t) => {
  const doc = readFileSync(new URL('../../analyze/SCHEMA.md', import.meta.url), 'utf8');
  const documented = documentedColumns(doc);
  t.notDeepEqual(documentedColumns(doc.replace('| `comm` | TEXT | comm at exit |', '')), documented);
  t.true(
    documentedColumns(
      doc.replace('| `comm` | TEXT | comm at exit |', '| `comm` | TEXT | comm at exit |\n| `extra` | TEXT | x |'),
    ).includes('processes.extra TEXT'),
  );
  t.true(
    documentedColumns(doc.replace('| `comm` | TEXT | comm at exit |', '| `comm` | BLOB | comm at exit |')).includes(
      'processes.comm BLOB',
    ),
  );
});

test('SCHEMA.md names the current schema version', (t) => {
  const doc = readFileSync(new URL('../../analyze/SCHEMA.md', import.meta.url), 'utf8');
  t.regex(doc.split('\n')[0]!, new RegExp(`schema, version ${SCHEMA_VERSION}\\)`));
  t.true(doc.includes(`\`version\` = ${SCHEMA_VERSION}.`));
});
