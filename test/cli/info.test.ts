// `ptrace info` through the real CLI, on files written by testkit/writer.ts.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { VERSION_MINOR } from '../../formats/layout.ts';
import type { InfoReport } from '../../formats/summary.ts';
import { writeCapture } from '../../testkit/writer.ts';
import { exit, hist, key, loss, open, SAMPLE_HEADER, sampleEvents, T0 } from '../helpers/capture.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'bin', 'ptrace.js');
const dir = mkdtempSync(join(tmpdir(), 'ptrace-info-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const START = { realtime: 1_750_000_000_123_456_789n, boottime: T0, monotonic: T0 - 100n };

function file(name: string, content: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ptrace(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const events = [...sampleEvents(), loss(T0 + 9_500n, 0, 3n)];
const OPTIONS = { files: true, io: true, sched: true };
const good = file(
  'good.raw',
  writeCapture({ ...SAMPLE_HEADER, start: START, options: OPTIONS }, events, { footer: { rootStatus: 2 << 8 } }),
);

/** `key: value` lines → map. */
function fields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.trimEnd().split('\n')) {
    const i = line.indexOf(':');
    m.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return m;
}

test('text report', async (t) => {
  const r = await ptrace('info', 'good.raw');
  t.is(r.stderr, '');
  t.is(r.code, 0);
  const f = fields(r.stdout);
  t.is(f.get('file'), 'good.raw');
  t.is(f.get('format'), '1.6 (little endian, 256-byte records, 408-byte header)');
  t.is(f.get('ptrace version'), '0.1.0');
  t.is(f.get('capture command'), 'ptrace-capture -o run.raw -- make -j4');
  t.is(f.get('traced command'), 'make -j4');
  t.is(f.get('root pid'), '100 (capture pid 99)');
  t.is(f.get('hostname'), 'buildbox');
  t.is(f.get('kernel release'), '6.8.0-45-generic');
  t.is(f.get('kernel version'), '#45-Ubuntu SMP PREEMPT_DYNAMIC');
  t.is(f.get('machine'), 'x86_64');
  t.is(f.get('os'), 'Ubuntu 24.04.1 LTS');
  t.is(f.get('boot id'), '0b7c4a52-3f1e-4c8e-9d2a-6b1f0e5c7d11');
  t.is(f.get('options'), 'env, failed execs, files, io, sched');
  t.is(f.get('args limit'), '256 KiB (argv, and env, per exec)');
  t.is(f.get('ring buffer'), '16 MiB');
  t.is(f.get('traceparent'), SAMPLE_HEADER.traceparent!);
  t.is(f.get('start'), '2025-06-15T15:06:40.123456Z');
  t.is(f.get('stop'), '2025-06-15T15:06:40.123466Z');
  t.is(f.get('duration'), '0.000009 s');
  t.is(
    f.get('records'),
    '35 (fork 2, thread 1, exec 3, exec_failed 1, exit 2, data 18, open 2, hist 2, loss 2, running 1, footer 1)',
  );
  t.is(f.get('losses'), '5 (exec 2, process 3)');
  t.is(f.get('processes'), '3');
  t.is(f.get('execs'), '3');
  t.is(f.get('failed execs'), '1');
  t.is(f.get('exits'), '2');
  t.is(f.get('still running'), '1');
  t.is(f.get('opens'), '2 (failed 1: ENOENT 1)');
  t.is(
    f.get('read latency'),
    '8 in 1 process, total 9.00 s, mean 1.13 s, median 1.02 µs–2.05 µs, p99 2.15 s–4.29 s, max 4.00 s',
  );
  t.is(
    f.get('off-CPU time'),
    '4294967295 in 1 process, total 9007199 s, mean 2.10 ms, median 1.05 ms–2.10 ms, p99 1.05 ms–2.10 ms, max 3.00 ms',
  );
  t.false(f.has('histograms'), 'one line per histogram kind instead');
  t.is(f.get('root status'), 'exit code 2');
  t.is(f.get('end'), 'complete: footer after 34 records; waited for all processes');
  t.is(f.get('warnings'), 'none');
  // Values line up.
  const columns = new Set(
    r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.search(/(?<=:\s+)\S/)),
  );
  t.is(columns.size, 1);
});

test('--json report', async (t) => {
  const r = await ptrace('info', good, '--json');
  t.is(r.stderr, '');
  t.is(r.code, 0);
  const j = JSON.parse(r.stdout) as InfoReport;
  t.deepEqual(j.format, { version: '1.6', major: 1, minor: 6, byteOrder: 'little', headerSize: 408, recordSize: 256 });
  t.deepEqual(j.capture, {
    ptraceVersion: '0.1.0',
    captureArgv: SAMPLE_HEADER.captureArgv!,
    commandArgv: ['make', '-j4'],
    rootPid: 100,
    capturePid: 99,
    options: {
      env: true,
      failedExecs: true,
      keepRoot: false,
      files: true,
      io: true,
      sched: true,
      net: false,
      dns: false,
      dnsMessages: false,
      raw: '59',
    },
    argsLimit: 262144,
    ringbufSize: 16777216,
    traceparent: SAMPLE_HEADER.traceparent!,
  });
  t.is(j.host.hostname, 'buildbox');
  t.deepEqual(j.time, {
    start: '2025-06-15T15:06:40.123456Z',
    startNs: '1750000000123456789',
    stop: '2025-06-15T15:06:40.123466Z',
    stopNs: '1750000000123466289',
    stopSource: 'footer',
    durationNs: '9500',
    durationSeconds: 0.000009,
  });
  t.is(j.records.total, 35);
  t.is(j.records.byType.data, 18);
  t.is(j.records.byType.open, 2);
  t.is(j.records.byType.hist, 2);
  t.deepEqual(j.losses, { total: 5, byCategory: { exec: 2, process: 3 } });
  t.is(j.processes, 3);
  t.is(j.execs, 3);
  t.is(j.failedExecs, 1);
  t.is(j.exits, 2);
  t.is(j.stillRunning, 1);
  t.is(j.opens, 2);
  t.is(j.failedOpens, 1);
  t.deepEqual(j.openErrors, { ENOENT: 1 });
  const buckets = (b: Record<number, number>): number[] => Array.from({ length: 32 }, (_, i) => b[i] ?? 0);
  t.deepEqual(j.histograms, {
    read: {
      processes: 1,
      count: 8,
      totalNs: '9000000000',
      maxNs: '4000000000',
      buckets: buckets({ 0: 1, 10: 5, 31: 2 }),
    },
    offcpu: {
      processes: 1,
      count: 4294967295,
      totalNs: '9007199254740991',
      maxNs: '3000000',
      buckets: buckets({ 20: 4294967295 }),
    },
  });
  t.deepEqual(Object.keys(j.histograms), ['read', 'offcpu']);
  t.deepEqual(j.root, { pid: 100, status: 512, exitCode: 2, signal: null, coreDumped: false });
  t.deepEqual(j.end, {
    clean: true,
    state: 'complete',
    completeRecords: 35,
    footer: { records: 34, lost: 5, processes: 3, stillRunning: 1, signalled: false, waitedAll: true },
    writeStop: null,
  });
  t.deepEqual(j.warnings, []);
  t.deepEqual(j.unknownTlvs, []);
});

test('a truncated file: warnings on stderr, report on stdout, exit 0', async (t) => {
  const whole = writeCapture({ ...SAMPLE_HEADER, start: START, options: OPTIONS }, events, {
    footer: null,
    littleEndian: false,
  });
  const p = file('cut.raw', whole.subarray(0, whole.length - 40));
  const r = await ptrace('info', p);
  t.is(r.code, 0);
  t.deepEqual(r.stderr.split('\n'), [
    'ptrace: warning: the last record is cut short: 216 bytes, expected 256 (ignored)',
    'ptrace: warning: no footer: the capture did not finish (crash, SIGKILL or full disk); read 33 complete records',
    '',
  ]);
  const f = fields(r.stdout);
  t.is(f.get('format'), '1.6 (big endian, 256-byte records, 408-byte header)');
  t.is(f.get('end'), 'truncated: no footer; 33 complete records recovered');
  t.is(f.get('stop'), '2025-06-15T15:06:40.123465Z (last record; no footer)');
  t.is(f.get('root status'), 'unknown (no footer)');
  t.is(f.get('warnings'), '2 (on stderr)');

  const j = await ptrace('info', '--json', p);
  t.is(j.stderr, '', 'with --json the warnings are in the JSON');
  const report = JSON.parse(j.stdout) as InfoReport;
  t.deepEqual(
    report.warnings.map((w) => w.code),
    ['partial-record', 'no-footer'],
  );
  t.is(report.end.state, 'truncated');
  t.false(report.end.clean);
  t.is(report.end.footer, null);
  t.is(report.time.stopSource, 'last-record');
  t.is(report.root.status, null);
});

test('garbage after the footer and a newer minor version are read with warnings', async (t) => {
  const minor = VERSION_MINOR + 1;
  const future = writeCapture(
    { versionMinor: minor, ptraceVersion: '9.1.0', unknownTlvs: [{ tag: 42, value: Buffer.from('abc') }] },
    [loss(T0, 1, 1n)],
  );
  const p = file('future.raw', Buffer.concat([future, Buffer.from('junk')]));
  const r = await ptrace('info', p);
  t.is(r.code, 0);
  t.is(
    r.stderr,
    `ptrace: warning: format version 1.${minor} (written by ptrace 9.1.0) is newer than this ptrace's 1.${VERSION_MINOR}: what it added is skipped; a newer ptrace shows everything\n` +
      'ptrace: warning: 4 bytes of garbage after the footer (ignored)\n',
  );
  const f = fields(r.stdout);
  t.is(f.get('format'), `1.${minor} (little endian, 256-byte records, 112-byte header)`);
  t.is(f.get('unknown TLV'), 'tag 42, 3 bytes');
  t.is(f.get('capture command'), '(not recorded)');
});

test('histograms of several processes are summed per kind; failed opens are counted by errno', async (t) => {
  const a = key(10, T0);
  const b = key(11, T0);
  const p = file(
    'sum.raw',
    writeCapture({ options: { files: true, io: true } }, [
      open({ ts: T0 + 1n, process: a, path: '/x', result: -2 }),
      open({ ts: T0 + 2n, process: a, path: '/y', result: -13 }),
      open({ ts: T0 + 3n, process: b, path: '/z', result: -2 }),
      open({ ts: T0 + 4n, process: b, path: '/w', result: 5 }),
      exit(T0 + 5n, a, 0),
      hist(T0 + 6n, a, 'write', { 3: 2, 4: 1 }, { totalNs: 40n, maxNs: 20n }),
      hist(T0 + 6n, a, 'fsync', { 20: 1 }, { totalNs: 1_500_000n, maxNs: 1_500_000n }),
      exit(T0 + 7n, b, 0),
      hist(T0 + 8n, b, 'write', { 4: 1, 9: 1 }, { totalNs: 1_000n, maxNs: 900n }),
      hist(T0 + 8n, b, 'kind7', { 1: 1 }),
      hist(T0 + 8n, b, 'read', {}, { count: 0n }),
    ]),
  );
  const j = JSON.parse((await ptrace('info', p, '--json')).stdout) as InfoReport;
  t.deepEqual([j.opens, j.failedOpens, j.openErrors], [4, 3, { ENOENT: 2, EACCES: 1 }]);
  t.deepEqual(Object.keys(j.openErrors), ['ENOENT', 'EACCES'], 'most frequent first');
  t.deepEqual(Object.keys(j.histograms), ['read', 'write', 'fsync', 'kind7']);
  const w = j.histograms.write!;
  t.deepEqual([w.processes, w.count, w.totalNs, w.maxNs], [2, 5, '1040', '900']);
  t.deepEqual(w.buckets.slice(0, 10), [0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
  const f = fields((await ptrace('info', p)).stdout);
  t.is(f.get('opens'), '4 (failed 3: ENOENT 2, EACCES 1)');
  t.is(f.get('options'), 'env, failed execs, files, io');
  t.is(f.get('read latency'), '0 in 1 process');
  t.is(
    f.get('write latency'),
    '5 in 2 processes, total 1.04 µs, mean 208 ns, median 16 ns–32 ns, p99 512 ns–1.02 µs, max 900 ns',
  );
  t.is(
    f.get('fsync latency'),
    '1 in 1 process, total 1.50 ms, mean 1.50 ms, median 1.05 ms–2.10 ms, p99 1.05 ms–2.10 ms, max 1.50 ms',
  );
  t.is(f.get('kind7 histogram'), '1 in 1 process, total 0 ns, mean 0 ns, median 2 ns–4 ns, p99 2 ns–4 ns, max 0 ns');
});

test('what was not recorded says so: a 1.0 file, a 1.1 file without opens or histograms', async (t) => {
  const old = await ptrace('info', join(root, 'test', 'fixtures', 'format-1.0.raw'));
  t.is(old.stderr, '');
  const f = fields(old.stdout);
  t.is(f.get('format'), '1.0 (little endian, 256-byte records, 432-byte header)');
  t.is(f.get('options'), 'env, failed execs, keep root');
  t.is(f.get('opens'), 'not recorded (format 1.0)');
  t.is(f.get('histograms'), 'not recorded (format 1.0)');
  const j = JSON.parse(
    (await ptrace('info', '--json', join(root, 'test', 'fixtures', 'format-1.0.raw'))).stdout,
  ) as InfoReport;
  t.deepEqual([j.opens, j.failedOpens, j.openErrors, j.histograms], [0, 0, {}, {}]);
  t.deepEqual(j.capture.options, {
    env: true,
    failedExecs: true,
    keepRoot: true,
    files: false,
    io: false,
    sched: false,
    net: false,
    dns: false,
    dnsMessages: false,
    raw: '7',
  });

  const bare = fields(
    (await ptrace('info', file('bare.raw', writeCapture({}, [exit(T0 + 1n, key(5, T0), 0)])))).stdout,
  );
  t.is(bare.get('options'), 'env, failed execs, no files');
  t.is(bare.get('opens'), 'not recorded (--no-files)');
  t.is(bare.get('histograms'), 'not recorded (no --io or --sched)');
  const asked = fields(
    (await ptrace('info', file('asked.raw', writeCapture({ options: { files: true, sched: true } }, [])))).stdout,
  );
  t.is(asked.get('opens'), '0');
  t.is(asked.get('histograms'), 'none');
});

const badCases: [string, () => string, RegExp, number][] = [
  [
    'a missing file',
    () => join(dir, 'missing.raw'),
    /^ptrace: cannot read .*missing\.raw: no such file \(ENOENT\)$/,
    2,
  ],
  ['a directory', () => dir, /^ptrace: cannot read .*: is a directory \(EISDIR\)$/, 2],
  [
    'an empty file',
    () => file('empty.raw', Buffer.alloc(0)),
    /^ptrace: .*empty\.raw: truncated header: 0 bytes, expected at least 72$/,
    3,
  ],
  [
    'wrong magic',
    () => file('text.raw', Buffer.from('#!/bin/sh\necho not a capture\n')),
    /^ptrace: .*text\.raw: not a ptrace raw file: magic is "#!\/bin\/s" \(23212f62696e2f73\), expected "PTRACE\\r\\n"$/,
    3,
  ],
  [
    'a newer major version',
    () => file('v2.raw', writeCapture({ versionMajor: 2, versionMinor: 1 }, [])),
    /^ptrace: .*v2\.raw: format version 2\.1 is newer than this ptrace reads \(1\.x\): install a newer ptrace, e.g. npm install -g ptrace@latest$/,
    3,
  ],
  [
    'a record size mismatch',
    () => file('rs.raw', writeCapture({ recordSize: 512 }, [])),
    /^ptrace: .*rs\.raw: event size mismatch: header says 512 bytes per record, format 1 has 256$/,
    3,
  ],
  [
    'a truncated header',
    () => file('th.raw', writeCapture(SAMPLE_HEADER, []).subarray(0, 200)),
    /^ptrace: .*th\.raw: truncated header: 200 bytes, expected at least 408 \(header_size\)$/,
    3,
  ],
];

for (const [name, make, message, code] of badCases) {
  for (const json of [false, true]) {
    test(`${name}${json ? ' (--json)' : ''}: one line on stderr, exit ${code}`, async (t) => {
      const r = await ptrace('info', make(), ...(json ? ['--json'] : []));
      t.is(r.code, code);
      t.is(r.stdout, '');
      const lines = r.stderr.split('\n');
      t.is(lines.length, 2, r.stderr);
      t.is(lines[1], '');
      t.regex(lines[0]!, message);
    });
  }
}

test('no file argument: one line, non-zero', async (t) => {
  const r = await ptrace('info');
  t.not(r.code, 0);
  t.is(r.stdout, '');
  t.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, /^ptrace: .*file/);
});

test('processes are distinct identities: a repeated fork record counts once', async (t) => {
  const make = key(100, T0 + 10n);
  const child = key(101, T0 + 20n);
  const f = { kind: 'fork', ts: T0 + 20n, process: make, tid: 100, child, childPpid: 100 } as const;
  const p = file('dup.raw', writeCapture({}, [f, f, { ...f, child: key(101, T0 + 30n) }]));
  const r = await ptrace('info', p, '--json');
  t.is((JSON.parse(r.stdout) as InfoReport).processes, 3);
});
