// Stats figures computed in JavaScript from one scan of the rows (failed execs,
// the commands, the image names; the rows read from SQLite or taken from the
// model) must be what the SQL they replaced gave,
// kept here as the ground truth: the same counts, and ties ordered as SQLite
// orders them (UTF-8 bytes, which past U+FFFF is not JavaScript's order).

import { join } from 'node:path';
import test from 'ava';
import { buildDatabase, type Db } from '../../analyze/db/database.ts';
import { captureInfo, procInfosOfModel, readProcesses } from '../../analyze/replay/capture-info.ts';
import { load, modelOfCapture } from '../../analyze/replay/load.ts';
import { statsContext } from '../../analyze/stats/context.ts';
import { statsInputsOfModel } from '../../analyze/stats/model-inputs.ts';
import { commandStats } from '../../analyze/stats/sections/commands.ts';
import { failedExecTallyOfDb } from '../../analyze/stats/sections/failed-execs.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { Synth } from '../../testkit/synth.ts';
import { ROOT } from '../helpers/real-capture.ts';

const baseName = (c: string) => `replace(${c}, rtrim(${c}, replace(${c}, '/', '')), '')`;

function bySql(db: Db, end: bigint) {
  const images = `WITH images AS (
      SELECT x.exe,
             coalesce(lead(x.time_ns) OVER (PARTITION BY x.process_id ORDER BY x.seq), p.end_ns, :end) - x.time_ns AS dur,
             (x.seq = p.exec_count - 1 AND p.state = 'exited'
              AND (p.signal IS NOT NULL OR coalesce(p.exit_code, 0) != 0)) AS failed
      FROM execs x JOIN processes p ON p.id = x.process_id)`;
  const commands = (order: string) =>
    db
      .prepare(`${images} SELECT exe, count(*) AS count, total(dur) AS totalNs, max(dur) AS maxNs, sum(failed) AS failed
        FROM images GROUP BY exe ORDER BY ${order}, exe LIMIT 10`)
      .all({ end }) as { exe: string }[];
  const argv0 = new Map<string, string>();
  for (const [exe, a0] of db
    .prepare(
      `SELECT exe, json_extract(argv_json, '$[0]') AS a0, count(*) AS n FROM execs GROUP BY exe, a0 ORDER BY n DESC, a0`,
    )
    .raw(true)
    .all() as [string, string | null][])
    if (!argv0.has(exe) && a0 !== null) argv0.set(exe, a0.slice(a0.lastIndexOf('/') + 1));
  return {
    failedExecs: db
      .prepare(`SELECT f.path, f.errno_name AS errno, count(*) AS count,
            sum(NOT EXISTS (SELECT 1 FROM execs x WHERE x.process_id = f.process_id AND x.time_ns >= f.time_ns)) AS final
         FROM exec_failures f GROUP BY f.path, f.errno_name ORDER BY final DESC, count DESC, f.path, f.errno_name`)
      .all(),
    searchMisses: db
      .prepare(`SELECT count(*) FROM exec_failures f
         WHERE ${baseName('f.path')} = (SELECT ${baseName('x.filename')} FROM execs x
           WHERE x.process_id = f.process_id AND x.time_ns >= f.time_ns ORDER BY x.time_ns, x.seq LIMIT 1)`)
      .pluck()
      .get() as number,
    topByCount: commands('count DESC, totalNs DESC').map((c) => c.exe),
    topByTime: commands('totalNs DESC, count DESC').map((c) => c.exe),
    argv0: [...argv0].sort(),
    names: db
      .prepare(`SELECT p.id, json_extract(x.argv_json, '$[0]'), x.exe
         FROM processes p LEFT JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1`)
      .raw(true)
      .all()
      .map((r) => r as [number, string | null, string | null])
      .filter(([, a0, exe]) => a0 !== null || exe !== null)
      .map(([id, a0, exe]) => [id, ((a0 || exe || '?') as string).replace(/^.*\//, '')]),
  };
}

/** Failed execs of every kind (PATH-search misses, finals, at the time of the exec, trailing slashes), commands and argv[0]s that tie. */
function scenario(): Synth {
  const s = new Synth({ rootPid: 500 });
  const sh = s.root(['sh'], { at: 1, cwd: '/w' });
  let at = 2;
  for (let k = 0; k < 4; k++) {
    const p = s.fork(sh, at++);
    s.execFailed(p, '/usr/local/bin/gcc-12', 2, at++);
    s.execFailed(p, '/usr/bin/gcc-12/', 20, at++);
    s.execFailed(p, k % 2 === 0 ? '/x/\u{1F600}' : '/x/\uE000', 13, at);
    s.exec(p, [k < 2 ? 'cc' : 'gcc', '-c', `f${k}.c`], { at: at++, exe: '/usr/bin/gcc-12' });
    if (k === 3) s.exec(p, ['other'], { at: at++ });
    s.exit(p, at++, { code: k === 1 ? 1 : 0 });
  }
  for (const a0 of ['\uE000', '\u{1F600}']) {
    const p = s.fork(sh, at++);
    s.exec(p, [a0], { at: at++, exe: '/usr/bin/tool' });
    s.execFailed(p, '/usr/local/bin/late', 2, at++);
    s.exit(p, at++);
  }
  const q = s.fork(sh, at++);
  s.execFailed(q, '/nope/x', 2, at++);
  s.execFailed(q, '/nope/x', 13, at++);
  s.exec(q, [], { at: at++, exe: '/usr/bin/noargs' });
  s.exit(q, at++);
  const r = s.fork(sh, at++);
  s.execFailed(r, 'x', 2, at++);
  s.exit(r, at++, { signal: 9 });
  s.exit(sh, at++);
  return s;
}

test('failed execs, commands and image names: the figures of the SQL they replaced', (t) => {
  const model = modelOfCapture(readCaptureBuffer(scenario().buffer()));
  const db = buildDatabase(model);
  const capture = captureInfo(model);
  const ctx = statsContext(db, capture, readProcesses(db, capture));
  const expected = bySql(db, ctx.end);
  const tally = failedExecTallyOfDb(ctx);
  const commands = commandStats(ctx);
  t.true(expected.searchMisses > 0);
  t.true(tally.stats.some((s) => s.final > 0));
  t.deepEqual(
    {
      failedExecs: tally.stats,
      searchMisses: tally.searchMisses,
      topByCount: commands.topByCount.map((c) => c.exe),
      topByTime: commands.topByTime.map((c) => c.exe),
      argv0: [...ctx.argv0].sort(),
      names: ctx.processes.filter((p) => p.execCount > 0).map((p) => [p.id, ctx.nameOf(p.id)]),
    },
    expected,
  );
  // The same inputs from the model's rows (report): the same figures.
  t.deepEqual(procInfosOfModel(model.processes, capture), ctx.processes);
  const fromModel = statsInputsOfModel(model, capture);
  t.deepEqual(fromModel.failedExecs, tally);
  const withModel = statsContext(db, capture, readProcesses(db, capture), fromModel.execNames);
  t.deepEqual([...withModel.argv0].sort(), expected.argv0);
  t.deepEqual(
    ctx.processes.map((p) => withModel.nameOf(p.id)),
    ctx.processes.map((p) => ctx.nameOf(p.id)),
  );
  db.close();
});

test('the processes of a model are readProcesses of its database, attached and running ones included', (t) => {
  for (const sample of ['attach-server', 'failing-pipeline', 'hostile']) {
    const { model } = load(join(ROOT, 'samples', `${sample}.raw`));
    const db = buildDatabase(model);
    const capture = captureInfo(model);
    t.deepEqual(procInfosOfModel(model.processes, capture), readProcesses(db, capture), sample);
    db.close();
  }
});
