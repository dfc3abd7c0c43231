// Long fuzz run over every replay command (npm run bench:fuzz -- --mutants N).
// Mutant i of seed S is made from prng(S + i) alone, so any one of them can be
// remade with --seed S --from i --mutants 1 (or taken from --save DIR). Every
// mutant goes through all the commands of test/helpers/mutants.ts COMMANDS in
// a worker (the same command classes bin/ptrace.js runs, oclif's `run`); one
// mutant in --spawn-every also runs each command as `node bin/ptrace.js` to
// check the real entry point. Prints crashes (seed, mutant, base, mutations,
// command, the first lines of the error), hangs and the peak RSS.
//
//   node bench/fuzz.ts [--mutants 10000] [--seed 1] [--from 0] [--jobs 2]
//                      [--timeout 60s] [--heap 1024] [--spawn-every 200] [--save DIR]

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { argvFor, judge, spawnCli, WorkerPool } from '../test/helpers/fuzz-runner.ts';
import { COMMANDS, fuzzBases, mutant } from '../test/helpers/mutants.ts';
import { prng } from '../test/helpers/prng.ts';

const { values: o } = parseArgs({
  options: {
    mutants: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    from: { type: 'string', default: '0' },
    jobs: { type: 'string', default: '2' },
    timeout: { type: 'string', default: '60' },
    heap: { type: 'string', default: '1024' },
    'spawn-every': { type: 'string', default: '200' },
    save: { type: 'string' },
  },
});
const mutants = Number(o.mutants);
const seed = Number(o.seed);
const from = Number(o.from);
const jobs = Math.max(1, Math.min(2, Number(o.jobs)));
const timeoutMs = Number(o.timeout) * 1000;
const heapMb = Number(o.heap);
const spawnEvery = Number(o['spawn-every']);
const GIB = 1024 * 1024;

const work = mkdtempSync(join(tmpdir(), 'ptrace-fuzz-'));
if (o.save) mkdirSync(o.save, { recursive: true });
const bases = fuzzBases();
// A whole mutant's commands share one request: its time limit grows with them.
const pool = new WorkerPool(jobs, { timeoutMs: timeoutMs * 4, heapMb, recycleAfter: 50 });
const tally = { mutants: 0, runs: 0, spawned: 0, ok: 0, exit0: 0, refused: 0, crashes: 0, hangs: 0, maxSpawnRssKb: 0 };
const problems: string[] = [];
const started = performance.now();

function report(kind: string, i: number, what: string, detail: string, buf: Buffer): void {
  if (o.save) writeFileSync(join(o.save, `seed${seed}-mutant${i}.raw`), buf);
  const line = `${kind}: seed ${seed} mutant ${i} (${what})\n    ${detail.split('\n').join('\n    ')}`;
  problems.push(line);
  console.log(line);
}

async function one(i: number): Promise<void> {
  const r = prng((seed * 0x9e3779b1 + i) >>> 0);
  const m = mutant(bases, r);
  const dir = join(work, String(i));
  mkdirSync(dir);
  const file = join(dir, 'm.raw');
  writeFileSync(file, m.buf);
  const what = `${m.base}, ${m.mutations.join(' + ')}, ${m.buf.length} bytes`;
  const argvs = COMMANDS.map((c) => argvFor(c, file, join(dir, 'out')));
  const res = await pool.run(argvs);
  tally.mutants++;
  if (tally.mutants % 500 === 0) {
    const s = (performance.now() - started) / 1000;
    console.log(
      `… ${tally.mutants} mutants, ${tally.runs} runs, ${tally.crashes} crashes, ${tally.hangs} hangs, ${s.toFixed(0)} s`,
    );
  }
  if (res.hang) {
    tally.hangs++;
    report('HANG', i, what, `over ${(timeoutMs * 4) / 1000} s for ${argvs.length} commands`, m.buf);
  } else if (res.died !== null) {
    tally.crashes++;
    report('CRASH', i, what, res.died, m.buf);
  }
  for (const x of res.results) {
    tally.runs++;
    const bad = judge(x);
    if (bad === null) {
      tally.ok++;
      if (x.code === 0) tally.exit0++;
      else tally.refused++;
    } else {
      if (bad.verdict === 'hang') tally.hangs++;
      else tally.crashes++;
      report(bad.verdict.toUpperCase(), i, `${what}; ptrace ${x.argv.join(' ')}`, bad.why, m.buf);
    }
  }
  if (spawnEvery > 0 && i % spawnEvery === 0) {
    for (const argv of argvs) {
      const x = await spawnCli(argv, { timeoutMs, heapMb });
      tally.runs++;
      tally.spawned++;
      tally.maxSpawnRssKb = Math.max(tally.maxSpawnRssKb, x.rssKb);
      if (x.hang) {
        tally.hangs++;
        report('HANG', i, `${what}; node bin/ptrace.js ${argv.join(' ')}`, `over ${timeoutMs / 1000} s`, m.buf);
        continue;
      }
      const bad = judge(x);
      if (bad !== null) {
        tally.crashes++;
        report(bad.verdict.toUpperCase(), i, `${what}; node bin/ptrace.js ${argv.join(' ')}`, bad.why, m.buf);
      } else if (x.code === 0) tally.exit0++;
      else tally.refused++;
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

let next = from;
const end = from + mutants;
async function lane(): Promise<void> {
  while (next < end) await one(next++);
}
try {
  await Promise.all(Array.from({ length: jobs }, lane));
} finally {
  pool.close();
  rmSync(work, { recursive: true, force: true });
}
const secs = (performance.now() - started) / 1000;
const maxRss = Math.max(pool.maxRssKb, tally.maxSpawnRssKb);
console.log(
  [
    `seed ${seed}, mutants ${from}..${end - 1} (${tally.mutants}), ${COMMANDS.length} commands each`,
    `runs ${tally.runs} (${tally.spawned} as node bin/ptrace.js): exit 0 ${tally.exit0}, refused with one ptrace: line ${tally.refused}`,
    `crashes ${tally.crashes}, hangs ${tally.hangs}`,
    `max RSS ${(maxRss / 1024).toFixed(0)} MiB (workers ${(pool.maxRssKb / 1024).toFixed(0)} MiB, node bin/ptrace.js ${(tally.maxSpawnRssKb / 1024).toFixed(0)} MiB)`,
    `${secs.toFixed(0)} s`,
  ].join('\n'),
);
process.exitCode = tally.crashes + tally.hangs > 0 || maxRss > GIB ? 1 : 0;
