// The replay commands run as the user runs them: `node bin/ptrace.js …` as a
// child process, stdout not a TTY. Golden files in test/golden/ pin the
// outputs; UPDATE_GOLDEN=1 rewrites them.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import test from 'ava';
import Database from 'better-sqlite3';
import {
  buildScenario,
  dnsScenario,
  dnsWireScenario,
  filesScenario,
  manyCompilesScenario,
  netScenario,
  Synth,
} from '../../testkit/synth.ts';
import { matchesGolden } from '../helpers/golden.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin/ptrace.js');

const work = mkdtempSync(join(tmpdir(), 'ptrace-analyze-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const buildBuf = buildScenario().buffer();
writeFileSync(join(work, 'build.raw'), buildBuf);
writeFileSync(join(work, 'many.raw'), manyCompilesScenario().buffer());
writeFileSync(join(work, 'files.raw'), filesScenario().buffer());
writeFileSync(join(work, 'net.raw'), netScenario().buffer());
writeFileSync(join(work, 'dns.raw'), dnsScenario().buffer());
writeFileSync(join(work, 'wire.raw'), dnsWireScenario().buffer());
writeFileSync(join(work, 'empty.raw'), new Synth({ rootPid: 7 }).buffer());
// Cut in the middle of a record, 40% in: no footer, a partial record.
writeFileSync(join(work, 'cut.raw'), buildBuf.subarray(0, Math.floor(buildBuf.length * 0.4) + 100));
writeFileSync(join(work, 'garbage.raw'), Buffer.from('this is not a capture file at all, just text\n'.repeat(20)));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in `cwd` (default: the temp dir, so paths print as given: build.raw). */
function ptrace(args: string[], cwd = work): Run {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '' },
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const cases: [string, string[], string?][] = [
  ['analyze-tree-build.txt', ['tree', 'build.raw']],
  ['analyze-tree-build-dedup.txt', ['tree', 'build.raw', '--dedup']],
  ['analyze-tree-build-dedup-env.txt', ['tree', 'build.raw', '--dedup', '--env']],
  ['analyze-tree-build-full.txt', ['tree', 'build.raw', '--full', '--failed']],
  ['analyze-tree-build.json', ['tree', 'build.raw', '--json']],
  ['analyze-tree-many-dedup.txt', ['tree', 'many.raw', '--dedup']],
  ['analyze-tree-many-dedup.json', ['tree', 'many.raw', '--dedup', '--json']],
  ['analyze-stats-build.txt', ['stats', 'build.raw']],
  ['analyze-stats-build.json', ['stats', 'build.raw', '--json']],
  ['analyze-stats-many.txt', ['stats', 'many.raw']],
  ['analyze-tree-empty.txt', ['tree', 'empty.raw']],
  // Format 1.1: opens, resource usage, histograms.
  ['analyze-tree-files.txt', ['tree', 'files.raw', '--files', '--resources']],
  ['analyze-tree-files-dedup.txt', ['tree', 'files.raw', '--files', '--resources', '--dedup']],
  ['analyze-tree-files-dedup.json', ['tree', 'files.raw', '--files', '--resources', '--dedup', '--json']],
  ['analyze-stats-files.txt', ['stats', 'files.raw']],
  ['analyze-stats-files.json', ['stats', 'files.raw', '--json']],
  // A format 1.0 capture: usage and opens "not recorded", never zeros.
  ['analyze-tree-format-1.0-resources.txt', ['tree', 'test/fixtures/format-1.0.raw', '--resources', '--files'], root],
  // The same run captured with format 1.1: opens and usage recorded.
  [
    'analyze-tree-sample-failing-pipeline-resources.txt',
    ['tree', 'samples/failing-pipeline.raw', '--resources', '--files', '--dedup'],
    root,
  ],
  ['analyze-stats-empty.txt', ['stats', 'empty.raw']],
  // Format 1.2: TCP connections.
  ['analyze-tree-net.txt', ['tree', 'net.raw', '--net']],
  ['analyze-tree-net-dedup.txt', ['tree', 'net.raw', '--net', '--dedup']],
  ['analyze-tree-net-dedup.json', ['tree', 'net.raw', '--net', '--dedup', '--json']],
  ['analyze-stats-net.txt', ['stats', 'net.raw']],
  ['analyze-stats-net.json', ['stats', 'net.raw', '--json']],
  // Format 1.3: name lookups and peer names.
  ['analyze-tree-dns.txt', ['tree', 'dns.raw', '--net']],
  ['analyze-tree-dns-dedup.txt', ['tree', 'dns.raw', '--net', '--dedup']],
  ['analyze-tree-dns.json', ['tree', 'dns.raw', '--net', '--json']],
  ['analyze-tree-dns-dedup.json', ['tree', 'dns.raw', '--net', '--dedup', '--json']],
  ['analyze-stats-dns.txt', ['stats', 'dns.raw']],
  ['analyze-stats-dns.json', ['stats', 'dns.raw', '--json']],
  // Format 1.4: DNS messages on the wire.
  ['analyze-tree-wire.txt', ['tree', 'wire.raw', '--net']],
  ['analyze-tree-wire-dedup.txt', ['tree', 'wire.raw', '--net', '--dedup']],
  ['analyze-tree-wire.json', ['tree', 'wire.raw', '--net', '--json']],
  ['analyze-tree-wire-dedup.json', ['tree', 'wire.raw', '--net', '--dedup', '--json']],
  ['analyze-stats-wire.txt', ['stats', 'wire.raw']],
  ['analyze-stats-wire.json', ['stats', 'wire.raw', '--json']],
  // Real captures from samples/ (regenerated with samples/regenerate.ts).
  ['analyze-tree-sample-make-build-dedup.txt', ['tree', 'samples/make-build.raw', '--dedup'], root],
  ['analyze-tree-sample-failing-pipeline.txt', ['tree', 'samples/failing-pipeline.raw'], root],
  ['analyze-tree-sample-git-workflow-dedup-env.txt', ['tree', 'samples/git-workflow.raw', '--dedup', '--env'], root],
  ['analyze-stats-sample-failing-pipeline.txt', ['stats', 'samples/failing-pipeline.raw'], root],
  // samples/hostile.raw (samples/hostile.c): escapes, fake lines, bidi, C1, invalid UTF-8, a 300 KiB argv, a 300-level chain.
  ['sample-hostile-info.txt', ['info', 'samples/hostile.raw'], root],
  ['sample-hostile-tree.txt', ['tree', 'samples/hostile.raw'], root],
  ['sample-hostile-tree-env-files-net.txt', ['tree', 'samples/hostile.raw', '--env', '--files', '--net'], root],
  ['sample-hostile-tree.json', ['tree', 'samples/hostile.raw', '--json'], root],
  ['sample-hostile-stats.txt', ['stats', 'samples/hostile.raw'], root],
  ['sample-hostile-stats.json', ['stats', 'samples/hostile.raw', '--json'], root],
];

for (const [name, args, cwd] of cases) {
  test(`golden: ptrace ${args.join(' ')}`, (t) => {
    const r = ptrace(args, cwd);
    t.is(r.stderr, '');
    t.is(r.code, 0);
    t.false(r.stdout.includes('\x1b'), 'no ANSI when stdout is not a TTY');
    matchesGolden(t, name, r.stdout);
  });
}

test('determinism: two runs give identical bytes', (t) => {
  const args = ['tree', 'build.raw', '--dedup', '--env', '--json'];
  t.is(ptrace(args).stdout, ptrace(args).stdout);
  t.is(ptrace(['stats', 'many.raw']).stdout, ptrace(['stats', 'many.raw']).stdout);
});

test('a truncated file replays as far as it goes, with one-line warnings', (t) => {
  for (const cmd of [
    ['tree', 'cut.raw'],
    ['stats', 'cut.raw'],
    ['tree', 'cut.raw', '--dedup', '--json'],
  ]) {
    const r = ptrace(cmd);
    t.is(r.code, 0, cmd.join(' '));
    const warnings = r.stderr.trimEnd().split('\n');
    t.true(warnings.length >= 1);
    for (const w of warnings) t.regex(w, /^ptrace: warning: /);
    t.true(r.stderr.includes('no footer'));
    t.true(r.stdout.includes('make -j4 all') || r.stdout.includes('"argvPattern"') || r.stdout.includes('"make"'));
  }
  const stats = ptrace(['stats', 'cut.raw']).stdout;
  t.true(stats.includes('the file has no footer'));
  t.true(stats.includes('without an exit record'));
});

test("unreadable input: the reader's error as one line, non-zero exit", (t) => {
  for (const cmd of ['tree', 'stats', 'db', 'export']) {
    const extra = cmd === 'db' ? ['-o', 'x.sqlite'] : cmd === 'export' ? ['--format', 'jsonl'] : [];
    for (const file of ['garbage.raw', 'missing.raw']) {
      const r = ptrace([cmd, file, ...extra]);
      t.not(r.code, 0, `${cmd} ${file}`);
      t.is(r.stdout, '');
      t.regex(r.stderr, /^ptrace: [^\n]+\n$/, `${cmd} ${file}: ${r.stderr}`);
    }
  }
  t.false(existsSync(join(work, 'x.sqlite')));
});

test('bad flags: one-line error, non-zero exit, nothing written', (t) => {
  const bad: string[][] = [
    ['tree', 'build.raw', '--match', '(unclosed'],
    ['tree', 'build.raw', '--min-duration', '10'],
    ['tree', 'build.raw', '--min-duration', 'soon'],
    ['tree', 'build.raw', '--depth', '-1'],
    ['tree', 'build.raw', '--pid', 'abc'],
    ['db', 'build.raw'],
    ['export', 'build.raw', '--format', 'arrow'],
    ['export', 'build.raw', '--format', 'csv', '-o', 'x.csv'],
    ['tree'],
  ];
  for (const args of bad) {
    const r = ptrace(args);
    t.not(r.code, 0, args.join(' '));
    t.is(r.stdout, '', args.join(' '));
    t.regex(r.stderr, /^ptrace: [^\n]+\n$/, `${args.join(' ')}: ${r.stderr}`);
  }
  t.deepEqual(
    readdirSync(work).filter((f) => !f.endsWith('.raw')),
    [],
  );
});

test('db: output exists → error without --force, file untouched; --force replaces it atomically', (t) => {
  const out = join(work, 'exists.sqlite');
  writeFileSync(out, 'precious');
  const r = ptrace(['db', 'build.raw', '-o', out]);
  t.not(r.code, 0);
  t.regex(r.stderr, /^ptrace: .*exists.*--force/);
  t.is(readFileSync(out, 'utf8'), 'precious');
  const f = ptrace(['db', 'build.raw', '-o', out, '--force']);
  t.is(f.code, 0, f.stderr);
  t.is(readFileSync(out).subarray(0, 15).toString(), 'SQLite format 3');
  t.deepEqual(
    readdirSync(work).filter((n) => n.includes('.tmp')),
    [],
  );
  rmSync(out);
});

test('db: the written file answers SQL (better-sqlite3)', (t) => {
  const out = join(work, 'q.sqlite');
  const r = ptrace(['db', 'build.raw', '-o', out]);
  t.is(r.code, 0, r.stderr);
  const db = new Database(out, { readonly: true });
  try {
    t.is(db.prepare('SELECT version FROM schema_version').pluck().get(), 7);
    t.is(db.prepare('SELECT count(*) FROM processes').pluck().get(), 44);
    t.is(db.prepare("SELECT value FROM meta WHERE key = 'capture.root_pid'").pluck().get(), 4000);
    t.deepEqual(
      db
        .prepare(
          "SELECT pid, exit_code FROM processes WHERE state = 'exited' AND (exit_code != 0 OR signal IS NOT NULL) ORDER BY pid",
        )
        .raw()
        .all(),
      [
        [4000, 2],
        [4007, 1],
        [4008, 1],
        [4040, 127],
        [4041, null],
      ],
    );
    t.is(db.prepare('SELECT signal_name FROM processes WHERE core_dumped = 1').pluck().get(), 'SIGSEGV');
    t.is(db.prepare('SELECT count(*) FROM processes WHERE still_running = 1').pluck().get(), 1);
    // Parent links: every cc1 is the child of a cc.
    t.is(
      db
        .prepare(`SELECT count(*) FROM execs c JOIN processes p ON p.id = c.process_id JOIN execs pc ON pc.process_id = p.parent_id
                  WHERE json_extract(c.argv_json, '$[0]') LIKE '%/cc1' AND json_extract(pc.argv_json, '$[0]') = 'cc'`)
        .pluck()
        .get(),
      12,
    );
    // Two images in one process, in order.
    t.deepEqual(
      db
        .prepare(
          "SELECT seq, exe FROM execs WHERE process_id = (SELECT process_id FROM execs WHERE exe = '/usr/bin/bash') ORDER BY seq",
        )
        .raw()
        .all(),
      [
        [0, '/bin/sh'],
        [1, '/usr/bin/bash'],
      ],
    );
    // argv: exact bytes and JSON.
    const x = db.prepare('SELECT argv, argv_json, argv_truncated FROM execs WHERE argv_json LIKE \'["ar"%\'').get() as {
      argv: Buffer;
      argv_json: string;
      argv_truncated: number;
    };
    t.is(x.argv.toString('latin1').split('\0')[2], 'libapp.a');
    t.is(JSON.parse(x.argv_json).length, 15);
    t.is(x.argv_truncated, 1);
    // Failed execs and losses.
    t.is(db.prepare("SELECT count(*) FROM exec_failures WHERE errno_name = 'ENOENT'").pluck().get(), 26);
    t.is(db.prepare('SELECT sum(count) FROM losses').pluck().get(), 2);
    // Environments: stored compactly, the view gives the full set.
    const env = db
      .prepare(
        `SELECT name, value FROM exec_env WHERE exec_id = (SELECT id FROM execs WHERE exe = '/src/app/dev-server') ORDER BY name`,
      )
      .raw()
      .all();
    t.deepEqual(
      env.map((r) => (r as string[])[0]),
      [
        'API_TOKEN',
        'CI',
        'DATABASE_URL',
        'GIT_AUTHOR_NAME',
        'HOME',
        'LANG',
        'MAKEFLAGS',
        'PATH',
        'PORT',
        'SESSION_SECRET',
      ],
    );
    const stored = db.prepare('SELECT count(*) FROM env_vars').pluck().get() as number;
    const full = db.prepare('SELECT count(*) FROM exec_env').pluck().get() as number;
    t.true(stored * 5 < full, `${stored} stored vs ${full} resolved`);
    t.is(
      db
        .prepare(
          'SELECT value FROM exec_env WHERE name = \'COLLECT_GCC_OPTIONS\' AND exec_id = (SELECT id FROM execs WHERE argv_json LIKE \'%as","--64","-o","main.o%\')',
        )
        .pluck()
        .get(),
      "'-O2' '-c' '-o' 'main.o'",
    );
    // Summary view.
    t.is(db.prepare('SELECT exe FROM process_summary WHERE pid = 4041').pluck().get(), '/src/app/unit-tests');
  } finally {
    db.close();
  }
});

test('db: opens in the stock sqlite3 shell when there is one', (t) => {
  const out = join(work, 'shell.sqlite');
  t.is(ptrace(['db', 'many.raw', '-o', out]).code, 0);
  const r = spawnSync('sqlite3', [out, 'SELECT count(*) FROM processes; SELECT count(*) FROM env_full;'], {
    encoding: 'utf8',
  });
  if (r.error) {
    t.pass('no sqlite3 shell here');
    return;
  }
  t.is(r.stdout, '599\n2\n');
});

test('export: Arrow IPC file with typed columns and nested execs', (t) => {
  const out = join(work, 'run.arrow');
  const r = ptrace(['export', 'build.raw', '--format', 'arrow', '-o', out]);
  t.is(r.code, 0, r.stderr);
  const table = tableFromIPC(readFileSync(out));
  t.is(table.numRows, 44);
  const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
  t.like(types, {
    pid: 'Int32',
    start: 'Timestamp<NANOSECOND, UTC>',
    end: 'Timestamp<NANOSECOND, UTC>',
    duration_ns: 'Int64',
    start_boot_ns: 'Int64',
    core_dumped: 'Bool',
  });
  t.regex(types.execs!, /^List<Struct<\{seq:Int32, time:Timestamp<NANOSECOND, UTC>, exe:Utf8, .*argv:List<Utf8>/);
  const first = table.get(0)!.toJSON();
  t.is(first.pid, 4000);
  // ns precision survives: raw Int64 values.
  const startCol = table.getChild('start')!;
  t.is((startCol.data[0]!.values as BigInt64Array)[0], 1_750_000_000_000_000_000n + 1_000_000n); // the root starts at its exec, not at its fork by the capture
  const execs = table.getChild('execs')!.get(0)!;
  t.deepEqual([...execs.get(0)!.argv], ['make', '-j4', 'all']);
  t.is(ptrace(['export', 'build.raw', '--format', 'arrow', '-o', out]).code, 2, 'exists without --force');
  t.is(ptrace(['export', 'build.raw', '--format', 'arrow', '-o', out, '--force']).code, 0);
  t.true(statSync(out).size > 1000);
});

test('export: JSON lines on stdout, a header line, then one process per line', (t) => {
  const r = ptrace(['export', 'build.raw', '--format', 'jsonl']);
  t.is(r.code, 0, r.stderr);
  const [header, ...lines] = r.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.deepEqual(header, {
    ptrace_export: 4,
    complete: true,
    lost_records: 2,
    losses: { exec: 2 },
    warnings: [
      { code: 'records-lost', message: '2 records lost (exec 2): execs may be incomplete; counts are lower bounds' },
    ],
  });
  t.is(lines.length, 44);
  t.like(lines[0], {
    pid: 4000,
    exit_code: 2,
    is_root: true,
    start_ns: '1750000000001000000',
    start_time: '2025-06-15T15:06:40.001000000Z',
  });
  const crash = lines.find((l) => l.signal_name === 'SIGSEGV');
  t.like(crash, { core_dumped: true, exit_code: null, threads: 3 });
  const missing = lines.find((l) => l.exit_code === 127);
  t.is(missing.execs.length, 0);
  t.is(missing.exec_failures.length, 3);
  t.is(ptrace(['export', 'build.raw', '--format', 'jsonl', '-o', '-']).stdout, r.stdout);
});

test('export: connections, lookups and DNS queries nested per process, in Arrow and JSON lines', (t) => {
  const out = join(work, 'wire.arrow');
  t.is(ptrace(['export', 'wire.raw', '--format', 'arrow', '-o', out]).code, 0);
  const table = tableFromIPC(readFileSync(out));
  t.is(table.schema.metadata.get('ptrace.export.version'), '4');
  t.is(table.schema.metadata.get('ptrace.capture.complete'), 'true');
  t.is(table.schema.metadata.get('ptrace.capture.lost_records'), '0');
  t.is(table.schema.metadata.get('ptrace.capture.losses'), '{}');
  t.is(table.schema.metadata.get('ptrace.capture.warnings'), '[]');
  const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
  t.regex(
    types.connections!,
    /^List<Struct<\{role:Utf8, family:Int32, .*peer_name:Utf8, start:Timestamp<NANOSECOND, UTC>, .*bytes_sent:Int64/,
  );
  t.regex(
    types.dns_queries!,
    /^List<Struct<\{time:Timestamp<NANOSECOND, UTC>, server_address:Utf8, .*rcode:Int32, .*answers:List<Utf8>/,
  );
  t.regex(types.dns_lookups!, /answers:List<Utf8>/);
  const fetcher = 1; // row of ./fetcher
  const conn = table.getChild('connections')!.get(fetcher)!.get(0)!;
  t.like(conn.toJSON(), {
    remote_address: '10.1.2.3',
    remote_port: 443,
    peer_name: 'api.example.com',
    state: 'established',
    bytes_received: 4000n,
  });
  const queries = table.getChild('dns_queries')!.get(fetcher)!;
  t.is(queries.length, 7);
  t.deepEqual([...queries.get(0)!.answers], ['10.1.2.3']);
  t.is(queries.get(3)!.rcode, null, 'the unanswered query');

  const lines = ptrace(['export', 'dns.raw', '--format', 'jsonl'])
    .stdout.trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l));
  const curl = lines.find((l) => l.execs[0]?.argv[0] === 'curl');
  const failed = curl.dns_lookups.find((l: { name: string }) => l.name === 'foo.invalid');
  t.like(failed, { result: -2, result_name: 'EAI_NONAME', latency_ns: 4_000_000, answers: [] });
  t.regex(failed.time, /^2025-06-15T15:06:40\.\d{9}Z$/);
  t.like(curl.connections[0], {
    role: 'client',
    remote_address: '10.1.2.3',
    peer_name: 'api.example.com',
    connect_latency_ns: 12_000_000,
    bytes_sent: 1024,
  });
});
