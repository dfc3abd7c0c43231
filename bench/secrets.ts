#!/usr/bin/env node
// What secret redaction costs the replay commands (figures, not tests):
// `npm run bench:secrets [-- --runs N]`.
//
//   1. in process: redactModel over the model of a synthesized build with
//      file opens (every string of the model through the rule set): strings/s
//      and MB/s of text, beside the time to build that model;
//   2. the commands, as child processes, default (redacted or masked) and
//      opted out, alternating, medians of wall and CPU time:
//      `tree --dedup` on 100,000 processes, `db`, `export --format jsonl` and
//      `otel --dump-otel` on the build.
// Run it on an otherwise idle machine; on a loaded one the CPU times are the
// figures to read.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '../analyze/replay/load.ts';
import type { Model } from '../analyze/replay/model.ts';
import { builtinRules, createRedactor, redactModel } from '../analyze/secrets/index.ts';
import { writeSyntheticBuild } from '../testkit/synth.ts';
import { measuredCli } from './rss-figures.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const self = fileURLToPath(import.meta.url);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

if (args[0] === '--synth') {
  const dir = args[1]!;
  const info = {
    build: writeSyntheticBuild(join(dir, 'build.raw'), { units: 3000, failEvery: 5000, pathSearch: true, opens: true }),
    tree: writeSyntheticBuild(join(dir, 'tree.raw'), { units: 33_333, failEvery: 5000, pathSearch: true }),
  };
  process.stdout.write(JSON.stringify(info));
  process.exit(0);
}

/** Every string redactModel looks at, and their total length. */
function modelText(m: Model): { strings: number; chars: number } {
  let strings = 0;
  let chars = 0;
  const add = (s: string | null): void => {
    if (s === null) return;
    strings++;
    chars += s.length;
  };
  for (const e of m.execs) {
    for (const a of e.argv.toString('utf8').split('\0')) add(a);
    add(e.exe);
    add(e.filename);
    add(e.interp);
    add(e.cwd);
    add(e.comm);
  }
  for (const v of m.envVars) add(v.value);
  for (const o of m.opens) {
    add(o.path);
    add(o.resolved);
  }
  for (const f of m.execFailures) add(f.path);
  return { strings, chars };
}

if (args[0] === '--in-process') {
  const t0 = performance.now();
  const { model } = load(args[1]!);
  const loadMs = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    redactModel(model, createRedactor(builtinRules()));
    times.push(performance.now() - t);
  }
  process.stdout.write(JSON.stringify({ loadMs, redactMs: median(times), ...modelText(model) }));
  process.exit(0);
}

function child(argv: string[]): string {
  const r = spawnSync(process.execPath, [self, ...argv], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`bench child ${argv.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function cli(argv: string[]): { wall: number; cpu: number } {
  const r = measuredCli(argv);
  return { wall: r.wallMs, cpu: r.cpuMs };
}

const dir = mkdtempSync(join(tmpdir(), 'ptrace-bench-secrets-'));
console.log(`bench/secrets: ${cpus().length} CPUs, node ${process.version}, ${runs} runs, files in ${dir}`);
const info = JSON.parse(child(['--synth', dir])) as Record<string, { events: number; processes: number }>;
console.log(
  `   build: ${fmt(info.build!.events)} events, ${fmt(info.build!.processes)} processes; tree: ${fmt(info.tree!.processes)} processes`,
);

const build = join(dir, 'build.raw');
const ip = JSON.parse(child(['--in-process', build])) as {
  loadMs: number;
  redactMs: number;
  strings: number;
  chars: number;
};
console.log('\n1. redactModel, in process (median)');
console.log(
  `   ${fmt(ip.strings)} strings, ${(ip.chars / 1e6).toFixed(1)} M characters: ${fmt(ip.redactMs)} ms ` +
    `(${fmt(ip.strings / (ip.redactMs / 1000))} strings/s, ${(ip.chars / 1e6 / (ip.redactMs / 1000)).toFixed(1)} MB/s); ` +
    `loading the model took ${fmt(ip.loadMs)} ms (redaction ${((100 * ip.redactMs) / ip.loadMs).toFixed(0)} % of it)`,
);

const out = join(dir, 'out');
const pairs: [string, string[], string[]][] = [
  ['tree --dedup (100k processes)', ['tree', join(dir, 'tree.raw'), '--dedup'], ['--show-secrets']],
  ['db', ['db', build, '-o', `${out}.sqlite`, '--force'], ['--no-redact']],
  ['export --format jsonl', ['export', build, '--format', 'jsonl', '-o', `${out}.jsonl`, '--force'], ['--no-redact']],
  ['otel --dump-otel', ['otel', build, '--dump-otel', `${out}.json`, '--force', '-q'], ['--no-redact']],
];
console.log('\n2. commands, default (secrets replaced) vs opted out, alternating, medians');
for (const [name, base, optOut] of pairs) {
  const on: { wall: number; cpu: number }[] = [];
  const off: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < runs; i++) {
    on.push(cli(base));
    off.push(cli([...base, ...optOut]));
  }
  const [w1, c1, w0, c0] = [on, on, off, off].map((xs, i) => median(xs.map((x) => (i % 2 === 0 ? x.wall : x.cpu))));
  console.log(
    `   ${name.padEnd(30)} wall ${fmt(w1!)} ms vs ${fmt(w0!)} ms (${(w1! / w0!).toFixed(2)}×), ` +
      `cpu ${fmt(c1!)} ms vs ${fmt(c0!)} ms (${(c1! / c0!).toFixed(2)}×)`,
  );
}
rmSync(dir, { recursive: true, force: true });
