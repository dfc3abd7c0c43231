// The image tree, its filters and --dedup (analyze/tree/build.ts, render.ts), on synthetic captures.
import test from 'ava';
import { buildDatabase, type Db } from '../../analyze/db/database.ts';
import { painter } from '../../analyze/format.ts';
import { captureInfo, envsOfModel } from '../../analyze/replay/capture-info.ts';
import { EnvResolver } from '../../analyze/replay/env.ts';
import { modelOfCapture } from '../../analyze/replay/load.ts';
import { argvBlob } from '../../analyze/replay/model.ts';
import { builtinRules, createRedactor, type Redactor } from '../../analyze/secrets/index.ts';
import { redactModel } from '../../analyze/secrets/model.ts';
import {
  argvOf,
  argvShape,
  buildTree,
  type DisplayItem,
  dedupTree,
  filterTree,
  groupPattern,
  plainItems,
  type TreeFilters,
  type TreeInput,
  type TreeNode,
} from '../../analyze/tree/build.ts';
import { envIds } from '../../analyze/tree/display.ts';
import { treeJson } from '../../analyze/tree/json.ts';
import { renderTreeText } from '../../analyze/tree/text.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { buildScenario, manyCompilesScenario, Synth } from '../../testkit/synth.ts';

/** Full environments as SQL reads them (the tree uses envsOfModel), (name → value, sorted by name) of the given env ids, via the env_full view. */
function readEnvs(db: Db, ids: Iterable<number>): Map<number, [string, string][]> {
  const out = new Map<number, [string, string][]>();
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return out;
  // Resolve chains in JS from the compact rows: the view is for SQL users, this avoids materialising every env.
  const envs = new Map<number, number | null>();
  for (const r of db.prepare('SELECT id, base_id FROM envs').raw(true).all() as [number, number | null][]) {
    envs.set(r[0], r[1]);
  }
  const needed = new Set<number>();
  for (const id of wanted) {
    for (let e: number | null = id; e !== null && !needed.has(e); e = envs.get(e) ?? null) needed.add(e);
  }
  const vars = new Map<number, { name: string; value: string | null }[]>();
  const stmt = db.prepare('SELECT name, value FROM env_vars WHERE env_id = ?');
  for (const id of needed) vars.set(id, stmt.all(id) as { name: string; value: string | null }[]);
  const resolver = new EnvResolver({ size: envs.size, baseOf: (e) => envs.get(e), varsOf: (e) => vars.get(e) ?? [] });
  for (const id of wanted) out.set(id, resolver.entries(id));
  return out;
}

function replay(s: Synth, redactor?: Redactor): { r: TreeInput; envs: Map<number, [string, string][]> } {
  const read = modelOfCapture(readCaptureBuffer(s.buffer(), 'synth.raw'));
  const model = redactor === undefined ? read : redactModel(read, redactor);
  const r = { capture: captureInfo(model), ...model };
  // Environments through SQLite (readEnvs) here; the tree command uses envsOfModel: both must agree.
  const db = buildDatabase(model);
  const ids = model.execs.map((x) => x.envId).filter((e): e is number => e !== null);
  const envs = readEnvs(db, ids);
  db.close();
  const direct = envsOfModel(model, ids);
  if (JSON.stringify([...direct]) !== JSON.stringify([...envs])) throw new Error('envsOfModel and readEnvs disagree');
  return { r, envs };
}

const build = replay(buildScenario());
/** As the tree command replays by default: secrets masked (plain markers). */
const masked = replay(buildScenario(), createRedactor(builtinRules(), { marker: 'plain' }));
const many = replay(manyCompilesScenario());

function flat(nodes: readonly TreeNode[]): TreeNode[] {
  return nodes.flatMap((n) => [n, ...flat(n.children)]);
}

const text = (items: DisplayItem[], dedup = false, envs: Map<number, [string, string][]> | null = null): string[] =>
  renderTreeText(items, { full: false, width: 120, paint: painter(false), envs, dedup });

const label = (n: TreeNode): string => (n.kind === 'exec' ? argvOf(n).join(' ') : `(${n.kind} ${n.pid})`);

test('one root; compiles nested under make; fork without exec shown as the parent image', (t) => {
  const roots = buildTree(build.r);
  t.is(roots.length, 1);
  const make = roots[0]!;
  t.is(label(make), 'make -j4 all');
  t.true(make.failed);
  t.deepEqual(make.exit, { state: 'exited', exitCode: 2, signal: null, signalName: null, coreDumped: false });
  const all = flat(roots);
  const fork = all.find((n) => n.kind === 'fork' && n.forkOf === 'bash')!;
  t.deepEqual(fork.children.map(label), ['git describe --tags --always', 'date +%Y-%m-%d']);
  const missing = all.find((n) => n.kind === 'fork' && n.forkOf === 'make')!;
  t.deepEqual(
    missing.failedExecs.map((f) => f.path),
    ['/usr/local/bin/lint-headers', '/usr/bin/lint-headers', '/bin/lint-headers'],
  );
  t.is(missing.exit.exitCode, 127);
});

test('an image replaced by exec: the new image is the child of the old one, which carries no exit', (t) => {
  const all = flat(buildTree(build.r));
  const sh = all.find((n) => argvOf(n)[0] === '/bin/sh')!;
  t.true(sh.replaced);
  t.false(sh.failed);
  const bash = sh.children[0]!;
  t.is(bash.pid, sh.pid);
  t.is(bash.execSeq, 1);
  t.is(bash.start, sh.end ?? NaN);
});

test('failed exec attempts hang on the image that followed them', (t) => {
  const all = flat(buildTree(build.r));
  const cc = all.find((n) => argvOf(n).join(' ') === 'cc -O2 -c main.c -o main.o')!;
  t.deepEqual(
    cc.failedExecs.map((f) => `${f.path} ${f.errnoName}`),
    ['/usr/local/bin/cc ENOENT'],
  );
});

test('children sorted by start time, then pid; output identical across runs', (t) => {
  for (const n of flat(buildTree(build.r))) {
    for (let i = 1; i < n.children.length; i++) {
      const a = n.children[i - 1]!;
      const b = n.children[i]!;
      t.true(a.start < b.start || (a.start === b.start && a.pid <= b.pid));
    }
  }
  const again = replay(buildScenario());
  t.deepEqual(text(plainItems(buildTree(again.r))), text(plainItems(buildTree(build.r))));
  t.deepEqual(text(dedupTree(buildTree(again.r)), true), text(dedupTree(buildTree(build.r)), true));
});

const names = (nodes: TreeNode[]): string[] => flat(nodes).map(label);

test('--match keeps matches and their ancestors only', (t) => {
  const out = filterTree(buildTree(build.r), { match: /^git / });
  t.deepEqual(names(out), [
    'make -j4 all',
    '/bin/sh -c exec ./gen-version.sh > version.h',
    '/bin/bash ./gen-version.sh',
    `(fork ${flat(out)[3]!.pid})`,
    'git describe --tags --always',
  ]);
});

test('--pid keeps the subtree of that pid and its ancestors', (t) => {
  const sh = flat(buildTree(build.r)).find((n) => argvOf(n)[0] === '/bin/sh')!;
  const out = filterTree(buildTree(build.r), { pid: sh.pid });
  t.is(names(out).length, 6);
  t.true(names(out).includes('date +%Y-%m-%d'));
  t.deepEqual(filterTree(buildTree(build.r), { pid: 999999 }), []);
});

test('--failed keeps only branches with a failure', (t) => {
  const out = filterTree(buildTree(build.r), { failed: true });
  t.deepEqual(names(out).sort(), [
    '(fork 4040)',
    './unit-tests --gtest_filter=* --gtest_color=no',
    '/usr/lib/gcc/x86_64-linux-gnu/12/cc1 -quiet net.c -O2 -o /tmp/cc2.s',
    'cc -O2 -c net.c -o net.o',
    'make -j4 all',
  ]);
});

test('--depth cuts levels and counts what it hides', (t) => {
  const out = filterTree(buildTree(build.r), { depth: 1 });
  const all = flat(out);
  t.true(all.every((n) => n.children.every((c) => c.children.length === 0)));
  const cc = all.find((n) => argvOf(n)[0] === 'cc')!;
  t.is(cc.hidden, 2);
  t.true(text(plainItems(out)).some((l) => l.includes('… 2 more below')));
  t.is(filterTree(buildTree(build.r), { depth: 0 })[0]!.children.length, 0);
});

test('--min-duration hides short images but never a failure', (t) => {
  const out = filterTree(buildTree(build.r), { minDuration: 20_000_000 });
  const all = flat(out);
  t.true(all.every((n) => n.failed || (n.end ?? n.captureEnd) - n.start >= 20_000_000 || n.children.length > 0));
  t.truthy(
    all.find((n) => n.kind === 'fork' && n.exit.exitCode === 127),
    'a 0.1ms failure stays',
  );
  t.falsy(all.find((n) => argvOf(n)[0] === 'date'));
});

test('filters combine: failing images matching the regex', (t) => {
  const f: TreeFilters = { failed: true, match: /cc1/ };
  t.deepEqual(names(filterTree(buildTree(build.r), f)), [
    'make -j4 all',
    'cc -O2 -c net.c -o net.o',
    '/usr/lib/gcc/x86_64-linux-gnu/12/cc1 -quiet net.c -O2 -o /tmp/cc2.s',
  ]);
});

test('argvShape: operands may differ, options may not', (t) => {
  t.is(argvShape(['cc', '-c', 'a.c', '-o', 'a.o']), argvShape(['cc', '-c', 'b.c', '-o', 'b.o']));
  t.not(argvShape(['cc', '-c', 'a.c']), argvShape(['cc', '-O2', 'a.c']));
  t.not(argvShape(['cc', '-c', 'a.c']), argvShape(['gcc', '-c', 'a.c']));
  t.is(argvShape(['x', '--out=a']), argvShape(['x', '--out=b']));
  t.not(argvShape(['x', 'a']), argvShape(['x', 'a', 'b']));
});

test('dedup: 200 compiles collapse to one group with totals; both failures stay visible', (t) => {
  const roots = buildTree(many.r);
  const items = dedupTree(roots);
  const make = items[0]!;
  t.is(make.type, 'node');
  const kids = make.children;
  t.deepEqual(
    kids.map((k) => k.type),
    ['group', 'node', 'node'],
  );
  const g = kids[0]!;
  if (g.type !== 'group') throw new Error('not a group');
  t.is(g.members.length, 198);
  t.deepEqual(g.pattern, ['cc', '-c', null, '-o', null]);
  t.deepEqual(
    g.children.map((c) => (c.type === 'group' ? c.members.length : 0)),
    [198, 198],
  );
  const lines = text(items, true);
  t.true(lines.some((l) => /cc -c … -o … ×198 {2}\(total .*, max .*\)/.test(l)));
  t.true(lines.some((l) => l.includes('cc -c f57.c -o f57.o') && l.includes('exit 1')));
  t.true(lines.some((l) => l.includes('cc -c f143.c -o f143.o') && l.includes('exit 1')));
  t.is(lines.length, 8);
});

/** Every failed node of `roots` appears as an individual item somewhere in `items`. */
function failuresVisible(roots: TreeNode[], items: DisplayItem[]): boolean {
  const shown = new Set<TreeNode>();
  const walk = (list: DisplayItem[]): void => {
    for (const i of list) {
      // A group's members are hidden: a failure among them stays out of `shown`.
      if (i.type === 'node') shown.add(i.node);
      walk(i.children);
    }
  };
  walk(items);
  return flat(roots)
    .filter((n) => n.failed)
    .every((n) => shown.has(n));
}

test('dedup never hides a failure (any failing member, any depth, any filter)', (t) => {
  for (const failing of [[0], [199], [3, 4, 5], [], Array.from({ length: 200 }, (_, i) => i)]) {
    const r = replay(manyCompilesScenario(200, failing)).r;
    const roots = buildTree(r);
    t.true(failuresVisible(roots, dedupTree(roots)), `failing ${failing.length}`);
  }
  for (const f of [{}, { minDuration: 3_000_000 }, { match: /cc/ }, { depth: 1 }] as TreeFilters[]) {
    const roots = filterTree(buildTree(build.r), f);
    t.true(failuresVisible(roots, dedupTree(roots)));
  }
});

test('groupPattern: equal arguments kept, differing ones elided, --opt= prefixes kept', (t) => {
  const node = (argv: string[]): TreeNode => ({
    ...flat(buildTree(build.r))[0]!,
    argvBlob: argvBlob(argv.map((a) => Buffer.from(a))),
  });
  t.deepEqual(groupPattern([node(['x', '--o=a', 'k']), node(['x', '--o=b', 'k'])]), ['x', '--o=…', 'k']);
});

test('--env: secrets masked; with --dedup each value shown once, repeats counted', (t) => {
  const roots = filterTree(buildTree(masked.r), { match: /dev-server|^make/ });
  const plain = text(plainItems(roots), false, masked.envs);
  t.true(plain.some((l) => l.includes('API_TOKEN=‹redacted:name-token›')));
  t.true(plain.some((l) => l.includes('SESSION_SECRET=‹redacted:name-secret›')));
  t.true(plain.some((l) => l.includes('DATABASE_URL=‹redacted:name-database-url›')));
  t.false(plain.some((l) => l.includes('tok-1234567890') || l.includes('hunter2')));
  t.true(plain.some((l) => l.includes('GIT_AUTHOR_NAME=Dev Eloper')));
  t.is(plain.filter((l) => l.includes('PATH=')).length, 2);
  const dedup = text(dedupTree(roots), true, masked.envs);
  t.is(dedup.filter((l) => l.includes('PATH=')).length, 1);
  t.true(dedup.some((l) => l.includes('(8 env vars as above)')));
  t.true(dedup.some((l) => l.includes('PORT=8080')));
  // Without the redactor (--show-secrets) the values are shown as captured.
  const shown = text(plainItems(filterTree(buildTree(build.r), { match: /dev-server|^make/ })), false, build.envs);
  t.true(shown.some((l) => l.includes('postgres://app:hunter2@db.internal:5432/app')));
});

test('JSON: groups, statuses and failed execs in the documented shape', (t) => {
  const json = treeJson(dedupTree(buildTree(many.r)), { envs: null, dedup: true, startNs: many.r.capture.startNs });
  const make = json[0]!;
  if (make.type === 'group') throw new Error('root is a node');
  t.like(make, {
    type: 'exec',
    argv: ['make', '-j8'],
    status: { state: 'exited', exitCode: 2, signal: null, coreDumped: false },
    failed: true,
  });
  const g = make.children[0]!;
  t.like(g, { type: 'group', count: 198, memberType: 'exec', argvPattern: ['cc', '-c', null, '-o', null] });
  const plain = treeJson(plainItems(buildTree(build.r)), {
    envs: build.envs,
    dedup: false,
    startNs: build.r.capture.startNs,
  });
  const crash = JSON.stringify(plain).match(
    /"status":\{"state":"exited","exitCode":null,"signal":"SIGSEGV","coreDumped":true\}/,
  );
  t.truthy(crash);
  t.is(envIds(plainItems(buildTree(build.r))).size > 0, true);
});

test('an empty capture renders nothing (the command prints a note)', (t) => {
  const empty = replay(new Synth({ rootPid: 5 }));
  t.deepEqual(buildTree(empty.r), []);
  t.deepEqual(text(dedupTree([]), true), []);
});
