#!/usr/bin/env node
// Sharing benchmarks (figures, not tests): `node bench/redact.ts [--runs N] [--units N] [--loops N] [--no-capture]`.
//
//   1. `ptrace redact` on a synthesized make-like build (testkit/synth.ts,
//      with file opens and a ~40-variable CI environment per exec): MB/s of
//      raw input for a plain, a .raw.zst and a .raw.gz output, beside
//      `ptrace info` on the same file (one read, its checksum check), and the
//      sizes written;
//   2. (as root) the cost of `capture --redact` and of `capture -o x.raw.zst`
//      on N × /bin/true from a sh loop: the loop's own wall time (what the
//      command sees) and the end-to-end time (the sink finishing included),
//      against a plain capture and an untraced run.
// Modes alternate run by run; medians over --runs (default 5).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticBuild } from '../testkit/synth.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) || def : def;
};
const runs = opt('--runs', 5);
const units = opt('--units', 3000);
const loops = opt('--loops', 2000);
const cli = join(root, 'bin/ptrace.js');
const tool = process.env.PTRACE_CAPTURE_BIN || join(root, 'capture/build/ptrace-capture');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const MiB = 1048576;

const dir = mkdtempSync(join(tmpdir(), 'ptrace-bench-redact-'));
try {
  const input = join(dir, 'build.raw');
  const { events } = writeSyntheticBuild(input, { units, failEvery: 5000, pathSearch: true, opens: true });
  const size = statSync(input).size;
  process.stdout.write(
    `input: ${events.toLocaleString('en-US')} events, ${(size / MiB).toFixed(1)} MiB (synthesized build, ${units} units)\n\n`,
  );

  const modes: { name: string; args: string[]; out?: string }[] = [
    { name: 'ptrace info (read + checksum)', args: ['info', input] },
    { name: 'redact → .raw', args: ['redact', '-q', '-f', input, '-o', join(dir, 'out.raw')], out: 'out.raw' },
    {
      name: 'redact → .raw.zst',
      args: ['redact', '-q', '-f', input, '-o', join(dir, 'out.raw.zst')],
      out: 'out.raw.zst',
    },
    { name: 'redact → .raw.gz', args: ['redact', '-q', '-f', input, '-o', join(dir, 'out.raw.gz')], out: 'out.raw.gz' },
  ];
  const times = new Map<string, number[]>(modes.map((m) => [m.name, []]));
  for (let r = 0; r < runs; r++) {
    for (const m of modes) {
      const t0 = performance.now();
      const p = spawnSync(process.execPath, [cli, ...m.args], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (p.status !== 0) throw new Error(`${m.name}: ${p.stderr}`);
      times.get(m.name)!.push(performance.now() - t0);
    }
  }
  process.stdout.write('| command | median wall | MB/s of raw input | written |\n| --- | --- | --- | --- |\n');
  for (const m of modes) {
    const ms = median(times.get(m.name)!);
    const written = m.out ? `${(statSync(join(dir, m.out)).size / MiB).toFixed(1)} MiB` : '';
    process.stdout.write(
      `| ${m.name} | ${ms.toFixed(0)} ms | ${(size / MiB / (ms / 1000)).toFixed(1)} | ${written} |\n`,
    );
  }

  if (!args.includes('--no-capture') && process.getuid?.() === 0) {
    const loop = `s=$(date +%s%N); i=0; while [ $i -lt ${loops} ]; do /bin/true; i=$((i+1)); done; e=$(date +%s%N); echo $(((e-s)/1000000))`;
    const env = {
      PATH: '/usr/bin:/bin',
      LANG: 'C',
      PTRACE_NODE: process.execPath,
      SECRET_TOKEN: 'ghp_Fake0123456789abcdefghijklmnopqrstuv',
    };
    const cmodes: { name: string; argv: string[] }[] = [
      { name: 'untraced', argv: ['/bin/sh', '-c', loop] },
      { name: 'capture', argv: [tool, '-q', '-f', '-o', join(dir, 'c.raw'), '--', '/bin/sh', '-c', loop] },
      {
        name: 'capture -o x.raw.zst',
        argv: [tool, '-q', '-f', '-o', join(dir, 'c.raw.zst'), '--', '/bin/sh', '-c', loop],
      },
      {
        name: 'capture --redact',
        argv: [tool, '-q', '-f', '--redact', '-o', join(dir, 'r.raw'), '--', '/bin/sh', '-c', loop],
      },
      {
        name: 'capture --redact -o x.raw.zst',
        argv: [tool, '-q', '-f', '--redact', '-o', join(dir, 'r.raw.zst'), '--', '/bin/sh', '-c', loop],
      },
    ];
    const loopMs = new Map<string, number[]>(cmodes.map((m) => [m.name, []]));
    const wallMs = new Map<string, number[]>(cmodes.map((m) => [m.name, []]));
    for (let r = 0; r < runs; r++) {
      for (const m of cmodes) {
        const t0 = performance.now();
        const p = spawnSync(m.argv[0]!, m.argv.slice(1), { env, encoding: 'utf8' });
        if (p.status !== 0) throw new Error(`${m.name}: ${p.stderr}`);
        wallMs.get(m.name)!.push(performance.now() - t0);
        loopMs.get(m.name)!.push(Number(p.stdout.trim()));
      }
    }
    const base = median(loopMs.get('untraced')!);
    const baseWall = median(wallMs.get('capture')!);
    process.stdout.write(
      `\n${loops} × /bin/true, ${runs} runs, medians\n\n| mode | loop wall | end to end | end to end vs capture |\n| --- | --- | --- | --- |\n`,
    );
    for (const m of cmodes) {
      const l = median(loopMs.get(m.name)!);
      const w = median(wallMs.get(m.name)!);
      process.stdout.write(
        `| ${m.name} | ${l.toFixed(0)} ms (${(l / base).toFixed(3)}×) | ${w.toFixed(0)} ms | ${m.name === 'untraced' ? '' : `${(w / baseWall).toFixed(3)}×`} |\n`,
      );
    }
    const raw = statSync(join(dir, 'c.raw')).size;
    process.stdout.write(
      `\nfile sizes: capture ${(raw / 1024).toFixed(0)} KiB, .raw.zst ${(statSync(join(dir, 'c.raw.zst')).size / 1024).toFixed(0)} KiB, --redact ${(statSync(join(dir, 'r.raw')).size / 1024).toFixed(0)} KiB, --redact .raw.zst ${(statSync(join(dir, 'r.raw.zst')).size / 1024).toFixed(0)} KiB\n`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
