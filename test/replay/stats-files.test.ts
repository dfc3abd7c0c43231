// The files section of `stats` (analyze/stats/sections/files.ts) is tallied in
// JavaScript from the open rows; SQLite's GROUP BY over the opens table is the
// ground truth it must match: counts, distinct processes, and ties ordered by
// the paths' UTF-8 bytes (past U+FFFF, JavaScript's own string order differs).

import test from 'ava';
import { buildDatabase, type Db } from '../../analyze/db/database.ts';
import { modelOfCapture } from '../../analyze/replay/load.ts';
import type { OpenRow } from '../../analyze/replay/model.ts';
import { compareUtf8 } from '../../analyze/stats/context.ts';
import { OpenTally, openTallyOf } from '../../analyze/stats/sections/files.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { filesScenario, Synth } from '../../testkit/synth.ts';

const PATH = `coalesce(resolved_path, CASE WHEN dirfd = -100 THEN path ELSE '<fd ' || dirfd || '>/' || path END)`;
const TOP = 10;

/** The section as SQL computed it. */
function bySql(db: Db) {
  const q = <T>(sql: string, params: Record<string, unknown> = {}): T[] => db.prepare(sql).all(params) as T[];
  const one = <T>(sql: string): T => db.prepare(sql).pluck().get() as T;
  return {
    opens: one<number>('SELECT count(*) FROM opens'),
    failed: one<number>('SELECT count(*) FROM opens WHERE fd IS NULL'),
    distinctPaths: one<number>(`SELECT count(DISTINCT ${PATH}) FROM opens`),
    topPaths: q(
      `SELECT ${PATH} AS path, count(*) AS count, count(DISTINCT process_id) AS processes FROM opens
       WHERE fd IS NOT NULL GROUP BY 1 ORDER BY count DESC, path LIMIT ${TOP}`,
    ),
    written: q(
      `SELECT ${PATH} AS path, count(*) AS count, count(DISTINCT process_id) AS processes FROM opens
       WHERE fd IS NOT NULL AND (flags & 67) != 0 GROUP BY 1 ORDER BY count DESC, path LIMIT ${TOP}`,
    ),
    failedByErrno: q<{ errno: string; count: number }>(
      `SELECT errno_name AS errno, count(*) AS count FROM opens WHERE fd IS NULL GROUP BY 1 ORDER BY count DESC, errno`,
    ).map((r) => ({
      ...r,
      examples: q<{ p: string }>(
        `SELECT ${PATH} AS p, count(*) AS n FROM opens WHERE fd IS NULL AND errno_name = :e GROUP BY 1 ORDER BY n DESC, p LIMIT 3`,
        { e: r.errno },
      ).map((x) => x.p),
    })),
  };
}

function byTally(t: OpenTally) {
  return {
    opens: t.opens,
    failed: t.failed,
    distinctPaths: t.distinctPaths,
    topPaths: t.topPaths(TOP),
    written: t.topPaths(TOP, true),
    failedByErrno: t.failedByErrno(),
  };
}

/** Opens whose paths tie on counts and differ where UTF-16 and UTF-8 orders disagree, relative and dirfd paths, several processes. */
function tiesScenario(): Synth {
  const s = new Synth({ rootPid: 700, header: { options: { files: true } } });
  const sh = s.root(['sh'], { at: 1, cwd: '/w' });
  const names = [
    '/x/\u{1F600}',
    '/x/\uE000',
    '/x/\uFFFD',
    '/x/z',
    '/x/Z',
    '/x/é',
    'rel',
    '/x/a\u{10000}',
    '/x/a\uFFFF',
  ];
  let at = 2;
  for (let k = 0; k < 3; k++) {
    const p = s.fork(sh, at++);
    s.exec(p, ['cc'], { at: at++ });
    for (const n of names) {
      s.open(p, n, at++, { flags: k === 1 ? 0o101 : 0 });
      s.open(p, n, at++, { errno: k === 2 ? 13 : 2 });
    }
    s.open(p, 'dirrel', at++, { dirfd: 7 });
    s.open(p, 'dirrel', at++, { dirfd: 7, errno: 2 });
    s.exit(p, at++);
  }
  for (const n of names.slice(0, 4)) s.open(sh, n, at++);
  // Past 32 processes a path's distinct processes go to a bitmap.
  for (let k = 0; k < 40; k++) {
    const p = s.fork(sh, at++);
    s.exec(p, ['ld'], { at: at++ });
    s.open(p, '/lib/libc.so.6', at++);
    s.open(p, '/lib/libc.so.6', at++);
    if (k % 3 === 0) s.open(p, 'a.out', at++, { flags: 0o1101, fd: 4 });
    s.exit(p, at++);
  }
  s.exit(sh, at++);
  return s;
}

for (const [name, scenario] of [
  ['files scenario', filesScenario],
  ['ties past U+FFFF', tiesScenario],
] as const) {
  test(`${name}: the tally of the rows as they are read, and of the opens table, give SQL's figures`, (t) => {
    const buf = scenario().buffer();
    const model = modelOfCapture(readCaptureBuffer(buf));
    t.true(model.opens.length > 20);
    const db = buildDatabase(model);
    const expected = bySql(db);
    if (name !== 'files scenario') t.like(expected.topPaths[0], { path: '/lib/libc.so.6', count: 80, processes: 40 });
    t.deepEqual(byTally(openTallyOf(model.opens)), expected);
    // The loader's rows carry provisional process ids (creation numbers): distinct counts do not change.
    const streamed = new OpenTally();
    for (const row of model.opens) streamed.add({ ...row, processId: row.processId + 1000 } satisfies OpenRow);
    t.deepEqual(byTally(streamed), expected);
    db.close();
  });
}

test('compareUtf8: code point order, as SQLite compares UTF-8 bytes', (t) => {
  const words = ['\u{1F600}', '\uE000', '\uFFFD', 'a', '\u{10000}', '\uFFFF', 'ab', ''];
  const bytes = [...words].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  t.deepEqual([...words].sort(compareUtf8), bytes);
  t.notDeepEqual([...words].sort(), bytes); // JavaScript's default order differs here
});
