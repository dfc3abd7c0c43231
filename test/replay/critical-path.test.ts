// The critical path (analyze/replay/critical-path.ts, docs/critical-path.md) on
// synthetic trees whose answer is known by construction, on random trees
// against a recursive reference of the definition, and on forged rows.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  type CriticalPath,
  criticalPath,
  criticalPathOfModel,
  criticalPathOfTimes,
  type PathProcess,
} from '../../analyze/replay/critical-path.ts';
import { modelOfCapture } from '../../analyze/replay/load.ts';
import type { Model } from '../../analyze/replay/model.ts';
import type { CriticalPathReport } from '../../analyze/stats/types.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { MS, Synth } from '../../testkit/synth.ts';
import { ptraceSync } from '../helpers/cli.ts';
import { prng } from '../helpers/prng.ts';

function modelOf(s: Synth): Model {
  return modelOfCapture(readCaptureBuffer(s.buffer()));
}

function pathOf(s: Synth): { m: Model; path: CriticalPath } {
  const m = modelOf(s);
  const path = criticalPathOfModel(m);
  if (path === null) throw new Error('no path');
  return { m, path };
}

/** Segments as `pid image start-end` in ms (image: argv[0] or "fork"), merged when the same image continues. */
function described(m: Model, p: CriticalPath): string[] {
  const execById = new Map(m.execs.map((x) => [x.id, x]));
  return p.segments.map((s) => {
    const pid = m.processes[s.processId - 1]!.pid;
    const x = s.execId === null ? null : execById.get(s.execId)!;
    const image = x === null ? 'fork' : x.argv.toString('utf8').split('\0')[0];
    return `${pid} ${image} ${s.start / MS}-${s.end / MS}`;
  });
}

/** Segments cover the root's window exactly: contiguous, in order, nothing outside. */
function assertCovers(t: import('ava').ExecutionContext, p: CriticalPath): void {
  let at = p.start;
  for (const s of p.segments) {
    t.is(s.start, at, 'contiguous');
    t.true(s.end > s.start);
    at = s.end;
  }
  t.is(at, p.segments.length === 0 ? p.start : p.end);
  const self = p.steps.reduce((a, s) => a + s.selfNs, 0);
  t.is(self, p.end - p.start, 'own times add up to the root wall time');
}

/**
 * make -j2 with known lengths: a.c 1–5 ms… The root waits last for ld (7–9),
 * which started when c.c ended (4–7), which started when b.c ended (1–4);
 * a.c (1–6) ends while c.c still runs: not on the path.
 */
test('make -j2: ld, then the compile that ended last before it, recursively, with make’s own time between', (t) => {
  const s = new Synth();
  const make = s.root(['make', '-j2'], { at: 0 });
  s.run(make, ['cc', 'a.c'], 1, 5); // 1–6
  s.run(make, ['cc', 'b.c'], 1, 3); // 1–4
  s.run(make, ['cc', 'c.c'], 4, 3); // 4–7
  s.run(make, ['ld'], 7.5, 1.5); // 7.5–9
  s.exit(make, 10);
  const { m, path } = pathOf(s);
  t.deepEqual(described(m, path), [
    '1000 make 0-1',
    '1002 fork 1-1.01',
    '1002 cc 1.01-4',
    '1003 fork 4-4.01',
    '1003 cc 4.01-7',
    '1000 make 7-7.5',
    '1004 fork 7.5-7.51',
    '1004 ld 7.51-9',
    '1000 make 9-10',
  ]);
  assertCovers(t, path);
  t.is(path.start, 0);
  t.is(path.end, 10 * MS);
  t.true(path.rootEnded);
  t.is(path.unknownEnds, 0);
  t.deepEqual(
    path.steps.map((x) => [m.processes[x.processId - 1]!.pid, x.depth, x.start / MS, x.end / MS]),
    [
      [1000, 0, 0, 10],
      [1002, 1, 1, 4],
      [1003, 1, 4, 7],
      [1004, 1, 7.5, 9],
    ],
  );
  // make's own time: 0–1, 7–7.5, 9–10.
  t.is(path.steps[0]!.selfNs, 2.5 * MS);
  // Largest own time first: cc of b.c (≈2.99 ms), cc of c.c, make, ld.
  const top = path.images.map((i) => m.processes[i.processId - 1]!.pid);
  t.deepEqual(top.slice(0, 4), [1002, 1003, 1000, 1004]);
});

test('nested: the path descends into the grandchild the child waited for', (t) => {
  const s = new Synth();
  const sh = s.root(['sh', 'build.sh'], { at: 0 });
  const make = s.fork(sh, 1);
  s.exec(make, ['make'], { at: 1 });
  s.run(make, ['cc', 'x.c'], 2, 5); // 2–7
  const ld = s.run(make, ['ld'], 2, 1); // 2–3: ended long before cc
  s.exit(make, 8);
  s.run(sh, ['true'], 8.5, 0.5); // 8.5–9
  s.exit(sh, 9.5);
  const { m, path } = pathOf(s);
  assertCovers(t, path);
  const depths = path.steps.map((x) => [m.processes[x.processId - 1]!.pid, x.depth]);
  t.deepEqual(depths, [
    [1000, 0],
    [1001, 1],
    [1002, 2],
    [1004, 1],
  ]);
  t.false(path.steps.some((x) => m.processes[x.processId - 1]!.pid === ld.key.pid));
});

test('exec chains: one process, its stretches split at each exec and attributed to the image current then', (t) => {
  const s = new Synth();
  const sh = s.root(['sh', '-c', 'exec env cc x.c'], { at: 0 });
  s.exec(sh, ['env', 'cc', 'x.c'], { at: 2 });
  s.exec(sh, ['cc', 'x.c'], { at: 3 });
  s.run(sh, ['cc1', 'x.c'], 4, 4); // 4–8
  s.exit(sh, 9);
  const { m, path } = pathOf(s);
  t.deepEqual(described(m, path), [
    '1000 sh 0-2',
    '1000 env 2-3',
    '1000 cc 3-4',
    '1001 fork 4-4.01',
    '1001 cc1 4.01-8',
    '1000 cc 8-9',
  ]);
  t.is(path.steps.length, 2, 'one step per process, not per image');
  assertCovers(t, path);
});

test('orphans: a child that outlives its parent was not waited for; the parent’s time is its own', (t) => {
  const s = new Synth();
  const root = s.root(['sh'], { at: 0 });
  const daemon = s.fork(root, 1);
  s.exec(daemon, ['daemon'], { at: 1.5 });
  s.run(root, ['sleep', '1'], 2, 1); // 2–3
  s.exit(root, 5);
  s.exit(daemon, 20); // reparented to init, ends long after the root
  const { m, path } = pathOf(s);
  t.deepEqual(described(m, path), ['1000 sh 0-2', '1002 fork 2-2.01', '1002 sleep 2.01-3', '1000 sh 3-5']);
});

test('still running: a child alive at the stop bounds a root that never ended; the root’s end is the capture’s', (t) => {
  const s = new Synth();
  const root = s.root(['server'], { at: 0 });
  const worker = s.fork(root, 1);
  s.exec(worker, ['worker'], { at: 1 });
  s.running(worker, 30);
  s.running(root, 30);
  const { m, path } = pathOf(s);
  t.false(path.rootEnded);
  t.is(path.end, 30 * MS);
  t.deepEqual(described(m, path), ['1000 server 0-1', '1001 worker 1-30']);
});

test('still running child of an exited root: not on the path', (t) => {
  const s = new Synth();
  const root = s.root(['sh'], { at: 0 });
  const bg = s.fork(root, 1);
  s.exec(bg, ['bg'], { at: 1 });
  s.exit(root, 4);
  s.running(bg, 6);
  const { m, path } = pathOf(s);
  t.deepEqual(described(m, path), ['1000 sh 0-4']);
});

test('missing exits: a child without an exit record is not placed, and counted', (t) => {
  const s = new Synth();
  const root = s.root(['make'], { at: 0 });
  const lost = s.fork(root, 1);
  s.exec(lost, ['cc', 'lost.c'], { at: 1 }); // its exit record was lost
  s.run(root, ['cc', 'b.c'], 1, 2); // 1–3
  s.exit(root, 6);
  const { m, path } = pathOf(s);
  t.is(path.unknownEnds, 1);
  t.deepEqual(described(m, path), ['1000 make 0-1', '1002 fork 1-1.01', '1002 cc 1.01-3', '1000 make 3-6']);
});

test('a root without an exit record ends at the capture end; no root at all: no path', (t) => {
  const s = new Synth();
  const root = s.root(['make'], { at: 0 });
  s.run(root, ['cc'], 1, 2);
  s.open(root, '/x', 12); // the last event: the capture end without a footer
  const m = modelOfCapture(readCaptureBuffer(s.buffer(null)));
  const path = criticalPathOfModel(m)!;
  t.false(path.rootEnded);
  t.is(path.end, 12 * MS);
  assertCovers(t, path);
  t.is(criticalPath({ capture: { startNs: 0n, end: 0 }, processes: [], execs: [] }), null);
});

// ---------------------------------------------------------------- forged rows

/** A process as the walk reads it, times in ns since the capture start. */
function row(id: number, parentId: number | null, start: number, end: number | null, isRoot = false): PathProcess {
  return { id, parentId, start, end, state: end === null ? 'unknown' : 'exited', isRoot };
}

test('forged rows: a parent cycle through the root, a child starting before its parent, out-of-range parent ids', (t) => {
  const processes = [
    row(1, 3, 100, 1000, true), // the root claims its grandchild as parent
    row(2, 1, 50, 600), // starts before the root: clipped to the root's window
    row(3, 2, 200, 500),
    row(4, 99, 0, 10_000), // parent outside the rows
    row(5, 5, 0, 700), // its own parent
  ];
  const p = criticalPathOfTimes({ end: 2000, processes, execs: [] })!;
  t.deepEqual(
    p.segments.map((s) => [s.processId, s.start, s.end]),
    [
      [2, 100, 200],
      [3, 200, 500],
      [2, 500, 600],
      [1, 600, 1000],
    ],
  );
  assertCovers(t, p);
});

// ---------------------------------------------------------------- random trees vs the definition

/** The definition, recursively (small trees only): the segments of `id` in [from, to]. */
function reference(
  procs: readonly { id: number; parent: number | null; start: number; end: number }[],
  id: number,
  from: number,
  to: number,
  out: [number, number, number][],
): void {
  const kids = procs.filter((c) => c.parent === id);
  let t = to;
  const tail: [number, number, number][][] = [];
  for (;;) {
    const waited = kids
      .filter((c) => c.end <= t && c.end > from)
      .sort((a, b) => b.end - a.end || a.start - b.start || a.id - b.id)[0];
    if (waited === undefined) break;
    const part: [number, number, number][] = [];
    const cFrom = Math.min(waited.end, Math.max(from, waited.start));
    reference(procs, waited.id, cFrom, waited.end, part);
    if (waited.end < t) part.push([id, waited.end, t]);
    tail.unshift(part);
    t = cFrom;
    kids.splice(kids.indexOf(waited), 1);
  }
  if (from < t) out.push([id, from, t]);
  for (const part of tail) out.push(...part);
}

test('random trees: the iterative walk gives the recursive definition’s segments', (t) => {
  const rand = prng(13);
  for (let round = 0; round < 300; round++) {
    const count = 1 + Math.floor(rand() * 40);
    const procs = [{ id: 1, parent: null as number | null, start: 0, end: 1000 }];
    for (let id = 2; id <= count; id++) {
      const parent = procs[Math.floor(rand() * procs.length)]!;
      const start = parent.start + Math.floor(rand() * (parent.end - parent.start));
      // Some children outlive their parent (orphans); ends on a coarse grid make ties common.
      const end = Math.min(1200, start + 10 * Math.floor(rand() * 40));
      procs.push({ id, parent: parent.id, start, end });
    }
    const rows = procs.map((p) => row(p.id, p.parent, p.start, p.end, p.id === 1));
    const got = criticalPathOfTimes({ end: 1200, processes: rows, execs: [] })!;
    const want: [number, number, number][] = [];
    reference(procs, 1, 0, 1000, want);
    const merged = want.filter(([, a, b]) => b > a);
    t.deepEqual(
      got.segments.map((s) => [s.processId, s.start, s.end]),
      merged,
      `round ${round}`,
    );
    assertCovers(t, got);
  }
});

test('a chain 100,000 deep: no recursion, linear', (t) => {
  const N = 100_000;
  const rows: PathProcess[] = [];
  for (let id = 1; id <= N; id++) rows.push(row(id, id === 1 ? null : id - 1, id, 2 * N + 10 - id, id === 1));
  const began = performance.now();
  const p = criticalPathOfTimes({ end: 3 * N, processes: rows, execs: [] })!;
  t.is(p.steps.length, N);
  t.is(p.steps[N - 1]!.depth, N - 1);
  t.is(p.segments.length, 2 * N - 1);
  assertCovers(t, p);
  t.log(`${N} levels in ${(performance.now() - began).toFixed(0)} ms`);
});

// ---------------------------------------------------------------- in the outputs

test('stats --json, tree --critical, tree --critical --json: the make -j2 tree’s path, exact', (t) => {
  const s = new Synth();
  const make = s.root(['make', '-j2'], { at: 0 });
  s.run(make, ['cc', 'a.c'], 1, 5); // 1–6: off the path
  s.run(make, ['cc', 'b.c'], 1, 3); // 1–4
  s.run(make, ['cc', 'c.c'], 4, 3); // 4–7
  s.run(make, ['ld'], 7.5, 1.5); // 7.5–9
  s.exit(make, 10);
  const dir = mkdtempSync(join(tmpdir(), 'ptrace-critical-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const raw = join(dir, 'make.raw');
  writeFileSync(raw, s.buffer());

  const stats = ptraceSync(['stats', raw, '--json']);
  t.is(stats.code, 0, stats.stderr);
  const c = (JSON.parse(stats.stdout) as { criticalPath: CriticalPathReport }).criticalPath;
  t.deepEqual(
    c.steps.map((x) => [x.pid, x.depth, x.windowStartNs / MS, x.windowEndNs / MS, x.ownNs / MS]),
    [
      [1000, 0, 0, 10, 2.5],
      [1002, 1, 1, 4, 3],
      [1003, 1, 4, 7, 3],
      [1004, 1, 7.5, 9, 1.5],
    ],
  );
  t.deepEqual(
    c.images.map((i) => [i.argv.join(' ') || `(fork of ${i.forkOf})`, Math.round(i.ownNs / 1000) / 1000, i.share]),
    [
      ['cc b.c', 2.99, 0.299],
      ['cc c.c', 2.99, 0.299],
      ['make -j2', 2.5, 0.25],
      ['ld', 1.49, 0.149],
      ['(fork of make)', 0.01, 0.001],
      ['(fork of make)', 0.01, 0.001],
      ['(fork of make)', 0.01, 0.001],
    ],
  );
  t.is(c.processes, 4);
  t.is(c.depth, 1);

  const text = ptraceSync(['stats', raw]);
  t.regex(text.stdout, /Critical path: own time/);
  t.regex(text.stdout, /10ms of the root; 4 processes on the path, 1 level deep/);

  const tree = ptraceSync(['tree', raw, '--critical']);
  t.is(tree.code, 0, tree.stderr);
  t.deepEqual(tree.stdout.trimEnd().split('\n'), [
    'make -j2  (1000, 10ms, ◆ 2.5ms on the critical path)',
    '├─ cc b.c  (1002, 2.99ms, ◆ 3ms on the critical path)',
    '├─ cc c.c  (1003, 2.99ms, ◆ 3ms on the critical path)',
    '└─ ld  (1004, 1.49ms, ◆ 1.5ms on the critical path)',
  ]);
  const json = JSON.parse(ptraceSync(['tree', raw, '--critical', '--json']).stdout) as {
    options: { critical: boolean };
    roots: { pid: number; criticalOwnNs: number; children: { pid: number; criticalOwnNs: number }[] }[];
  };
  t.true(json.options.critical);
  t.is(json.roots[0]!.criticalOwnNs, 2.5 * MS);
  t.deepEqual(
    json.roots[0]!.children.map((n) => [n.pid, n.criticalOwnNs]),
    [
      [1002, 3 * MS],
      [1003, 3 * MS],
      [1004, 1.5 * MS],
    ],
  );
});
