// `ptrace diff` as a user runs it: goldens of the text and JSON, the exit
// status (0 same, 1 different, 2 trouble), one `ptrace:` line for a bad file,
// --only, and hostile strings that never reach the terminal as they are.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { diffRun, hostileRun } from '../../testkit/diff-pairs.ts';
import { ptraceSync } from '../helpers/cli.ts';
import { matchesGolden } from '../helpers/golden.ts';
import { ROOT } from '../helpers/real-capture.ts';

const work = mkdtempSync(join(tmpdir(), 'ptrace-diff-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

function file(name: string, buf: Buffer): string {
  const path = join(work, name);
  writeFileSync(path, buf);
  return path;
}

// The pairs the tests name by file: A, the same run again, and runs with something changed.
for (const [name, variant] of [
  ['good.raw', { rootPid: 4000, tmpSeed: 1 }],
  ['again.raw', { rootPid: 7100, tmpSeed: 9, reversed: true }],
  ['broken.raw', { rootPid: 7100, tmpSeed: 9, broken: 'net', cc: 'clang' }],
  [
    'everything.raw',
    { rootPid: 7100, tmpSeed: 9, cc: 'clang', dataMissing: true, dnsFails: true, dbRefused: true, linkMs: 400 },
  ],
] as const)
  file(name, diffRun(variant).buffer());

/** Paths as the goldens show them. */
const stable = (s: string): string => s.replaceAll(`${work}/`, '');

const diff = (...args: string[]) => ptraceSync(['diff', ...args], { cwd: work });

test('the same build twice (other pids, temp names, order): exit 0, one line saying so', (t) => {
  const r = diff('good.raw', 'again.raw');
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.split('\n')[0], 'no differences beyond the noise thresholds');
  t.is(r.stderr, '');
});

test('a broken compile: exit 1, text and JSON goldens', (t) => {
  const r = diff('good.raw', 'broken.raw');
  t.is(r.code, 1, r.stderr);
  t.is(
    r.stdout.split('\n')[0],
    'B failed: `cc1 -quiet net.c -O2 -o /tmp/ccPPLkQ8.s` exit 1 (new); 2 other outcomes changed; 5 processes only in A; env: CC changed; 2 peers only in A',
  );
  matchesGolden(t, 'diff-broken.txt', stable(r.stdout));
  const j = diff('good.raw', 'broken.raw', '--json');
  t.is(j.code, 1);
  const doc = JSON.parse(j.stdout);
  t.is(doc.format, 'ptrace-diff');
  t.is(doc.different, true);
  t.is(doc.firstDivergence.outcomeB, 'exit 1');
  matchesGolden(t, 'diff-broken.json', stable(j.stdout));
});

test('every kind of finding at once: text and JSON goldens', (t) => {
  const r = diff('good.raw', 'everything.raw');
  t.is(r.code, 1, r.stderr);
  matchesGolden(t, 'diff-everything.txt', stable(r.stdout));
  const j = diff('good.raw', 'everything.raw', '--json');
  matchesGolden(t, 'diff-everything.json', stable(j.stdout));
});

test('--only: the sections asked for decide the report and the exit status', (t) => {
  const env = diff('good.raw', 'everything.raw', '--only', 'env');
  t.is(env.code, 1);
  t.is(env.stdout.split('\n')[0], 'env: CC changed');
  // Before the files, one value per --only; a comma list works too.
  const first = diff('--only', 'env', 'good.raw', 'everything.raw');
  t.is(first.code, 1, first.stderr);
  t.is(first.stdout.split('\n')[0], 'env: CC changed');
  const two = diff('good.raw', 'everything.raw', '--only', 'env,files', '--json');
  t.deepEqual(JSON.parse(two.stdout).sections, ['env', 'files']);
  const timing = diff('good.raw', 'broken.raw', '--only', 'files');
  t.is(timing.code, 0, 'no file differences');
  const bad = diff('good.raw', 'broken.raw', '--only', 'nonsense');
  t.is(bad.code, 2);
  t.regex(bad.stderr, /^ptrace: .*nonsense/);
  t.is(bad.stderr.split('\n').length, 2, 'one line');
});

test('trouble: a file that is not a capture, a missing file, a bad regex: one ptrace: line, exit 2', (t) => {
  const junk = file('junk.raw', Buffer.from('not a capture at all, just text\n'));
  for (const args of [
    ['good.raw', junk],
    [junk, 'good.raw'],
    ['good.raw', 'missing.raw'],
    ['good.raw', 'broken.raw', '--match', '('],
  ]) {
    const r = diff(...args);
    t.is(r.code, 2, args.join(' '));
    t.is(r.stdout, '');
    t.regex(r.stderr, /^ptrace: [^\n]+\n$/, args.join(' '));
  }
});

/** What must never reach a terminal (as test/cli/terminal-safety.test.ts defines it). */
// eslint-disable-next-line no-control-regex
const FORBIDDEN =
  /[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/u;

test('hostile strings in every finding never reach the terminal; JSON keeps them exact', (t) => {
  const a = file('hostile-a.raw', hostileRun(false).buffer());
  const b = file('hostile-b.raw', hostileRun(true).buffer());
  const sample = join(ROOT, 'samples/hostile.raw');
  for (const args of [
    [a, b],
    [b, a],
    [sample, join(ROOT, 'samples/make-build.raw')],
    [sample, b],
  ]) {
    const r = diff(...args, '--full');
    t.is(r.code, 1, r.stderr);
    t.is(FORBIDDEN.exec(r.stdout), null, args.join(' '));
    t.is(FORBIDDEN.exec(r.stderr), null);
  }
  const text = diff(a, b).stdout;
  for (const section of ['First divergence', 'Only in B', 'Changed commands', 'Environment', 'Files', 'Network'])
    t.true(text.includes(`\n${section}`), section);
  t.true(text.includes('\\x1b[2J'), 'escapes shown');
  const doc = JSON.parse(diff(a, b, '--json').stdout);
  t.true(JSON.stringify(doc).includes('\\u001b[2J'), 'JSON exact');
});

test('across format versions and kernels: the same script captured as format 1.0 and 1.6 is the same run, and the notes say what differs', (t) => {
  const r = ptraceSync(['diff', 'test/fixtures/format-1.0.raw', 'samples/failing-pipeline.raw'], { cwd: ROOT });
  t.is(r.code, 0, r.stdout);
  const lines = r.stdout.split('\n');
  t.is(lines[0], 'no differences beyond the noise thresholds');
  // (The sample is regenerated now and then: its kernel and format minor are matched, not spelled.)
  const notes = lines.filter((l) => l.startsWith('note: '));
  t.is(notes.length, 4, notes.join('\n'));
  t.regex(notes[0]!, /^note: different kernels: 6\.18\.44-fc-v595 \(A\), \S+ \(B\)$/);
  t.regex(notes[1]!, /^note: different format versions: 1\.0 \(A\), 1\.\d+ \(B\)$/);
  t.deepEqual(notes.slice(2), [
    'note: file opens recorded in B only: not compared',
    'note: TCP connections recorded in B only: not compared',
  ]);
  const other = ptraceSync(['diff', 'samples/failing-pipeline.raw', 'samples/make-build.raw', '--json'], { cwd: ROOT });
  t.is(other.code, 1);
  const doc = JSON.parse(other.stdout) as {
    onlyA: { processes: number };
    onlyB: { processes: number };
    matched: number;
  };
  t.deepEqual([doc.matched, doc.onlyA.processes, doc.onlyB.processes], [0, 13, 20]);
});
