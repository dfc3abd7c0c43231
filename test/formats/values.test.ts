// u64 fields out of range (a flipped bit makes them up to 2^64-1): the reader
// clamps them with a warning naming the record and the field, and every
// command goes on (SQLite binds int64 only; JS numbers are exact to 2^53).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import Database from 'better-sqlite3';
import { FILE_HEADER, HEAD, RT } from '../../formats/layout.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import type { CaptureEvent } from '../../formats/types.ts';
import { MAX_AMOUNT, MAX_ANCHOR, MAX_TIME_OFFSET } from '../../formats/values.ts';
import { Synth } from '../../testkit/synth.ts';
import { everyRecordType } from '../helpers/mutants.ts';
import { u64Fields } from '../helpers/u64-fields.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'ptrace-values-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const base = everyRecordType();
const startBoot = base.readBigUInt64LE(FILE_HEADER.start + 8);

/** `base` with `value` in `field` of the first record of its type. */
function withValue(type: number, off: number, value: bigint): Buffer {
  const m = Buffer.from(base);
  for (let rec = m.readUInt32LE(FILE_HEADER.header_size); rec + 256 <= m.length; rec += 256) {
    if (m.readUInt16LE(rec + HEAD.type) === type) {
      m.writeBigUInt64LE(value, rec + off);
      return m;
    }
  }
  throw new Error(`no record of type ${type}`);
}

/** Every bigint in the events and footer, by path. */
function bigints(x: unknown, path: string, out: [string, bigint][]): [string, bigint][] {
  if (typeof x === 'bigint') out.push([path, x]);
  else if (x !== null && typeof x === 'object' && !Buffer.isBuffer(x))
    for (const [k, v] of Object.entries(x)) bigints(v, `${path}.${k}`, out);
  return out;
}

const inRange = (path: string, v: bigint): boolean =>
  /\.(ts|start|startTs|childStart|parentStart|boottime)$/.test(path) || /\.(child|parent|process)\.start$/.test(path)
    ? v === 0n || (v >= startBoot - MAX_TIME_OFFSET && v <= startBoot + MAX_TIME_OFFSET)
    : /\.(realtime|monotonic)$/.test(path)
      ? v <= MAX_ANCHOR
      : v <= MAX_AMOUNT;

for (const value of [2n ** 53n, 2n ** 63n, 2n ** 64n - 1n]) {
  test(`${value} in each u64 field of each record type: a warning naming record and field, the value clamped`, (t) => {
    // A data chunk's u64s (head, owner_ts) only match it to its owner record; they are never kept.
    const fields = u64Fields().filter((f) => f.type !== RT.DATA);
    t.true(fields.length >= 30);
    for (const f of fields) {
      const c = readCaptureBuffer(withValue(f.type, f.off, value), 'm.raw');
      const w = c.warnings.filter((x) => x.code === 'value-out-of-range');
      const label = `${f.typeName}.${f.field}`;
      // Wall clock values (not boot clock) are kept up to 2^62.
      const wall = f.field === 'stop.realtime' || f.field === 'stop.monotonic';
      if (!t.is(w.length, wall && value <= MAX_ANCHOR ? 0 : 1, label) || w.length === 0) continue;
      t.regex(
        w[0]!.message,
        new RegExp(
          `^record \\d+ \\(${f.typeName}, pid \\d+\\): ${f.field.replace('.', '\\.')} ${value} is out of range`,
        ),
        label,
      );
      for (const [path, v] of bigints({ events: c.events as CaptureEvent[], footer: c.footer }, '', [])) {
        if (!inRange(path, v)) t.fail(`${label}: ${path} = ${v} after reading`);
      }
    }
  });
}

test('header anchors over 2^62 are clamped with a warning', (t) => {
  const m = Buffer.from(base);
  m.writeBigUInt64LE(2n ** 64n - 1n, FILE_HEADER.start); // realtime
  const c = readCaptureBuffer(m, 'm.raw');
  t.is(c.header.start.realtime, MAX_ANCHOR);
  t.deepEqual(
    c.warnings.map((w) => w.message),
    [`header: start.realtime ${2n ** 64n - 1n} is out of range (over 2^62): clamped to ${MAX_ANCHOR}`],
  );
});

test('ten warnings one by one, then a count', (t) => {
  const m = Buffer.from(base);
  for (let rec = m.readUInt32LE(FILE_HEADER.header_size); rec + 256 <= m.length; rec += 256)
    m.writeBigUInt64LE(2n ** 63n, rec + HEAD.ts);
  const w = readCaptureBuffer(m, 'm.raw').warnings.filter((x) => x.code === 'value-out-of-range');
  t.is(w.length, 11);
  t.regex(w[10]!.message, /^\d+ more values out of range \(clamped\)$/);
});

test('stats, db, export and otel go on past u64 values over 2^63 (were: RangeError, exit 1)', (t) => {
  let m = withValue(RT.EXIT, 56, 2n ** 63n + 1n); // rusage.utime_ns
  m = Buffer.from(m);
  const file = join(work, 'big.raw');
  writeFileSync(file, m);
  const runs: string[][] = [
    ['stats', file],
    ['stats', '--json', file],
    ['db', file, '-o', join(work, 'big.sqlite')],
    ['export', file, '--format', 'jsonl', '-o', join(work, 'big.jsonl')],
    ['export', file, '--format', 'arrow', '-o', join(work, 'big.arrow')],
    ['otel', file, '--dump-otel', join(work, 'big.json')],
    ['tree', '--resources', file],
  ];
  for (const argv of runs) {
    const r = spawnSync(process.execPath, [join(root, 'bin/ptrace.js'), ...argv], { encoding: 'utf8' });
    t.is(r.status, 0, `${argv[0]}: ${r.stderr}`);
    t.regex(
      r.stderr,
      /^ptrace: warning: record \d+ \(exit, pid \d+\): rusage\.utime_ns 9223372036854775809 is out of range \(over 2\^53-1\): clamped to 9007199254740991$/m,
    );
  }
  const db = new Database(join(work, 'big.sqlite'), { readonly: true });
  t.is(db.prepare('SELECT max(utime_ns) FROM resources').safeIntegers(true).pluck().get(), MAX_AMOUNT);
  db.close();
  t.true(readFileSync(join(work, 'big.jsonl'), 'utf8').split('\n').length > 3);
});

test('stats ends on a timestamp 2^56 ns away (was: an endless timeline loop)', (t) => {
  const file = join(work, 'far.raw');
  writeFileSync(file, withValue(RT.EXIT, HEAD.ts, 2n ** 56n));
  const r = spawnSync(process.execPath, [join(root, 'bin/ptrace.js'), 'stats', file], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  t.is(r.signal, null, 'not killed by the time limit');
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /head\.ts 72057594037927936 is out of range \(more than 2\^52 ns from the capture start\)/);
});

test('header options with bit 63 set: db stores the 64 bits as a signed integer (was: RangeError)', (t) => {
  const m = Buffer.from(base);
  m.writeBigUInt64LE(2n ** 64n - 1n, FILE_HEADER.options);
  const file = join(work, 'options.raw');
  writeFileSync(file, m);
  const out = join(work, 'options.sqlite');
  const r = spawnSync(process.execPath, [join(root, 'bin/ptrace.js'), 'db', file, '-o', out], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const db = new Database(out, { readonly: true });
  t.is(db.prepare("SELECT value FROM meta WHERE key = 'capture.options.raw'").safeIntegers(true).pluck().get(), -1n);
  db.close();
});

test('stats adds up 1,100 CPU times and byte counts of 2^53-1 each (was: SQLite integer overflow)', (t) => {
  const s = new Synth({ rootPid: 100, header: { options: { net: true } } });
  const sh = s.root(['sh'], { at: 1 });
  const max = 2n ** 53n - 1n;
  for (let i = 0; i < 1100; i++) {
    const p = s.run(sh, ['cc', `f${i}.c`], 2 + i, 1, { rusage: { utimeNs: max, stimeNs: max, runtimeNs: max } });
    s.tcp(p, 2.5 + i, { remote: '10.0.0.1', remotePort: 80, latencyMs: 0.1, close: 2.6 + i, sent: max, received: max });
  }
  s.exit(sh, 2000);
  const file = join(work, 'sums.raw');
  writeFileSync(file, s.buffer());
  const r = spawnSync(process.execPath, [join(root, 'bin/ptrace.js'), 'stats', '--json', file], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { cpu: { totalNs: number } };
  t.true(report.cpu.totalNs > 1100 * 2 ** 52, String(report.cpu.totalNs));
});
