// Mutated raw files must give a Capture (maybe with warnings) or a
// FormatError — never another exception, never a hang. Deterministic: the
// mutants come from a seeded PRNG, and a failure names the seed and mutant.
// The reader is fuzzed in-process; every replay command is fuzzed through
// test/helpers/fuzz-runner.ts: in workers (the command classes, via oclif's
// run) for the bulk, as `node bin/ptrace.js` for a few mutants. Long runs:
// bench/fuzz.ts.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { FormatError } from '../../formats/errors.ts';
import { DATA, FILE_HEADER, RECORD_SIZE, RT } from '../../formats/layout.ts';
import { readCaptureBuffer, readCaptureStream } from '../../formats/reader.ts';
import type { CaptureEvent } from '../../formats/types.ts';
import { writeCapture } from '../../testkit/writer.ts';
import { exec, exit, fork, hist, key, open, SAMPLE_HEADER, sampleEvents, someRusage, T0 } from '../helpers/capture.ts';
import { argvFor, judge, spawnCli, WorkerPool } from '../helpers/fuzz-runner.ts';
import {
  COMMANDS,
  everyRecordType,
  fuzzBases,
  type Mutation,
  mutant,
  MUTATIONS as SHARED_MUTATIONS,
} from '../helpers/mutants.ts';
import { prng } from '../helpers/prng.ts';
import { u64Fields } from '../helpers/u64-fields.ts';

const SEED = 0x5eed_2024;
const MUTANTS = 3000;
/** Per file; generous for a machine under load, tiny next to a hang. */
const MAX_MS_PER_FILE = 2000;

function bases(): Buffer[] {
  const env = Array.from({ length: 40 }, (_, i) => `VAR${i}=${'x'.repeat(i * 3)}`);
  const big: CaptureEvent[] = [...sampleEvents()];
  for (let i = 0; i < 6; i++) {
    const p = key(500 + i, T0 + BigInt(i));
    big.push(fork(T0 + 10_000n + BigInt(i * 10), key(100, T0 + 10n), p));
    big.push(exec({ ts: T0 + 10_001n + BigInt(i * 10), process: p, argv: ['cc', '-c', `f${i}.c`, ''], env }));
    big.push(
      open({
        ts: T0 + 10_002n + BigInt(i * 10),
        process: p,
        path: `/usr/include/${'sub/'.repeat(i * 20)}h${i}.h`,
        result: i % 2 ? 3 : -2,
      }),
    );
    big.push(exit(T0 + 10_003n + BigInt(i * 10), p, i << 8, 'cc', p.pid, someRusage()));
    big.push(hist(T0 + 10_004n + BigInt(i * 10), p, 'read', { [i]: i + 1 }));
  }
  return [
    writeCapture(SAMPLE_HEADER, sampleEvents(), { littleEndian: true }),
    writeCapture(SAMPLE_HEADER, sampleEvents(), { littleEndian: false }),
    writeCapture({}, big, { littleEndian: true }),
    writeCapture({ ...SAMPLE_HEADER, versionMinor: 3, unknownTlvs: [{ tag: 99, value: Buffer.from('x') }] }, big, {
      littleEndian: false,
    }),
    writeCapture({}, sampleEvents(), { footer: null }),
    readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'format-1.0.raw')),
  ];
}

const int = (r: () => number, n: number): number => Math.floor(r() * n);

/** header_size of an unmutated base file, in its byte order. */
const headerSize = (b: Buffer): number =>
  b.readUInt32LE(FILE_HEADER.byte_order) === 0x1a2b3c4d
    ? b.readUInt32LE(FILE_HEADER.header_size)
    : b.readUInt32BE(FILE_HEADER.header_size);

/** The shared mutations (test/helpers/mutants.ts), plus two that only the reader's own harness needs. */
const MUTATIONS: readonly [string, Mutation][] = [
  ...SHARED_MUTATIONS,
  [
    'random bytes',
    (b, r) => {
      const m = Buffer.alloc(int(r, 4096));
      for (let i = 0; i < m.length; i++) m[i] = int(r, 256);
      // Half of them keep a valid start so they get past the magic.
      if (r() < 0.5) b.copy(m, 0, 0, Math.min(m.length, FILE_HEADER.header_size));
      return m;
    },
  ],
  [
    'record field',
    (b, r) => {
      const m = Buffer.from(b);
      const hs = headerSize(b);
      const n = Math.floor((m.length - hs) / RECORD_SIZE);
      if (n <= 0 || hs > m.length) return m;
      const rec = hs + int(r, n) * RECORD_SIZE;
      const fields = [0, 4, 8, 24, DATA.owner_ts, DATA.offset, DATA.len, DATA.kind, DATA.flags];
      const at = rec + fields[int(r, fields.length)]!;
      const values = [
        0,
        1,
        RT.DATA,
        RT.EXEC,
        RT.OPEN,
        RT.HIST,
        RT.FOOTER,
        19,
        255,
        209,
        0xffff,
        0xffffffff,
        int(r, 2 ** 32),
      ];
      m.writeUInt32LE(values[int(r, values.length)]! >>> 0, at);
      return m;
    },
  ],
];

type Outcome =
  | { kind: 'capture'; warnings: number; events: number }
  | { kind: 'format'; code: string }
  | { kind: 'bad'; error: unknown };

/** Runs one read and sorts the result; anything but a Capture or a FormatError is 'bad'. */
function classify(read: () => { warnings: unknown[]; events?: unknown[] }): Outcome {
  try {
    const c = read();
    if (!Array.isArray(c.warnings)) return { kind: 'bad', error: new Error('no warnings array') };
    return { kind: 'capture', warnings: c.warnings.length, events: c.events?.length ?? -1 };
  } catch (err) {
    if (err instanceof FormatError && !err.message.includes('\n')) return { kind: 'format', code: err.code };
    return { kind: 'bad', error: err };
  }
}

test('the harness itself notices a reader that throws something else', (t) => {
  t.is(
    classify(() => {
      throw new TypeError('x');
    }).kind,
    'bad',
  );
  t.is(
    classify(() => {
      throw new RangeError('Offset is outside the bounds of the DataView');
    }).kind,
    'bad',
  );
  t.is(
    classify(() => {
      throw new FormatError('x', 'a\nb');
    }).kind,
    'bad',
    'multi-line messages are bugs too',
  );
  t.is(
    classify(() => {
      throw new FormatError('x', 'y');
    }).kind,
    'format',
  );
});

test(`${MUTANTS} mutated files: a Capture or a FormatError, quickly`, (t) => {
  const all = bases();
  for (const b of all)
    t.deepEqual(
      readCaptureBuffer(b)
        .warnings.map((w) => w.code)
        .filter((c) => c !== 'no-footer'),
      [],
      'bases are clean',
    );
  const r = prng(SEED);
  const tally = { capture: 0, warned: 0, format: 0 };
  const byMutation = new Map<string, { capture: number; format: number }>();
  const codes = new Set<string>();
  let slowest = 0;
  for (let i = 0; i < MUTANTS; i++) {
    const base = all[int(r, all.length)]!;
    const [name, mutate] = MUTATIONS[int(r, MUTATIONS.length)]!;
    let m = mutate(base, r, all);
    if (r() < 0.15) m = MUTATIONS[int(r, MUTATIONS.length)]![1](m, r, all); // sometimes two at once
    const t0 = performance.now();
    const out = classify(() => readCaptureBuffer(m, `mutant-${i}.raw`));
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    if (out.kind === 'bad') {
      t.fail(
        `seed ${SEED}, mutant ${i} (${name}, ${m.length} bytes): ${out.error instanceof Error ? out.error.stack : String(out.error)}`,
      );
      return;
    }
    if (ms > MAX_MS_PER_FILE) t.fail(`seed ${SEED}, mutant ${i} (${name}) took ${ms.toFixed(0)} ms`);
    const s = byMutation.get(name) ?? { capture: 0, format: 0 };
    if (out.kind === 'capture') {
      tally.capture++;
      s.capture++;
      if (out.warnings > 0) tally.warned++;
    } else {
      tally.format++;
      s.format++;
      codes.add(out.code);
    }
    byMutation.set(name, s);
  }
  t.log(
    `captures ${tally.capture} (with warnings ${tally.warned}), format errors ${tally.format}, slowest ${slowest.toFixed(1)} ms`,
  );
  t.log(`error codes: ${[...codes].sort().join(', ')}`);
  // The mutants must actually exercise both outcomes, or this test proves nothing.
  t.true(tally.format > 100, 'some mutants are refused');
  t.true(tally.warned > 100, 'some mutants are read with warnings');
  t.true(tally.capture - tally.warned > 10, 'some mutants are harmless');
  for (const c of ['bad-magic', 'truncated-header', 'bad-header-size', 'record-size', 'version-too-new'])
    t.true(codes.has(c), `some mutant gives ${c}`);
  t.is(byMutation.size, MUTATIONS.length, 'every mutation ran');
});

test('the streaming reader agrees with the whole-file reader on mutants', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ptrace-fuzz-'));
  try {
    const all = bases();
    const r = prng(SEED + 1);
    const path = join(dir, 'm.raw');
    for (let i = 0; i < 300; i++) {
      const [name, mutate] = MUTATIONS[int(r, MUTATIONS.length)]!;
      const m = mutate(all[int(r, all.length)]!, r, all);
      writeFileSync(path, m);
      let whole: unknown;
      let streamed: unknown;
      try {
        const c = readCaptureBuffer(m, path);
        whole = c;
      } catch (err) {
        whole = err instanceof FormatError ? err.message : err;
      }
      try {
        const events: CaptureEvent[] = [];
        // One mutant in eight is read ahead on a worker thread (formats/prefetch.ts), the others directly.
        streamed = {
          ...readCaptureStream(path, (e) => events.push(e), { prefetchAbove: i % 8 === 0 ? 0 : Infinity }),
          events,
        };
      } catch (err) {
        streamed = err instanceof FormatError ? err.message : err;
      }
      if (!t.deepEqual(streamed, whole, `mutant ${i} (${name})`)) return;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- every command

/** Per request of one mutant (all commands); generous for a loaded machine, tiny next to a hang. */
const REQUEST_TIMEOUT_MS = 120_000;
const HEAP_MB = 1024;
const GIB_KB = 1024 * 1024;

test('the verdicts: exit 0 with warnings, or 2/3 with one ptrace: line; anything else is caught', (t) => {
  t.is(judge({ code: 0, stderr: 'ptrace: warning: x\nptrace: warning: y\n', crash: null }), null);
  t.is(judge({ code: 3, stderr: 'ptrace: warning: x\nptrace: bad magic\n', crash: null }), null);
  t.is(judge({ code: 1, stderr: '', crash: 'RangeError: x\n    at y' })?.verdict, 'crash');
  t.is(judge({ code: 1, stderr: '    RangeError: The bound string\n', crash: null })?.verdict, 'bad-output');
  t.is(judge({ code: 1, stderr: 'ptrace: x\n', crash: null })?.verdict, 'crash', 'exit 1 is not a refusal');
  t.is(judge({ code: 2, stderr: 'ptrace: a\nptrace: b\n', crash: null })?.verdict, 'bad-output', 'two error lines');
  t.is(judge({ code: 2, stderr: 'ptrace: cannot write x\n    Code: ENOSPC\n', crash: null })?.verdict, 'bad-output');
});

test.serial('mutants of every record type through every replay command: no crash, no hang, bounded RSS', async (t) => {
  const bases = fuzzBases();
  t.true(bases.length >= 6);
  const dir = mkdtempSync(join(tmpdir(), 'ptrace-fuzz-cli-'));
  const pool = new WorkerPool(2, { timeoutMs: REQUEST_TIMEOUT_MS, heapMb: HEAP_MB, recycleAfter: 25 });
  const seed = SEED + 2;
  const count = { mutants: 0, runs: 0, exit0: 0, refused: 0 };
  const failures: string[] = [];
  try {
    const lane = async (k: number): Promise<void> => {
      for (let i = k; i < 30; i += 2) {
        const m = mutant(bases, prng(seed * 1000 + i));
        const file = join(dir, `m${i}.raw`);
        writeFileSync(file, m.buf);
        const argvs = COMMANDS.map((c) => argvFor(c, file, join(dir, `out${i}`)));
        const res = await pool.run(argvs);
        count.mutants++;
        const what = `seed ${seed * 1000 + i} (${m.base}, ${m.mutations.join(' + ')})`;
        if (res.hang) failures.push(`${what}: hang`);
        if (res.died !== null) failures.push(`${what}: ${res.died}`);
        for (const x of res.results) {
          count.runs++;
          const bad = judge(x);
          if (bad !== null) failures.push(`${what}, ptrace ${x.argv.join(' ')}: ${bad.verdict}: ${bad.why}`);
          else if (x.code === 0) count.exit0++;
          else count.refused++;
        }
      }
    };
    await Promise.all([lane(0), lane(1)]);
    t.deepEqual(failures, []);
    t.log(
      `${count.mutants} mutants, ${count.runs} runs: exit 0 ${count.exit0}, refused ${count.refused}; workers' peak RSS ${(pool.maxRssKb / 1024).toFixed(0)} MiB`,
    );
    t.true(count.exit0 > 100 && count.refused >= COMMANDS.length, 'the mutants give both outcomes');
    t.true(pool.maxRssKb < GIB_KB, `peak RSS ${pool.maxRssKb} KiB`);
  } finally {
    pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial(
  '2^53, 2^63 and 2^64-1 in each u64 field of each record type, through the SQLite and JSON commands',
  async (t) => {
    const base = everyRecordType();
    const dir = mkdtempSync(join(tmpdir(), 'ptrace-fuzz-u64-'));
    const pool = new WorkerPool(2, { timeoutMs: REQUEST_TIMEOUT_MS, heapMb: HEAP_MB, recycleAfter: 50 });
    // The commands that bind values in SQLite or print them as JSON numbers (stats and export go through SQLite).
    const commands = COMMANDS.filter(
      (c) => (c[0] === 'stats' && c.includes('--json')) || c[0] === 'db' || c.includes('jsonl') || c[0] === 'otel',
    );
    t.is(commands.length, 4);
    const failures: string[] = [];
    let runs = 0;
    try {
      const jobs: Promise<void>[] = [];
      let n = 0;
      for (const f of u64Fields()) {
        for (const v of [2n ** 53n, 2n ** 63n, 2n ** 64n - 1n]) {
          const m = Buffer.from(base);
          let rec = m.readUInt32LE(FILE_HEADER.header_size);
          while (rec + RECORD_SIZE <= m.length && m.readUInt16LE(rec) !== f.type) rec += RECORD_SIZE;
          if (rec + RECORD_SIZE > m.length) continue;
          m.writeBigUInt64LE(v, rec + f.off);
          const file = join(dir, `f${n++}.raw`);
          writeFileSync(file, m);
          jobs.push(
            pool.run(commands.map((c) => argvFor(c, file, `${file}.out`))).then((res) => {
              if (res.hang || res.died !== null)
                failures.push(`${f.typeName}.${f.field} = ${v}: ${res.hang ? 'hang' : res.died}`);
              for (const x of res.results) {
                runs++;
                const bad = judge(x);
                if (bad !== null || x.code !== 0)
                  failures.push(
                    `${f.typeName}.${f.field} = ${v}, ptrace ${x.argv[0]}: exit ${x.code} ${bad?.why ?? x.stderr}`,
                  );
              }
            }),
          );
        }
      }
      await Promise.all(jobs);
      t.deepEqual(failures, []);
      t.true(runs > 300, `${runs} runs`);
    } finally {
      pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.serial('the real entry point: node bin/ptrace.js on two mutants, every command, with a heap limit', async (t) => {
  const bases = fuzzBases();
  const half = Math.ceil(COMMANDS.length / 2);
  const dir = mkdtempSync(join(tmpdir(), 'ptrace-fuzz-spawn-'));
  try {
    for (const i of [0, 1]) {
      const m = mutant(bases, prng(SEED * 7 + i));
      const file = join(dir, `m${i}.raw`);
      writeFileSync(file, m.buf);
      const runs = await Promise.all(
        COMMANDS.slice(i * half, (i + 1) * half).map((c) =>
          spawnCli(argvFor(c, file, join(dir, `out${i}`)), { timeoutMs: REQUEST_TIMEOUT_MS, heapMb: 512 }),
        ),
      );
      for (const x of runs) {
        t.false(x.hang, `${x.argv.join(' ')}: hang`);
        t.is(judge(x), null, `${m.base}, ${m.mutations.join(' + ')}: ptrace ${x.argv.join(' ')}: ${x.stderr}`);
        t.true(x.rssKb > 0 && x.rssKb < GIB_KB, `peak RSS ${x.rssKb} KiB`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
