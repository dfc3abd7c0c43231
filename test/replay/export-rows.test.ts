// `export` builds its rows from the model; the SQL that read them back from
// the database of the same model is kept here as the ground truth: the same
// processes in the same order, each with the same nested rows, every value
// of the same type. Compared on the samples, the scenario captures, random
// captures and fuzz mutants.

import test from 'ava';
import { buildDatabase, type Db } from '../../analyze/db/database.ts';
import {
  type ExportConnection,
  type ExportDnsQuery,
  type ExportExec,
  type ExportExecFailure,
  type ExportLookup,
  type ExportProcess,
  exportRows,
} from '../../analyze/export/export.ts';
import { modelOfCapture } from '../../analyze/replay/load.ts';
import type { Model } from '../../analyze/replay/model.ts';
import { splitStrings } from '../../formats/nul-area.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { dnsScenario } from '../../testkit/synth.ts';
import { fuzzBases, readMutants } from '../helpers/mutants.ts';
import { randomScenario } from '../helpers/random-capture.ts';

const num = (v: unknown): number => Number(v as bigint);
const numOrNull = (v: unknown): number | null => (v === null ? null : Number(v as bigint));

/** Rows of `sql` (process_id first, then what `row` reads from index 1) grouped by process id, in query order. */
function byProcess<T>(db: Db, sql: string, row: (r: unknown[]) => T): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of db.prepare(sql).safeIntegers(true).raw(true).all() as unknown[][]) {
    const id = num(r[0]);
    let list = out.get(id);
    if (list === undefined) out.set(id, (list = []));
    list.push(row(r));
  }
  return out;
}

const bigOrNull = (v: unknown): bigint | null => (v === null ? null : (v as bigint));

/** Export rows, in (start, pid) order. */
function readExportRows(db: Db): ExportProcess[] {
  const execs = byProcess(
    db,
    `SELECT process_id, seq, time_ns, exe, filename, interp, cwd, argv, argv_truncated, env_truncated,
            uid, gid, euid, egid, comm, attached
     FROM execs ORDER BY process_id, seq`,
    (r): ExportExec => ({
      seq: num(r[1]),
      time_ns: r[2] as bigint,
      exe: r[3] as string,
      filename: r[4] as string,
      interp: r[5] as string | null,
      cwd: r[6] as string,
      argv: splitStrings(r[7] as Buffer).map((a) => a.toString('utf8')),
      argv_truncated: r[8] === 1n,
      env_truncated: r[9] === 1n,
      uid: r[10] as bigint,
      gid: r[11] as bigint,
      euid: r[12] as bigint,
      egid: r[13] as bigint,
      comm: r[14] as string,
      attached: r[15] === 1n,
    }),
  );
  const failures = byProcess(
    db,
    'SELECT process_id, time_ns, path, errno, errno_name FROM exec_failures ORDER BY process_id, time_ns, id',
    (r): ExportExecFailure => ({
      time_ns: r[1] as bigint,
      path: r[2] as string,
      errno: num(r[3]),
      errno_name: r[4] as string,
    }),
  );
  const connections = byProcess(
    db,
    `SELECT process_id, role, family, local_address, local_port, remote_address, remote_port, peer_name, start_ns, end_ns,
            connect_latency_ns, state, errno, errno_name, bytes_sent, bytes_received, retransmits, abandoned, open_at_stop,
            tcp_state_at_stop
     FROM connections ORDER BY process_id, start_ns, id`,
    (r): ExportConnection => ({
      role: r[1] as string,
      family: num(r[2]),
      local_address: r[3] as string,
      local_port: num(r[4]),
      remote_address: r[5] as string,
      remote_port: num(r[6]),
      peer_name: r[7] as string | null,
      start_ns: r[8] as bigint,
      end_ns: bigOrNull(r[9]),
      connect_latency_ns: bigOrNull(r[10]),
      state: r[11] as string,
      errno: numOrNull(r[12]),
      errno_name: r[13] as string | null,
      bytes_sent: bigOrNull(r[14]),
      bytes_received: bigOrNull(r[15]),
      retransmits: numOrNull(r[16]),
      abandoned: num(r[17]) === 1,
      open_at_stop: numOrNull(r[18]),
      tcp_state_at_stop: r[19] as string | null,
    }),
  );
  const lookups = byProcess(
    db,
    'SELECT process_id, time_ns, name, result, result_name, latency_ns, answers FROM dns_lookups ORDER BY process_id, time_ns, id',
    (r): ExportLookup => ({
      time_ns: r[1] as bigint,
      name: r[2] as string,
      result: num(r[3]),
      result_name: r[4] as string | null,
      latency_ns: r[5] as bigint,
      answers: (JSON.parse(r[6] as string) as { address: string }[]).map((a) => a.address),
    }),
  );
  const queries = byProcess(
    db,
    `SELECT process_id, time_ns, server_address, server_port, name, type, rcode, rcode_name, latency_ns, answers
     FROM dns_queries ORDER BY process_id, time_ns, id`,
    (r): ExportDnsQuery => ({
      time_ns: r[1] as bigint,
      server_address: r[2] as string,
      server_port: num(r[3]),
      name: r[4] as string,
      type: r[5] as string,
      rcode: numOrNull(r[6]),
      rcode_name: r[7] as string | null,
      latency_ns: bigOrNull(r[8]),
      answers: JSON.parse(r[9] as string) as string[],
    }),
  );
  return (
    db
      .prepare(
        `SELECT p.id, p.pid, p.ppid, p.parent_id, p.parent_pid, p.start_boot_ns, p.start_ns, p.end_ns,
                p.exit_code, p.signal, p.signal_name, p.core_dumped, p.state, p.is_root, p.threads,
                p.attached, p.attached_ns, p.cgroup, p.container_id, p.container_runtime,
                p.pid_ns, p.mnt_ns, p.net_ns, p.uts_ns
         FROM processes p ORDER BY p.start_ns, p.pid, p.id`,
      )
      .safeIntegers(true)
      .raw(true)
      .all() as unknown[][]
  ).map((r): ExportProcess => {
    const id = num(r[0]);
    const start = r[6] as bigint;
    const end = r[7] as bigint | null;
    return {
      process_id: id,
      pid: num(r[1]),
      ppid: numOrNull(r[2]),
      parent_process_id: numOrNull(r[3]),
      parent_pid: numOrNull(r[4]),
      start_boot_ns: r[5] as bigint,
      start_ns: start,
      end_ns: end,
      duration_ns: end === null ? null : end - start,
      exit_code: numOrNull(r[8]),
      signal: numOrNull(r[9]),
      signal_name: r[10] as string | null,
      core_dumped: r[11] === 1n,
      state: r[12] as string,
      is_root: r[13] === 1n,
      threads: num(r[14]),
      attached: r[15] as string | null,
      attached_ns: bigOrNull(r[16]),
      cgroup: r[17] as string | null,
      container_id: r[18] as string | null,
      container_runtime: r[19] as string | null,
      pid_ns: bigOrNull(r[20]),
      mnt_ns: bigOrNull(r[21]),
      net_ns: bigOrNull(r[22]),
      uts_ns: bigOrNull(r[23]),
      execs: execs.get(id) ?? [],
      exec_failures: failures.get(id) ?? [],
      connections: connections.get(id) ?? [],
      dns_lookups: lookups.get(id) ?? [],
      dns_queries: queries.get(id) ?? [],
    };
  });
}

const model = (buf: Buffer): Model => modelOfCapture(readCaptureBuffer(buf));

function compare(t: import('ava').ExecutionContext, m: Model, label: string): void {
  const db = buildDatabase(m);
  try {
    t.deepEqual(exportRows(m), readExportRows(db), label);
  } finally {
    db.close();
  }
}

test('export rows from the model: the rows SQL read back, on the samples, the scenarios and random captures', (t) => {
  for (const { name, buf } of fuzzBases()) compare(t, model(buf), name);
  compare(t, model(dnsScenario().buffer()), 'dns scenario');
  let nested = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const m = model(randomScenario(seed).buffer());
    nested += m.connections.length + m.dnsQueries.length + m.execFailures.length;
    compare(t, m, `seed ${seed}`);
  }
  t.true(nested > 200, 'the random captures hold nested rows of every kind');
});

test('export rows from the model: the rows SQL read back, on fuzz mutants (forged values)', (t) => {
  let compared = 0;
  for (const { label, capture } of readMutants(fuzzBases(), 61206, 150)) {
    compare(t, modelOfCapture(capture), label);
    compared++;
  }
  t.true(compared > 100);
});
