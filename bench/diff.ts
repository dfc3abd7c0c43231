#!/usr/bin/env node
// `ptrace diff` on two 100,000-process captures (figures, not a test):
// `npm run bench:diff [-- --runs N --keep]`.
//
// Synthesizes two make-like builds with testkit/synth.ts (33,333 units of
// cc → cc1 + as, a CI environment, PATH-search failed execs; ~100,000
// processes each): A with every 5000th unit failing, B with every 4000th, so
// B has outcomes that differ, processes only in one run and timing changes;
// the runs have other pids and other temp names (/tmp/ccXXXXXX.s), as reruns do.
// Then runs, as child processes (bench/rss-hook.ts reports peak RSS and CPU),
// alternating, medians over --runs (default 3):
//   - `ptrace diff A B` (text), `ptrace diff A B --json`, `ptrace diff A A`;
//   - `ptrace tree A --dedup` for scale: one load of one file and a view.
// Target: under 5 s and under 1 GiB peak RSS for `diff A B`.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticBuild } from '../testkit/synth.ts';
import { measuredCli } from './rss-figures.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const keep = args.includes('--keep');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function cli(argv: string[]): { wall: number; rssKb: number; cpuMs: number; code: number; out: number } {
  // exit 1: differences, as diff(1) says it
  const r = measuredCli(argv, { statuses: [0, 1] });
  return { wall: r.wallMs, rssKb: r.rssKb, cpuMs: r.cpuMs, code: r.status, out: r.stdout.length };
}

const dir = mkdtempSync(join(tmpdir(), 'ptrace-bench-diff-'));
const a = join(dir, 'a-100k.raw');
const b = join(dir, 'b-100k.raw');
console.log(`bench/diff: ${cpus().length} CPUs, node ${process.version}, ${runs} runs, files in ${dir}`);
const t = performance.now();
const ia = writeSyntheticBuild(a, { units: 33_333, failEvery: 5000, pathSearch: true, tmpSeed: 1, rootPid: 10_000 });
const ib = writeSyntheticBuild(b, { units: 33_333, failEvery: 4000, pathSearch: true, tmpSeed: 2, rootPid: 200_000 });
console.log(`synthesized in ${((performance.now() - t) / 1000).toFixed(1)}s:`);
console.log(`   A ${fmt(ia.events)} events / ${fmt(ia.processes)} processes (${fmt(statSync(a).size / 1048576)} MiB)`);
console.log(`   B ${fmt(ib.events)} events / ${fmt(ib.processes)} processes (${fmt(statSync(b).size / 1048576)} MiB)`);

const cases: [string, string[]][] = [
  ['diff A B', ['diff', a, b]],
  ['diff A B --json', ['diff', a, b, '--json']],
  ['diff A A', ['diff', a, a]],
  ['tree A --dedup (one file, for scale)', ['tree', a, '--dedup']],
];
const results = new Map<string, ReturnType<typeof cli>[]>(cases.map(([name]) => [name, []]));
for (let i = 0; i < runs; i++) for (const [name, argv] of cases) results.get(name)!.push(cli(argv));

console.log(`\nmedians of ${runs} runs, alternating (wall, CPU, peak RSS, exit status, output size):`);
const treeWall = median(results.get(cases[3]![0])!.map((r) => r.wall));
for (const [name] of cases) {
  const rs = results.get(name)!;
  const wall = median(rs.map((r) => r.wall));
  console.log(
    `   ${name.padEnd(38)} ${fmt(wall).padStart(6)} ms  (${(wall / treeWall).toFixed(2)}× tree)  CPU ${fmt(median(rs.map((r) => r.cpuMs)))} ms  ` +
      `RSS ${fmt(median(rs.map((r) => r.rssKb)) / 1024)} MiB  exit ${rs[0]!.code}  ${fmt(rs[0]!.out / 1024)} KiB out`,
  );
}
const main = results.get('diff A B')!;
const wall = median(main.map((r) => r.wall));
const rss = Math.max(...main.map((r) => r.rssKb)) / 1024;
console.log(
  `\ntarget: diff of two 100,000-process captures under 5 s and 1 GiB: ${fmt(wall)} ms, peak ${fmt(rss)} MiB → ${wall < 5000 && rss < 1024 ? 'met' : 'NOT met'}`,
);
if (!keep) rmSync(dir, { recursive: true, force: true });
