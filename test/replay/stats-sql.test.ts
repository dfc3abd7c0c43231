// The stats sections are tallied in JavaScript from the model's rows; the SQL
// they replaced, run on the database of the same model, is kept here as the
// ground truth: the same counts and sums, the same rows in the same order, ties
// ordered as SQLite orders them (UTF-8 bytes, which past U+FFFF is not
// JavaScript's order; NULL first). Compared on the samples, the scenario
// captures, seeded random captures full of ties, and fuzz mutants of them
// (forged values: huge times and usage, broken links).

import test from 'ava';
import { buildDatabase, type Db } from '../../analyze/db/database.ts';
import { type CaptureInfo, captureInfo, type ProcInfo, procInfosOfModel } from '../../analyze/replay/capture-info.ts';
import { criticalPathOfTimes, type PathExec } from '../../analyze/replay/critical-path.ts';
import { modelOfCapture } from '../../analyze/replay/load.ts';
import type { Model, ProcessState } from '../../analyze/replay/model.ts';
import { statsContext } from '../../analyze/stats/context.ts';
import { execTruncation, lossByCategory } from '../../analyze/stats/issues.ts';
import { criticalPathOfContext } from '../../analyze/stats/sections/critical-path.ts';
import { computeStats, type StatsReport } from '../../analyze/stats/stats.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { dnsScenario, Synth } from '../../testkit/synth.ts';
import { fuzzBases, readMutants } from '../helpers/mutants.ts';
import { randomScenario } from '../helpers/random-capture.ts';

const TOP = 10;
const baseName = (c: string) => `replace(${c}, rtrim(${c}, replace(${c}, '/', '')), '')`;
const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const FAILED = `p.state = 'exited' AND (p.signal IS NOT NULL OR coalesce(p.exit_code, 0) != 0)`;
const PROCESS_SELECT = `
    SELECT p.id AS processId, coalesce(p.attached_ns, p.start_ns) - :t0 AS startNs,
           coalesce(p.end_ns, :end) - coalesce(p.attached_ns, p.start_ns) AS durationNs, x.argv_json AS argv
    FROM processes p LEFT JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1`;
const CPU = 'CASE WHEN r.runtime_ns > 0 THEN r.runtime_ns ELSE r.cpu_ns END';
const USAGE_SELECT = `
    SELECT p.id AS processId, ${CPU} AS cpuNs, r.utime_ns AS userNs, r.stime_ns AS systemNs,
           r.maxrss_kb AS maxRssKib, r.maj_flt AS majorFaults
    FROM resources r JOIN processes p ON p.id = r.process_id`;
const CONNECT_FAILURE =
  "CASE WHEN abandoned = 1 THEN 'abandoned' ELSE coalesce(errno_name, 'errno ' || errno, 'failed') END";
const DNS_ERROR = "coalesce(result_name, 'EAI ' || result)";
const OUTCOME = "CASE WHEN rcode IS NULL THEN 'no reply' ELSE coalesce(rcode_name, 'RCODE' || rcode) END";
const QUERY_FAILED = '(rcode IS NULL OR rcode != 0)';

/** The processes as SQL read them back (procInfosOfModel replaced it). */
function readProcesses(db: Db, capture: CaptureInfo): ProcInfo[] {
  const t0 = capture.startNs;
  return (
    db
      .prepare(
        // a process the capture attached to is seen from then (its start_ns is its real start, earlier)
        `SELECT id, pid, parent_id, ppid, coalesce(attached_ns, start_ns) - :t0 AS start, end_ns - :t0 AS end, exit_code, signal,
                signal_name, core_dumped, state, is_root, exec_count
         FROM processes ORDER BY start_ns, pid, id`,
      )
      .raw(true)
      .all({ t0 }) as unknown[][]
  ).map(
    (r): ProcInfo => ({
      id: r[0] as number,
      pid: r[1] as number,
      parentId: r[2] as number | null,
      ppid: r[3] as number | null,
      start: r[4] as number,
      end: r[5] as number | null,
      exitCode: r[6] as number | null,
      signal: r[7] as number | null,
      signalName: r[8] as string | null,
      coreDumped: r[9] === 1,
      state: r[10] as ProcessState,
      isRoot: r[11] === 1,
      execCount: r[12] as number,
    }),
  );
}

/** The figures by the SQL the sections replaced. */
function bySql(db: Db, capture: CaptureInfo) {
  const t0 = capture.startNs;
  const end = capture.startNs + BigInt(capture.end);
  const q = <T>(sql: string, params: Record<string, unknown> = {}): T[] => db.prepare(sql).all(params) as T[];
  const one = <T>(sql: string, params: Record<string, unknown> = {}): T => db.prepare(sql).pluck().get(params) as T;
  const images = `WITH images AS (
      SELECT x.exe,
             coalesce(lead(x.time_ns) OVER (PARTITION BY x.process_id ORDER BY x.seq), p.end_ns, :end) - x.time_ns AS dur,
             (x.seq = p.exec_count - 1 AND ${FAILED}) AS failed
      FROM execs x JOIN processes p ON p.id = x.process_id)`;
  const commands = (order: string) =>
    q(
      `${images} SELECT exe, count(*) AS count, total(dur) AS totalNs, max(dur) AS maxNs, sum(failed) AS failed
       FROM images GROUP BY exe ORDER BY ${order}, exe LIMIT ${TOP}`,
      { end },
    );
  const processes = (rows: { processId: number; startNs: number; durationNs: number; argv: string | null }[]) =>
    rows.map((r) => ({ ...r, argv: r.argv === null ? [] : (JSON.parse(r.argv) as string[]) }));
  const examples = <T>(sql: string, params: Record<string, unknown>) => q<T>(sql, params);
  const netTotals = db
    .prepare(
      `SELECT count(*) AS connections, coalesce(sum(role = 'client'), 0) AS client, coalesce(sum(role = 'server'), 0) AS server,
              coalesce(sum(state = 'failed'), 0) AS failed, coalesce(sum(state = 'open-at-end'), 0) AS openAtEnd,
              coalesce(sum(open_at_stop = 1), 0) AS openAtStop,
              total(bytes_sent) AS bytesSent, total(bytes_received) AS bytesReceived,
              coalesce(sum(retransmits), 0) AS retransmits, coalesce(sum(retransmits > 0), 0) AS connectionsWithRetransmits
       FROM connections`,
    )
    .get();
  const latencies = (sql: string) => db.prepare(sql).pluck().all() as number[];
  const namespaces = (col: string) => one<number>(`SELECT count(DISTINCT ${col}) FROM processes`);
  const containerRows = q(
    `SELECT container_runtime AS runtime, container_id AS id,
            (SELECT q.cgroup FROM processes q WHERE q.container_id IS p.container_id AND q.cgroup IS NOT NULL ORDER BY q.id LIMIT 1) AS cgroup,
            count(*) AS processes, sum(${FAILED}) AS failed, sum(attached IS NOT NULL) AS attached
     FROM processes p WHERE cgroup_id IS NOT NULL OR pid_ns IS NOT NULL
     GROUP BY container_runtime, container_id ORDER BY processes DESC, id IS NULL, id, runtime`,
  );
  return {
    overview: {
      execs: one<number>('SELECT count(*) FROM execs WHERE NOT attached'),
      threads: one<number>('SELECT coalesce(sum(threads - 1), 0) FROM processes'),
    },
    topByCount: commands('count DESC, totalNs DESC'),
    topByTime: commands('totalNs DESC, count DESC'),
    failures: q(`SELECT p.id FROM processes p WHERE ${FAILED} ORDER BY p.start_ns, p.pid, p.id`).map(
      (r) => (r as { id: number }).id,
    ),
    slowest: processes(
      q(`${PROCESS_SELECT} ORDER BY durationNs DESC, p.start_ns, p.pid LIMIT ${TOP}`, { t0, end }) as never,
    ),
    cpu: {
      totals: db
        .prepare(
          `SELECT count(*) AS n, total(${CPU}) AS cpu, total(r.utime_ns) AS u, total(r.stime_ns) AS s FROM resources r`,
        )
        .get(),
      top: q(`${USAGE_SELECT} WHERE ${CPU} > 0 ORDER BY cpuNs DESC, p.start_ns, p.pid LIMIT ${TOP}`).map((r) => {
        const { maxRssKib: _m, majorFaults: _f, ...cpu } = r as Record<string, number>;
        return cpu;
      }),
      commands: q(
        `SELECT x.exe, count(*) AS processes, total(${CPU}) AS cpuNs
         FROM resources r JOIN processes p ON p.id = r.process_id
         JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1
         GROUP BY x.exe HAVING cpuNs > 0 ORDER BY cpuNs DESC, x.exe LIMIT ${TOP}`,
      ),
    },
    memory: q(`${USAGE_SELECT} WHERE r.maxrss_kb > 0 ORDER BY maxRssKib DESC, p.start_ns, p.pid LIMIT ${TOP}`).map(
      (r) => {
        const { processId, maxRssKib, majorFaults } = r as Record<string, number>;
        return { processId, maxRssKib, majorFaults };
      },
    ),
    histograms: q(
      `SELECT kind, count(*) AS processes, sum(count) AS count, sum(total_ns) AS totalNs, max(max_ns) AS maxNs
       FROM histograms GROUP BY kind ORDER BY kind`,
    ),
    network: {
      ...(netTotals as object),
      byPeer: q<Record<string, unknown>>(
        `SELECT role, CASE WHEN role = 'server' THEN NULL ELSE peer_name END AS peerName,
                CASE WHEN role = 'server' OR peer_name IS NULL THEN remote_address ELSE peer_name END AS k,
                min(remote_address) AS remoteAddress, count(DISTINCT remote_address) AS addresses,
                CASE WHEN role = 'server' THEN NULL ELSE remote_port END AS remotePort,
                CASE WHEN role = 'server' THEN local_port ELSE NULL END AS localPort,
                count(*) AS count, sum(state = 'failed') AS failed, sum(state = 'open-at-end') AS openAtEnd,
                count(DISTINCT process_id) AS processes, total(bytes_sent) AS bytesSent,
                total(bytes_received) AS bytesReceived, coalesce(sum(retransmits), 0) AS retransmits
         FROM connections GROUP BY role, peerName, k, remotePort, localPort
         ORDER BY count DESC, failed DESC, k, remotePort, localPort, role, peerName LIMIT ${TOP}`,
      ).map(({ k: _k, ...r }) => r),
      failedByErrno: q<{ errno: string; count: number }>(
        `SELECT ${CONNECT_FAILURE} AS errno, count(*) AS count FROM connections WHERE state = 'failed' GROUP BY 1 ORDER BY count DESC, errno`,
      ).map((r) => ({
        ...r,
        examples: examples<{ p: string }>(
          `SELECT remote_address || ':' || remote_port AS p, count(*) AS n FROM connections
           WHERE state = 'failed' AND ${CONNECT_FAILURE} = :e GROUP BY 1 ORDER BY n DESC, p LIMIT 3`,
          { e: r.errno },
        ).map((x) => x.p),
      })),
      connectLatency: latencies(
        "SELECT connect_latency_ns FROM connections WHERE role = 'client' AND connect_latency_ns IS NOT NULL ORDER BY 1",
      ),
    },
    dns: {
      latency: latencies('SELECT latency_ns FROM dns_lookups ORDER BY 1'),
      failed: one<number>('SELECT count(*) FROM dns_lookups WHERE result != 0'),
      names: one<number>('SELECT count(DISTINCT name) FROM dns_lookups'),
      byName: q(
        `SELECT name, count(*) AS count, sum(result != 0) AS failed, max(latency_ns) AS maxLatencyNs
         FROM dns_lookups GROUP BY name ORDER BY count DESC, failed DESC, name LIMIT ${TOP}`,
      ),
      failedByResult: q<{ error: string; count: number }>(
        `SELECT ${DNS_ERROR} AS error, count(*) AS count FROM dns_lookups WHERE result != 0 GROUP BY 1 ORDER BY count DESC, error`,
      ).map((r) => ({
        ...r,
        examples: examples<{ name: string }>(
          `SELECT name, count(*) AS n FROM dns_lookups WHERE result != 0 AND ${DNS_ERROR} = :e GROUP BY 1 ORDER BY n DESC, name LIMIT 3`,
          { e: r.error },
        ).map((x) => x.name),
      })),
      // Each name's errors in the order of its rows (the rows by id, as the index on name gives them).
      unresolved: q(
        `SELECT name, count(*) AS failed, group_concat(DISTINCT ${DNS_ERROR}) AS error
         FROM (SELECT * FROM dns_lookups ORDER BY name, id)
         GROUP BY name HAVING sum(result = 0) = 0 ORDER BY failed DESC, name LIMIT ${TOP}`,
      ),
    },
    wire: {
      queries: one<number>('SELECT count(*) FROM dns_queries'),
      answered: one<number>('SELECT count(*) FROM dns_queries WHERE rcode = 0'),
      failed: one<number>(`SELECT count(*) FROM dns_queries WHERE ${QUERY_FAILED}`),
      failedByOutcome: q<{ outcome: string; count: number }>(
        `SELECT ${OUTCOME} AS outcome, count(*) AS count FROM dns_queries WHERE ${QUERY_FAILED} GROUP BY 1 ORDER BY count DESC, outcome`,
      ).map((r) => ({
        ...r,
        examples: examples<{ name: string }>(
          `SELECT name, count(*) AS n FROM dns_queries WHERE ${QUERY_FAILED} AND ${OUTCOME} = :o GROUP BY 1 ORDER BY n DESC, name LIMIT 3`,
          { o: r.outcome },
        ).map((x) => x.name),
      })),
      latency: latencies('SELECT latency_ns FROM dns_queries WHERE latency_ns IS NOT NULL ORDER BY 1'),
      servers: q(
        `SELECT server_address AS server, server_port AS port, count(*) AS queries, sum(${QUERY_FAILED}) AS failed, max(latency_ns) AS maxLatencyNs
         FROM dns_queries GROUP BY 1, 2 ORDER BY queries DESC, server, port LIMIT ${TOP}`,
      ),
      unresolved: q<{ name: string; failed: number; outcome: string }>(
        `SELECT name, count(*) AS failed, group_concat(DISTINCT ${OUTCOME}) AS outcome
         FROM (SELECT * FROM dns_queries ORDER BY name, id)
         GROUP BY name HAVING NOT max(coalesce(rcode = 0, 0)) ORDER BY failed DESC, name LIMIT ${TOP}`,
      ).map((u) => ({ ...u, outcome: u.outcome.replaceAll(',', ', ') })),
      truncated: one<number>('SELECT count(*) FROM dns_queries WHERE truncated = 1'),
      malformed: one<number>('SELECT count(*) FROM dns_queries WHERE parse_error IS NOT NULL'),
    },
    containers: {
      recorded: one<number>('SELECT count(*) FROM processes WHERE cgroup_id IS NOT NULL OR pid_ns IS NOT NULL') > 0,
      containers: containerRows,
      cgroups: namespaces('cgroup_id'),
      namespaces: {
        pid: namespaces('pid_ns'),
        mnt: namespaces('mnt_ns'),
        net: namespaces('net_ns'),
        uts: namespaces('uts_ns'),
      },
    },
    truncation: db
      .prepare(
        `SELECT sum(argv_truncated) AS argv, sum(env_truncated) AS env,
                sum(exe_truncated OR filename_truncated OR cwd_truncated) AS paths FROM execs`,
      )
      .get(),
    losses: q('SELECT category_name AS name, max(count) AS n FROM losses GROUP BY category ORDER BY category'),
    failedExecs: q(`SELECT f.path, f.errno_name AS errno, count(*) AS count,
            sum(NOT EXISTS (SELECT 1 FROM execs x WHERE x.process_id = f.process_id AND x.time_ns >= f.time_ns)) AS final
         FROM exec_failures f GROUP BY f.path, f.errno_name ORDER BY final DESC, count DESC, f.path, f.errno_name`),
    searchMisses: one<number>(`SELECT count(*) FROM exec_failures f
         WHERE ${baseName('f.path')} = (SELECT ${baseName('x.filename')} FROM execs x
           WHERE x.process_id = f.process_id AND x.time_ns >= f.time_ns ORDER BY x.time_ns, x.seq LIMIT 1)`),
    attempts: one<number>('SELECT count(*) FROM exec_failures'),
    names: q<{ id: number; a0: string | null; exe: string | null }>(
      `SELECT p.id, json_extract(x.argv_json, '$[0]') AS a0, x.exe
       FROM processes p LEFT JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1`,
    ).map(({ id, a0, exe }) => [id, a0 !== null || exe !== null ? basename(a0 || exe || '?') : null]),
    argv0: q<{ exe: string; a0: string | null }>(
      `SELECT exe, json_extract(argv_json, '$[0]') AS a0, count(*) AS n FROM execs GROUP BY exe, a0 ORDER BY exe, n DESC, a0`,
    ).reduce((m, { exe, a0 }) => (m.has(exe) || a0 === null ? m : m.set(exe, basename(a0))), new Map<string, string>()),
    criticalPathExecs: q<PathExec>('SELECT id, process_id AS processId, seq, time_ns - :t0 AS time FROM execs', { t0 }),
  };
}

/** The same figures, read from the report the sections made of the model. */
function byModel(r: StatsReport, model: Model, capture: CaptureInfo) {
  const ctx = statsContext(model, capture, procInfosOfModel(model.processes, capture));
  const command = ({ exe, count, totalNs, maxNs, failed }: StatsReport['topByCount'][number]) => ({
    exe,
    count,
    totalNs,
    maxNs,
    failed,
  });
  const process = ({ processId, startNs, durationNs, argv }: StatsReport['slowest'][number]) => ({
    processId,
    startNs,
    durationNs,
    argv,
  });
  const { recorded: _n, byPeer, connectLatency: _l, ...network } = r.network;
  const { recorded: _w, latency: _wl, ...wire } = r.dns.wire;
  return {
    overview: { execs: r.overview.execs, threads: r.overview.threads },
    topByCount: r.topByCount.map(command),
    topByTime: r.topByTime.map(command),
    failures: r.failures.map((f) => f.processId),
    slowest: r.slowest.map(process),
    cpu: {
      totals: { n: r.cpu.processesWithUsage, cpu: r.cpu.totalNs, u: r.cpu.userNs, s: r.cpu.systemNs },
      top: r.cpu.topProcesses.map(({ processId, cpuNs, userNs, systemNs }) => ({ processId, cpuNs, userNs, systemNs })),
      commands: r.cpu.topCommands.map(({ exe, processes, cpuNs }) => ({ exe, processes, cpuNs })),
    },
    memory: r.memory.top.map(({ processId, maxRssKib, majorFaults }) => ({ processId, maxRssKib, majorFaults })),
    histograms: [...r.histograms]
      .sort((a, b) => Buffer.compare(Buffer.from(a.kind), Buffer.from(b.kind)))
      .map(({ kind, processes, count, totalNs, maxNs }) => ({ kind, processes, count, totalNs, maxNs })),
    network: {
      ...network,
      byPeer: byPeer.map(({ peer: _p, ...p }) => p),
      failedByErrno: r.network.failedByErrno,
      connectLatency: r.network.connectLatency,
    },
    dns: {
      latency: r.dns.latency,
      failed: r.dns.failed,
      names: r.dns.names,
      byName: r.dns.byName,
      failedByResult: r.dns.failedByResult,
      unresolved: r.dns.unresolved,
    },
    wire: { ...wire, latency: r.dns.wire.latency },
    containers: r.containers,
    truncation: execTruncation(model.execs),
    losses: lossByCategory(model.losses),
    failedExecs: r.failedExecs,
    searchMisses: r.overview.failedExecSearchMisses,
    attempts: r.overview.failedExecs,
    // An image name, or none for a process that never exec'd (nameOf then names its parent).
    names: model.processes.map((p) => [p.id, ctx.lastExec(p.id) === undefined ? null : ctx.nameOf(p.id)]),
    argv0: new Map([...ctx.argv0].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))),
    criticalPathExecs: null,
  };
}

/** Compares a model's report with the SQL of its database; returns what differed (deepEqual's message). */
function compare(t: import('ava').ExecutionContext, model: Model, label: string): void {
  const capture = captureInfo(model);
  const db = buildDatabase(model);
  try {
    const expected = bySql(db, capture);
    const report = computeStats(model, capture);
    const actual = byModel(report, model, capture);
    // Latency lists become summaries in the report: summarize the SQL's lists the same way.
    const summary = (sorted: number[]) => {
      const rank = (p: number) => (sorted.length === 0 ? null : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!);
      return { count: sorted.length, p50Ns: rank(0.5), p95Ns: rank(0.95), maxNs: sorted.at(-1) ?? null };
    };
    const { criticalPathExecs, ...rest } = expected;
    t.deepEqual(
      actual,
      {
        ...rest,
        network: { ...rest.network, connectLatency: summary(rest.network.connectLatency) },
        dns: { ...rest.dns, latency: summary(rest.dns.latency) },
        wire: { ...rest.wire, latency: summary(rest.wire.latency) },
        criticalPathExecs: null,
      } as never,
      label,
    );
    const processes = procInfosOfModel(model.processes, capture);
    t.deepEqual(processes, readProcesses(db, capture), `${label}: processes`);
    t.deepEqual(
      criticalPathOfContext(statsContext(model, capture, processes)),
      criticalPathOfTimes({ end: capture.end, processes, execs: criticalPathExecs }),
      `${label}: critical path`,
    );
  } finally {
    db.close();
  }
}

/** Failed execs of every kind (PATH-search misses, finals, at the time of the exec, trailing slashes), commands and argv[0]s that tie. */
function execScenario(): Synth {
  const s = new Synth({ rootPid: 500 });
  const sh = s.root(['sh'], { at: 1, cwd: '/w' });
  let at = 2;
  for (let k = 0; k < 4; k++) {
    const p = s.fork(sh, at++);
    s.execFailed(p, '/usr/local/bin/gcc-12', 2, at++);
    s.execFailed(p, '/usr/bin/gcc-12/', 20, at++);
    s.execFailed(p, k % 2 === 0 ? '/x/\u{1F600}' : '/x/\uE000', 13, at);
    s.exec(p, [k < 2 ? 'cc' : 'gcc', '-c', `f${k}.c`], { at: at++, exe: '/usr/bin/gcc-12' });
    if (k === 3) s.exec(p, ['other'], { at: at++ });
    s.exit(p, at++, { code: k === 1 ? 1 : 0 });
  }
  for (const a0 of ['\uE000', '\u{1F600}']) {
    const p = s.fork(sh, at++);
    s.exec(p, [a0], { at: at++, exe: '/usr/bin/tool' });
    s.execFailed(p, '/usr/local/bin/late', 2, at++);
    s.exit(p, at++);
  }
  const q = s.fork(sh, at++);
  s.execFailed(q, '/nope/x', 2, at++);
  s.execFailed(q, '/nope/x', 13, at++);
  s.exec(q, [], { at: at++, exe: '/usr/bin/noargs' });
  s.exit(q, at++);
  const r = s.fork(sh, at++);
  s.execFailed(r, 'x', 2, at++);
  s.exit(r, at++, { signal: 9 });
  s.exit(sh, at++);
  return s;
}

const model = (buf: Buffer): Model => modelOfCapture(readCaptureBuffer(buf));

test('the sections tallied from the model: the SQL figures on the samples and the scenario captures', (t) => {
  for (const { name, buf } of fuzzBases()) compare(t, model(buf), name);
  compare(t, model(dnsScenario().buffer()), 'dns scenario');
  compare(t, model(execScenario().buffer()), 'exec scenario');
  const exec = model(execScenario().buffer());
  const report = computeStats(exec, captureInfo(exec));
  t.true(report.overview.failedExecSearchMisses > 0);
  t.true(report.failedExecs.some((s) => s.final > 0));
});

test('the sections tallied from the model: the SQL figures on random captures full of ties', (t) => {
  let connections = 0;
  let queries = 0;
  let containers = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const m = model(randomScenario(seed).buffer());
    connections += m.connections.length;
    queries += m.dnsQueries.length;
    containers += new Set(m.processes.map((p) => p.containerId)).size;
    compare(t, m, `seed ${seed}`);
  }
  t.true(connections > 100 && queries > 50 && containers > 40, 'the scenarios hold every kind of row');
});

test('the sections tallied from the model: the SQL figures on fuzz mutants (forged values)', (t) => {
  let compared = 0;
  for (const { label, capture } of readMutants(
    [...fuzzBases(), { name: 'random', buf: randomScenario(7).buffer() }],
    20261206,
    150,
  )) {
    compare(t, modelOfCapture(capture), label);
    compared++;
  }
  t.true(compared > 100);
});
