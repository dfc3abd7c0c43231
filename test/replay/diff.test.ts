// ptrace diff on synthetic pairs (testkit/diff-pairs.ts): the alignment of
// two trees and every kind of finding, each with a known answer.
import test from 'ava';
import { alignTrees, NodeText } from '../../analyze/diff/align.ts';
import { compareRuns, type DiffOptions, type DiffReport, hasDifferences } from '../../analyze/diff/diff.ts';
import { runOf } from '../../analyze/diff/side.ts';
import { summaryLine } from '../../analyze/diff/summary.ts';
import { modelOfCapture } from '../../analyze/replay/load.ts';
import { builtinRules, createRedactor } from '../../analyze/secrets/index.ts';
import { argvOf, type TreeNode } from '../../analyze/tree/build.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { diffRun, type RunVariant } from '../../testkit/diff-pairs.ts';
import { type Synth, Synth as SynthClass } from '../../testkit/synth.ts';

function run(s: Synth, label: 'A' | 'B') {
  const capture = readCaptureBuffer(s.buffer(), `${label.toLowerCase()}.raw`);
  return runOf({ header: capture.header, model: modelOfCapture(capture) }, label);
}

const redactor = createRedactor(builtinRules(), { marker: 'plain' });
const OPTS: DiffOptions = { filters: {}, only: [], redact: (name, value) => redactor.envValue(name, value) };
const A: RunVariant = { rootPid: 4000, tmpSeed: 1 };
const B: RunVariant = { rootPid: 7100, tmpSeed: 9 };

function diff(b: RunVariant, opts: Partial<DiffOptions> = {}, a: RunVariant = A): DiffReport {
  return compareRuns(run(diffRun(a), 'A'), run(diffRun({ ...B, ...b }), 'B'), { ...OPTS, ...opts });
}

const label = (n: TreeNode): string => (n.kind === 'exec' ? argvOf(n).join(' ') : `(${n.kind})`);

test('the same build with other pids, temp names and a reversed compile order: no differences', (t) => {
  const r = diff({ reversed: true });
  t.false(hasDifferences(r));
  t.is(summaryLine(r), 'no differences beyond the noise thresholds');
  t.is(r.matched, 20);
  t.deepEqual(r.notes, []);
});

test('alignment: reordered parallel siblings pair by command, not by position or pid', (t) => {
  const a = run(diffRun(A), 'A');
  const b = run(diffRun({ ...B, reversed: true }), 'B');
  const text = new NodeText();
  const al = alignTrees(a.roots, b.roots, text);
  t.is(al.onlyA.length, 0);
  t.is(al.onlyB.length, 0);
  for (const p of al.pairs) {
    t.is(p.level, 'same');
    t.deepEqual(text.normalised(p.a), text.normalised(p.b));
  }
  const cc = al.pairs.filter((p) => label(p.a).startsWith('cc -O2'));
  t.deepEqual(
    cc.map((p) => [label(p.a), label(p.b)]),
    ['main', 'util', 'net', 'db', 'log'].map((f) => [`cc -O2 -c ${f}.c -o ${f}.o`, `cc -O2 -c ${f}.c -o ${f}.o`]),
  );
  // Different pids on each side: matched by tree position and command, never by pid.
  t.true(cc.every((p) => p.a.pid !== p.b.pid));
});

test('alignment: groups of repeated siblings of different sizes leave the surplus unmatched, as one group', (t) => {
  const many = (n: number, rootPid: number): Synth => {
    const s = new SynthClass({ rootPid });
    const make = s.root(['make', '-j8'], { at: 1, env: ['PATH=/bin'] });
    for (let i = 0; i < n; i++) s.run(make, ['cc', '-c', `f${i}.c`], 2 + i, 1);
    s.exit(make, 2 + n + 1);
    return s;
  };
  const r = compareRuns(run(many(200, 1000), 'A'), run(many(203, 5000), 'B'), OPTS);
  t.is(r.onlyA.length, 0);
  t.is(r.onlyB.length, 1, 'the three extra compiles are one group');
  t.is(r.onlyB[0]!.count, 3);
  t.is(r.processesOnlyB, 3);
  t.deepEqual(r.onlyB[0]!.pattern, ['cc', '-c', null]);
  t.is(r.onlyB[0]!.first.argv.join(' '), 'cc -c f200.c');
  t.is(r.images.length, 0, 'the 200 common compiles pair up exactly');
  t.regex(summaryLine(r), /^3 processes only in B/);
});

test('a broken source: the first divergence is its cc1, with its ancestry in both runs', (t) => {
  const r = diff({ broken: 'net' });
  const d = r.firstDivergence!;
  t.is(d.outcomeA, 'ok');
  t.is(d.outcomeB, 'exit 1');
  t.is(d.b!.argv[2], 'net.c');
  t.deepEqual(
    d.ancestryB.map((p) => p.argv[0]),
    ['make', 'cc', '/usr/lib/gcc/x86_64-linux-gnu/12/cc1'],
  );
  t.deepEqual(
    d.ancestryA.map((p) => p.argv.slice(0, 3).join(' ')),
    ['make -j4 all', 'cc -O2 -c', '/usr/lib/gcc/x86_64-linux-gnu/12/cc1 -quiet net.c'],
  );
  t.deepEqual(
    r.outcomes.map((o) => [o.b!.argv[0], o.outcomeA, o.outcomeB]),
    [
      ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1', 'ok', 'exit 1'],
      ['cc', 'ok', 'exit 1'],
      ['make', 'ok', 'exit 2'],
    ],
  );
  // as (not run after the failed compile), then ld, cat, curl, psql that make never started.
  t.deepEqual(
    r.onlyA.map((g) => g.first.argv[0]),
    ['as', 'ld', 'cat', 'curl', 'psql'],
  );
  t.is(r.processesOnlyA, 5);
  t.is(r.onlyB.length, 0);
  t.true(
    summaryLine(r).startsWith(
      'B failed: `cc1 -quiet net.c -O2 -o /tmp/ccPPLkQ8.s` exit 1 (new); 2 other outcomes changed; 5 processes only in A',
    ),
    summaryLine(r),
  );
});

test('a changed environment variable: reported once, at the highest image, masked when secret', (t) => {
  const r = diff({ cc: 'clang' });
  t.deepEqual(
    r.env.map((e) => [e.name, e.kind, e.a, e.b, e.whereB.argv[0], e.count]),
    [['CC', 'changed', 'gcc', 'clang', 'make', 1]],
  );
  t.is(summaryLine(r), 'env: CC changed');
  t.deepEqual(r.outcomes, []);
  // The jobserver fifo differs between the runs (/tmp/GMfifo<pid>) but normalises equal: not a difference.
  t.false(r.env.some((e) => e.name === 'MAKEFLAGS'));
});

test('environment: a secret value is masked by the shared rule set; a variable set in one child only is reported there', (t) => {
  const withEnv = (token: string, extra: boolean): Synth => {
    const s = new SynthClass({ rootPid: extra ? 2000 : 1000 });
    const sh = s.root(['sh', 'run.sh'], { at: 1, env: ['PATH=/bin', `API_TOKEN=${token}`] });
    s.run(sh, ['step', 'one'], 2, 1);
    const two = s.fork(sh, 4);
    s.exec(two, ['step', 'two'], { at: 4.01, env: ['PATH=/bin', `API_TOKEN=${token}`, ...(extra ? ['DEBUG=1'] : [])] });
    s.exit(two, 5);
    s.exit(sh, 6);
    return s;
  };
  const r = compareRuns(run(withEnv('old-secret', false), 'A'), run(withEnv('new-secret', true), 'B'), OPTS);
  t.deepEqual(
    r.env.map((e) => [e.name, e.kind, e.a, e.b, e.whereB.argv.join(' ')]),
    [
      ['API_TOKEN', 'changed', '‹redacted:name-token›', '‹redacted:name-token›', 'sh run.sh'],
      ['DEBUG', 'added', null, '1', 'step two'],
    ],
  );
  t.false(JSON.stringify(r.env).includes('secret'));
});

test('a deleted file: a new ENOENT where A opened it', (t) => {
  const r = diff({ dataMissing: true });
  t.deepEqual(
    r.files!.newFailures.map((f) => [f.path, f.errno, f.failures, f.where.argv.join(' ')]),
    [['/src/app/data.txt', 'ENOENT', 1, 'cat data.txt']],
  );
  t.deepEqual(r.files!.fixed, []);
  t.is(r.firstDivergence!.b!.argv.join(' '), 'cat data.txt');
  t.regex(summaryLine(r), /new ENOENT: \/src\/app\/data\.txt/);
  // The other way round it is fixed, not new.
  const back = compareRuns(run(diffRun({ ...B, dataMissing: true }), 'A'), run(diffRun(A), 'B'), OPTS);
  t.deepEqual(back.files!.newFailures, []);
  t.deepEqual(
    back.files!.fixed.map((f) => f.path),
    ['/src/app/data.txt'],
  );
  t.true(summaryLine(back).startsWith('B no longer fails: `cat data.txt` (A: exit 1)'));
});

test('network: a name that no longer resolves, a refused connect, a peer only in A', (t) => {
  const r = diff({ dnsFails: true, dbRefused: true });
  const n = r.net!;
  t.deepEqual(
    n.lookups.map((l) => [l.name, l.kind, l.a, l.b]),
    [['example.com', 'failed', '93.184.216.34', 'EAI_NONAME']],
  );
  t.deepEqual(
    n.newFailedConnects.map((c) => [c.peer, c.error, c.failures, c.where.argv[0]]),
    [['10.0.0.5:5432', 'ECONNREFUSED', 1, 'psql']],
  );
  t.deepEqual(n.fixedConnects, []);
  t.deepEqual(n.peersOnlyA, ['example.com (93.184.216.34):443']);
  t.deepEqual(n.peersOnlyB, []);
  t.regex(
    summaryLine(r),
    /connect 10\.0\.0\.5:5432: ECONNREFUSED \(new\); DNS: example\.com EAI_NONAME; 1 peer only in A/,
  );
});

test('changed commands: a word diff, grouped by the change; a new unit only in B', (t) => {
  const r = diff({ opt: '-O0', units: ['main', 'util', 'net', 'db', 'log', 'extra'] });
  const byProgram = r.images.map((c) => [c.b.argv[0], c.count, c.argv!.filter((o) => o.op !== 'same')]);
  t.deepEqual(byProgram, [
    [
      'cc',
      5,
      [
        { op: 'removed', word: '-O2' },
        { op: 'added', word: '-O0' },
      ],
    ],
    [
      '/usr/lib/gcc/x86_64-linux-gnu/12/cc1',
      5,
      [
        { op: 'removed', word: '-O2' },
        { op: 'added', word: '-O0' },
      ],
    ],
    ['ld', 1, [{ op: 'added', word: 'extra.o' }]],
  ]);
  t.deepEqual(
    r.onlyB.map((g) => [g.first.argv.join(' '), g.processes]),
    [['cc -O0 -c extra.c -o extra.o', 3]],
  );
});

test('cwd and executable changes are reported; uid through the exec rows', (t) => {
  const r = diff({ cwd: '/src/app2' });
  const make = r.images.find((c) => c.b.argv[0] === 'make')!;
  t.deepEqual(make.cwd, { a: '/src/app', b: '/src/app2' });
  t.is(make.argv, null);
  t.is(make.exe, null);
  t.is(make.uid, null);
});

test('timing and resources: flagged only beyond the absolute and relative thresholds', (t) => {
  // 100 → 400 ms: beyond both (300 ms, 4×); max RSS 20,000 → 60,000 KiB: beyond 16 MiB and 1.25×.
  const slow = diff({ linkMs: 400, linkRssKib: 60_000 });
  const ld = slow.usage.find((u) => u.command === 'ld')!;
  t.deepEqual(ld.flagged, ['total', 'max', 'cpu', 'maxRss']);
  t.true(Math.abs(ld.ratio - 4) < 0.01, String(ld.ratio));
  t.is(slow.usage[0]!.command, 'ld', 'largest change first');
  t.regex(summaryLine(slow), /4\.0× slower in ld$/);
  // 100 → 180 ms: 1.8× but only 80 ms: noise. RSS +10,000 KiB: under 16 MiB.
  const noise = diff({ linkMs: 180, linkRssKib: 30_000 });
  t.false(noise.usage.some((u) => u.command === 'ld'));
  // 100 → 120 ms… with a long link: 1000 → 1200 ms is 200 ms but 1.2×: noise.
  const relative = diff({ linkMs: 1200 }, {}, { ...A, linkMs: 1000 });
  t.false(relative.usage.some((u) => u.command === 'ld'));
});

test('--only and the tree filters narrow the report', (t) => {
  const r = diff({ cc: 'clang', dataMissing: true }, { only: ['env'] });
  t.deepEqual(r.sections, ['env']);
  t.deepEqual(r.outcomes, []);
  t.is(r.files, null);
  t.is(r.env.length, 1);
  const m = diff({ dataMissing: true, dbRefused: true }, { filters: { match: /^psql/ } });
  // --match keeps psql (and its ancestor make): cat's failure and file are out of scope.
  t.deepEqual(
    m.outcomes.map((o) => o.b!.argv[0]),
    ['psql', 'make'],
  );
  t.deepEqual(m.files!.newFailures, []);
  t.is(m.net!.newFailedConnects.length, 1);
  const d = diff({ broken: 'net' }, { filters: { depth: 0 } });
  t.deepEqual(
    d.outcomes.map((o) => o.b!.argv[0]),
    ['make'],
  );
});

test('captures from other hosts and formats: said in the notes, still compared', (t) => {
  const other = diffRun({ ...B, cc: 'clang' });
  (other.header as { hostname: string }).hostname = 'ci-runner-7';
  const r = compareRuns(run(diffRun(A), 'A'), run(other, 'B'), OPTS);
  t.deepEqual(r.notes, ['different hosts: synth (A), ci-runner-7 (B)']);
  t.is(r.env.length, 1);
});

test('secrets in command lines: compared as captured (a changed password is a change), shown masked', (t) => {
  const withPassword = (password: string, rootPid: number): Synth => {
    const s = new SynthClass({ rootPid });
    const sh = s.root(['sh', 'deploy.sh'], { at: 1, env: ['PATH=/bin'] });
    s.run(sh, ['psql', `--password=${password}`, '-h', 'db'], 2, 1);
    s.exit(sh, 4);
    return s;
  };
  const opts: DiffOptions = { ...OPTS, redactArgv: (argv) => redactor.argv(argv) };
  const r = compareRuns(run(withPassword('old-pw-1', 1000), 'A'), run(withPassword('new-pw-2', 2000), 'B'), opts);
  t.is(r.images.length, 1);
  t.deepEqual(
    r.images[0]!.argv!.filter((o) => o.op !== 'same'),
    [
      { op: 'removed', word: '--password=‹redacted:name-password›' },
      { op: 'added', word: '--password=‹redacted:name-password›' },
    ],
  );
  t.deepEqual(r.images[0]!.b.argv, ['psql', '--password=‹redacted:name-password›', '-h', 'db']);
  t.false(JSON.stringify(r.images).includes('-pw-'));
  // Without a redactor (--show-secrets) the words are the captured ones.
  const shown = compareRuns(run(withPassword('old-pw-1', 1000), 'A'), run(withPassword('new-pw-2', 2000), 'B'), OPTS);
  t.deepEqual(
    shown.images[0]!.argv!.filter((o) => o.op !== 'same').map((o) => o.word),
    ['--password=old-pw-1', '--password=new-pw-2'],
  );
});
