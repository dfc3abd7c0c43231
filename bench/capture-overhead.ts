// Capture overhead on a fork/exec storm: 2000 × /bin/true from a sh loop,
// untraced vs traced, runs alternated, medians printed. Needs root.
//   node bench/capture-overhead.ts [--runs N] [--loops N]
// Prints the loop's own wall time (measured inside the traced shell, so BPF
// load/attach is excluded), the end-to-end wall time of the whole command,
// and bytes per event and per exec of the raw files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../formats/reader.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, loops: { type: 'string', default: '2000' } } });
const runs = Number(values.runs);
const loops = Number(values.loops);
const captureBin = process.env.PTRACE_CAPTURE_BIN || fileURLToPath(new URL('../capture/build/ptrace-capture', import.meta.url));
if (process.getuid?.() !== 0) {
  console.error('bench/capture-overhead: needs root to load BPF');
  process.exit(1);
}

const loop = `s=$(date +%s%N); i=0; while [ $i -lt ${loops} ]; do /bin/true; i=$((i+1)); done; e=$(date +%s%N); echo $((e-s))`;
const dir = mkdtempSync(join(tmpdir(), 'ptrace-bench-'));
const env = { PATH: '/usr/bin:/bin' };

interface Sample { inner: number; outer: number; file?: string }
function run(mode: string, i: number): Sample {
  const file = join(dir, `${mode}-${i}.raw`);
  const argv =
    mode === 'untraced' ? ['sh', '-c', loop]
      : [captureBin, '-q', '-f', '-o', file, ...(mode === 'no-failed-execs' ? ['--no-failed-execs'] : []), '--', 'sh', '-c', loop];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' });
  const outer = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${mode} run failed: ${r.stderr}`);
  return { inner: Number(r.stdout.trim()) / 1e6, outer, file: mode === 'untraced' ? undefined : file };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const modes = ['untraced', 'traced', 'no-failed-execs'];
const samples: Record<string, Sample[]> = Object.fromEntries(modes.map((m) => [m, []]));
run('untraced', -1); // warm the page cache
for (let i = 0; i < runs; i++) for (const m of modes) samples[m].push(run(m, i));

const base = median(samples.untraced.map((s) => s.inner));
const baseOuter = median(samples.untraced.map((s) => s.outer));
console.log(`capture overhead: ${loops} × /bin/true from a sh loop, ${runs} alternating runs, medians`);
console.log('mode               loop wall    ratio   end-to-end   ratio');
for (const m of modes) {
  const inner = median(samples[m].map((s) => s.inner));
  const outer = median(samples[m].map((s) => s.outer));
  console.log(`${m.padEnd(18)} ${inner.toFixed(1).padStart(7)} ms  ${(inner / base).toFixed(3)}×  ${outer.toFixed(1).padStart(8)} ms  ${(outer / baseOuter).toFixed(3)}×`);
}

const last = samples.traced[samples.traced.length - 1].file!;
const capture = readCapture(last);
const size = statSync(last).size;
const records = capture.completeRecords;
const execCount = capture.events.filter((e) => e.kind === 'exec').length;
const logical = capture.events.length;
console.log(`raw file: ${size} bytes, ${records} records of 256 bytes, ${logical} events, ${execCount} execs, lost ${capture.footer?.lost ?? '?'}`);
console.log(`bytes per event (records incl. string chunks / logical events): ${(size / logical).toFixed(0)}; bytes per exec (whole file / execs): ${(size / execCount).toFixed(0)}`);
const env0 = capture.events.find((e) => e.kind === 'exec');
if (env0 && env0.kind === 'exec') console.log(`(this loop's environment is tiny: ${env0.env?.length ?? 0} variables; a CI environment of ~3 KB adds ~15 records per exec)`);
rmSync(dir, { recursive: true, force: true });
