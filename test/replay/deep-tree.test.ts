// A process chain 100,000 levels deep (each process forks its successor, some
// exec; the last one re-execs itself 1,000 times): every replay command
// finishes without overflowing the stack, and its output stays linear in the
// number of processes.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { MAX_INDENT_DEPTH } from '../../analyze/tree/text.ts';
import { Synth, type SynthProc } from '../../testkit/synth.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin/ptrace.js');
const work = mkdtempSync(join(tmpdir(), 'ptrace-deep-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const LEVELS = 100_000;
const REEXECS = 1_000;
const FIRST_PID = 10_000;

function deepChain(): Buffer {
  const s = new Synth({ rootPid: FIRST_PID, header: { commandArgv: ['step', '0'] } });
  const chain: SynthProc[] = [s.root(['step', '0'], { at: 1, cwd: '/w' })];
  for (let i = 1; i < LEVELS; i++) {
    const p = s.fork(chain[i - 1]!, 1 + i * 0.001);
    // Mostly forks without exec (small records keep the file at ~60 MB), an exec every 1,000 levels.
    if (i % 1000 === 0 || i === LEVELS - 1) s.exec(p, ['step', String(i)], { at: 1 + i * 0.001 + 0.0001 });
    chain.push(p);
  }
  const last = chain[LEVELS - 1]!;
  for (let k = 1; k <= REEXECS; k++) s.exec(last, ['again', String(k)], { at: 200 + k * 0.001 });
  s.exit(last, 300, { code: 3 });
  // Every other level fails too: failures with ancestor chains 100,000 long.
  for (let i = LEVELS - 2; i >= 0; i--) s.exit(chain[i]!, 300 + (LEVELS - i) * 0.001, { code: i % 2 });
  return s.buffer();
}

const raw = join(work, 'deep.raw');
writeFileSync(raw, deepChain());
const rawSize = statSync(raw).size;

function ptrace(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 1 << 30,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Output at most `perProcess` bytes per process (linear), no stack overflow, exit 0. */
function linear(t: import('ava').ExecutionContext, args: string[], perProcess: number): string {
  const r = ptrace(args);
  t.is(r.code, 0, r.stderr.slice(0, 2000));
  t.false(r.stderr.includes('Maximum call stack'), 'no stack overflow');
  t.true(r.stdout.length < perProcess * LEVELS, `${args.join(' ')}: ${r.stdout.length} bytes for ${LEVELS} levels`);
  return r.stdout;
}

test('tree: one line per image, indentation bounded, deep levels marked with their depth', (t) => {
  const out = linear(t, ['tree', 'deep.raw'], 400);
  const lines = out.trimEnd().split('\n');
  t.is(lines.length, LEVELS + REEXECS);
  t.regex(lines[0]!, /^step 0 +\(10000, /);
  t.regex(lines[LEVELS - 1]!, new RegExp(`└─ \\[depth ${LEVELS - 1}\\] step ${LEVELS - 1} `));
  t.regex(lines.at(-1)!, /\[depth 100999\] ↳ again 1000 .*exit 3\)$/);
  t.regex(lines[5000]!, /└─ \[depth 5000\] step 5000 /);
  t.regex(lines[5001]!, /└─ \[depth 5001\] \(fork of step\) /);
  let widest = 0;
  for (const l of lines) widest = Math.max(widest, l.search(/[a-z(]/));
  t.true(widest < MAX_INDENT_DEPTH * 3 + 40, `indentation stops growing (${widest})`);
});

test('tree --json: the whole chain, nested, parseable, linear size', (t) => {
  const doc = JSON.parse(linear(t, ['tree', 'deep.raw', '--json'], 1200)) as {
    roots: { argv: string[]; children: unknown[] }[];
  };
  let n: { argv: string[]; children: unknown[] } | undefined = doc.roots[0];
  let depth = 0;
  for (; n !== undefined; n = n.children[0] as typeof n) depth++;
  t.is(depth, LEVELS + REEXECS);
});

test('tree --dedup, --dedup --json, --pid, --failed, --depth, --match, --min-duration', (t) => {
  t.is(linear(t, ['tree', 'deep.raw', '--dedup'], 400).trimEnd().split('\n').length, LEVELS + REEXECS);
  JSON.parse(linear(t, ['tree', 'deep.raw', '--dedup', '--json'], 1200));
  const pid = linear(t, ['tree', 'deep.raw', '--pid', String(FIRST_PID + LEVELS - 1)], 400);
  t.true(pid.includes(`again ${REEXECS}`));
  t.true(linear(t, ['tree', 'deep.raw', '--failed'], 400).includes('exit 3'));
  const cut = linear(t, ['tree', 'deep.raw', '--depth', '2'], 400).trimEnd().split('\n');
  t.is(cut.length, 4);
  t.regex(cut[3]!, new RegExp(`… ${LEVELS + REEXECS - 3} more below`));
  t.true(linear(t, ['tree', 'deep.raw', '--match', 'again 1000(?!\\d)'], 400).includes('again 1000'));
  linear(t, ['tree', 'deep.raw', '--min-duration', '1s', '--json'], 1200);
});

test('stats, stats --json, export (jsonl, arrow), otel --dump-otel, db', (t) => {
  linear(t, ['stats', 'deep.raw'], 400);
  const stats = JSON.parse(linear(t, ['stats', 'deep.raw', '--json'], 1000)) as {
    failures: { ancestors: string[]; leaf: boolean }[];
  };
  t.is(stats.failures.length, LEVELS / 2);
  const deepest = stats.failures.at(-1)!;
  t.is(deepest.ancestors.length, 16);
  t.deepEqual(deepest.ancestors.slice(0, 3), ['step', '…', '(fork of step)']);
  t.deepEqual(stats.failures.map((f) => f.leaf).filter(Boolean).length, 1, 'only the deepest failure is a leaf');
  linear(t, ['export', 'deep.raw', '--format', 'jsonl'], 1000);
  const arrow = join(work, 'deep.arrow');
  linear(t, ['export', 'deep.raw', '--format', 'arrow', '-o', arrow], 1);
  t.true(statSync(arrow).size < 1000 * LEVELS);
  linear(t, ['otel', 'deep.raw', '--dump-otel', '-'], 4000);
  const db = join(work, 'deep.sqlite');
  linear(t, ['db', 'deep.raw', '-o', db], 1);
  t.true(statSync(db).size < 40 * rawSize);
});
