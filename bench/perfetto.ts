#!/usr/bin/env node
// `ptrace export --format perfetto` on 100,000 processes (figures, not a test):
// `npm run bench:perfetto [-- --runs N --keep]`.
//
// Synthesizes a make-like build of 99,994 processes with testkit/synth.ts
// (cc → cc1 + as per unit, PATH-search failed execs, a ~40-variable
// environment) and runs, as child processes of the real CLI, alternating
// within each round:
//   - `ptrace export --format perfetto` (secrets redacted, the default),
//   - the same with `--no-redact`,
//   - `ptrace tree --dedup` on the same file (what reading the file into the
//     model costs, for comparison);
// wall time, CPU time and peak RSS (bench/rss-hook.ts), medians over --runs
// (default 3), the trace's size, and each export's ratio to the tree. Target:
// under 5 s. Run it on an otherwise idle machine.

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticBuild } from '../testkit/synth.ts';
import { measuredCli } from './rss-figures.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const keep = args.includes('--keep');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mib = (kb: number): string => `${Math.round(kb / 1024)} MiB`;

const dir = mkdtempSync(join(tmpdir(), 'ptrace-bench-perfetto-'));
const raw = join(dir, 'processes-100k.raw');
try {
  // 33,333 units: 99,994 processes (make + 3 per unit, minus the failed units' as).
  const made = writeSyntheticBuild(raw, { units: 33_333, failEvery: 5000, pathSearch: true });
  console.log(
    `synthesized ${made.processes.toLocaleString('en-US')} processes, ${made.events.toLocaleString('en-US')} events, ` +
      `${Math.round(statSync(raw).size / 1048576)} MiB`,
  );
  console.log(
    `${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the start`,
  );

  const modes: { name: string; argv: (i: number) => string[] }[] = [
    {
      name: 'export --format perfetto',
      argv: (i) => ['export', raw, '--format', 'perfetto', '-o', join(dir, `r${i}.pftrace`)],
    },
    {
      name: 'export --format perfetto --no-redact',
      argv: (i) => ['export', raw, '--format', 'perfetto', '--no-redact', '-o', join(dir, `n${i}.pftrace`)],
    },
    { name: 'tree --dedup (reading the file)', argv: () => ['tree', raw, '--dedup'] },
  ];
  const figures = modes.map(() => ({ wall: [] as number[], cpu: [] as number[], rss: [] as number[] }));
  for (let run = 0; run < runs; run++) {
    modes.forEach((mode, k) => {
      const r = measuredCli(mode.argv(run), { maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' } });
      figures[k]!.wall.push(r.wallMs);
      figures[k]!.cpu.push(r.cpuMs);
      figures[k]!.rss.push(r.rssKb);
    });
  }
  const treeWall = median(figures[2]!.wall);
  console.log(`\nmedians of ${runs} runs (alternating):`);
  console.log('| command | wall | CPU | peak RSS | wall / tree --dedup |');
  console.log('| --- | --- | --- | --- | --- |');
  modes.forEach((mode, k) => {
    const f = figures[k]!;
    const wall = median(f.wall);
    console.log(
      `| ${mode.name} | ${secs(wall)} | ${secs(median(f.cpu))} | ${mib(median(f.rss))} | ${(wall / treeWall).toFixed(2)}× |`,
    );
  });
  const size = statSync(join(dir, 'r0.pftrace')).size;
  console.log(`\ntrace: ${Math.round(size / 1048576)} MiB (${Math.round(size / made.processes)} bytes per process)`);
  const exportWall = median(figures[0]!.wall);
  console.log(`target < 5 s for 100,000 processes: ${exportWall < 5000 ? 'met' : 'NOT met'} (${secs(exportWall)})`);
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end`,
  );
} finally {
  if (keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
