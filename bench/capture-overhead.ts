// Capture overhead on a fork/exec storm: 2000 × /bin/true from a sh loop,
// untraced vs traced (default set, --no-dns, without the failed-exec hooks,
// with --io, with --sched), runs alternated, medians printed; then the same
// for a syscall-bound workload (dd bs=1), where --io hooks every read and
// write, and for 1000 loopback TCP connections (default, --no-dns: without
// the packet hooks of DNS messages, --no-net), and for a `make -j2` build of
// 200 small C files (default set, --no-dns), and the fork/exec storm of a
// shell already running that a capture attaches to (--pid) instead of
// starting it. Needs root.
//   node bench/capture-overhead.ts [--runs N] [--loops N] [--dd-count N] [--make-files N] [--only fork|dd|net|make|attach]
//                                  [--baseline-bin PATH]
// --baseline-bin adds a mode "baseline": the default set with another build of
// the capture tool (e.g. the previous release), alternated with the others.
// Prints the loop's own wall time (measured inside the traced shell, so BPF
// load/attach is excluded), the end-to-end wall time of the whole command,
// and bytes per event and per exec of the raw files.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readCapture } from '../formats/reader.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    loops: { type: 'string', default: '2000' },
    'dd-count': { type: 'string', default: '200000' },
    'make-files': { type: 'string', default: '200' },
    only: { type: 'string' },
    'baseline-bin': { type: 'string' },
  },
});
const runs = Number(values.runs);
const loops = Number(values.loops);
const captureBin =
  process.env.PTRACE_CAPTURE_BIN || fileURLToPath(new URL('../capture/build/ptrace-capture', import.meta.url));
if (process.getuid?.() !== 0) {
  console.error('bench/capture-overhead: needs root to load BPF');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'ptrace-bench-'));
const env = { PATH: '/usr/bin:/bin' };

interface Sample {
  inner: number;
  outer: number;
  file?: string;
}
const baselineBin = values['baseline-bin'];
const MODE_FLAGS: Record<string, string[] | null> = {
  untraced: null,
  traced: [],
  baseline: [],
  'no-failed-execs': ['--no-failed-execs'],
  '--io': ['--io'],
  '--sched': ['--sched'],
  'no-net': ['--no-net'],
  'no-dns': ['--no-dns'],
};

/** A finished capture unloads its programs in the background (~0.3 s of RCU waits); the next load would queue behind it. */
function waitForUnload(): void {
  for (let i = 0; i < 100 && spawnSync('pgrep', ['-x', 'ptrace-capture']).status === 0; i++)
    spawnSync('sleep', ['0.05']);
}

let workload = 0;
function run(mode: string, i: number, script: string | string[]): Sample {
  waitForUnload();
  const file = join(dir, `w${workload}-${mode}-${i}.raw`);
  const flags = MODE_FLAGS[mode];
  const command = typeof script === 'string' ? ['sh', '-c', script] : script;
  const bin = mode === 'baseline' ? baselineBin! : captureBin;
  const argv = flags === null ? command : [bin, '-q', '-f', '-o', file, ...flags, '--', ...command];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' });
  const outer = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${mode} run failed: ${r.stderr}`);
  return { inner: Number(r.stdout.trim()) / 1e6, outer, file: flags === null ? undefined : file };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function compare(title: string, script: string | string[], wanted: string[]): Record<string, Sample[]> {
  workload++;
  const modes = baselineBin ? [...wanted.slice(0, 2), 'baseline', ...wanted.slice(2)] : wanted;
  const samples: Record<string, Sample[]> = Object.fromEntries(modes.map((m) => [m, []]));
  run('untraced', -1, script); // warm the page cache
  for (let i = 0; i < runs; i++) for (const m of modes) samples[m].push(run(m, i, script));
  const base = median(samples.untraced.map((s) => s.inner));
  const baseOuter = median(samples.untraced.map((s) => s.outer));
  console.log(`${title}, ${runs} alternating runs, medians`);
  console.log('mode               workload wall  ratio   end-to-end   ratio');
  for (const m of modes) {
    const inner = median(samples[m].map((s) => s.inner));
    const outer = median(samples[m].map((s) => s.outer));
    console.log(
      `${m.padEnd(18)} ${inner.toFixed(1).padStart(8)} ms  ${(inner / base).toFixed(3)}×  ${outer.toFixed(1).padStart(8)} ms  ${(outer / baseOuter).toFixed(3)}×`,
    );
  }
  console.log('');
  return samples;
}

const timed = (body: string) => `s=$(date +%s%N); ${body}; e=$(date +%s%N); echo $((e-s))`;
const loop = timed(`i=0; while [ $i -lt ${loops} ]; do /bin/true; i=$((i+1)); done`);
const only = values.only; // fork | dd | net: one workload
const samples =
  only === undefined || only === 'fork'
    ? compare(`fork/exec: ${loops} × /bin/true from a sh loop`, loop, [
        'untraced',
        'traced',
        'no-dns',
        'no-failed-execs',
        '--io',
        '--sched',
      ])
    : null;
const ddCount = Number(values['dd-count']);
if (only === undefined || only === 'dd')
  compare(
    `syscall-bound: dd bs=1 count=${ddCount} (${2 * ddCount} read/write syscalls) inside the traced tree`,
    timed(`dd if=/dev/zero of=/dev/null bs=1 count=${ddCount} 2>/dev/null`),
    ['untraced', 'traced', '--io', '--sched'],
  );
if (only === undefined || only === 'net')
  compare(
    '1000 TCP connections to a server on 127.0.0.1 (one node process, connect + 100 bytes + close each)',
    [process.execPath, fileURLToPath(new URL('./connect-loop.mjs', import.meta.url)), '1000'],
    ['untraced', 'traced', 'no-dns', 'no-net'],
  );
/** A project of `n` small C files and a Makefile that compiles and links them. */
function makeProject(n: number): string {
  const project = join(dir, 'make-project');
  mkdirSync(project, { recursive: true });
  const names = Array.from({ length: n }, (_, i) => `f${i}`);
  for (const [i, name] of names.entries()) {
    writeFileSync(
      join(project, `${name}.c`),
      `int ${name}(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * ${i + 1}; return s; }\n`,
    );
  }
  writeFileSync(join(project, 'main.c'), 'int main(void) { return 0; }\n');
  const objects = [...names, 'main'].map((name) => `${name}.o`).join(' ');
  writeFileSync(
    join(project, 'Makefile'),
    `app: ${objects}\n\tcc -o $@ $^\n%.o: %.c\n\tcc -O1 -c -o $@ $<\nclean:\n\trm -f app *.o\n`,
  );
  return project;
}
if (only === undefined || only === 'make') {
  const makeFiles = Number(values['make-files']);
  const project = makeProject(makeFiles);
  // the clean runs first, outside the timed part (but inside the traced tree: it counts in end-to-end)
  compare(
    `make -j2: ${makeFiles} small C files compiled and linked`,
    `make -s -C ${project} clean >/dev/null; ${timed(`make -s -j2 -C ${project} >/dev/null`)}`,
    ['untraced', 'traced', 'no-dns'],
  );
}
/**
 * The fork/exec storm in a shell that is already running: untraced, or with a
 * capture attached to it (--pid) once it waits, started before the loop and
 * stopping when the shell exits. The loop times itself, as above.
 */
async function attachRun(attached: boolean, i: number): Promise<number> {
  waitForUnload();
  const go = join(dir, `go-${attached}-${i}`);
  const out = join(dir, `t-${attached}-${i}`);
  const shell = spawn(
    'sh',
    [
      '-c',
      `while [ ! -e ${go} ]; do sleep 0.01; done; ${timed(`i=0; while [ $i -lt ${loops} ]; do /bin/true; i=$((i+1)); done`)} > ${out}`,
    ],
    { env, stdio: 'ignore' },
  );
  const shellDone = new Promise((r) => shell.on('exit', r));
  let captureDone: Promise<unknown> = Promise.resolve();
  if (attached) {
    const file = join(dir, `attach-${i}.raw`);
    const cap = spawn(captureBin, ['-q', '-f', '-o', file, '--pid', String(shell.pid)], { env, stdio: 'ignore' });
    captureDone = new Promise((r) => cap.on('exit', r));
    // the walk's records are drained within 50 ms of the attach; the file then holds more than its header (~450 bytes)
    for (let t = 0; t < 400 && !(existsSync(file) && statSync(file).size > 1024); t++)
      await new Promise((r) => setTimeout(r, 10));
  }
  writeFileSync(go, '');
  await shellDone;
  await captureDone;
  return Number(readFileSync(out, 'utf8').trim()) / 1e6;
}
if (only === 'attach') {
  const times: Record<string, number[]> = { untraced: [], attached: [] };
  await attachRun(false, -1);
  for (let i = 0; i < runs; i++) {
    times.untraced!.push(await attachRun(false, i));
    times.attached!.push(await attachRun(true, i));
  }
  const base = median(times.untraced!);
  console.log(`fork/exec: ${loops} × /bin/true from a sh loop already running, ${runs} alternating runs, medians`);
  console.log('mode               workload wall  ratio');
  for (const m of ['untraced', 'attached']) {
    const v = median(times[m]!);
    console.log(`${m.padEnd(18)} ${v.toFixed(1).padStart(8)} ms  ${(v / base).toFixed(3)}×`);
  }
}
if (samples === null) {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

const last = samples.traced[samples.traced.length - 1].file!;
const capture = readCapture(last);
const size = statSync(last).size;
const records = capture.completeRecords;
const execCount = capture.events.filter((e) => e.kind === 'exec').length;
const logical = capture.events.length;
console.log(
  `raw file: ${size} bytes, ${records} records of 256 bytes, ${logical} events, ${execCount} execs, lost ${capture.footer?.lost ?? '?'}`,
);
console.log(
  `bytes per event (records incl. string chunks / logical events): ${(size / logical).toFixed(0)}; bytes per exec (whole file / execs): ${(size / execCount).toFixed(0)}`,
);
const env0 = capture.events.find((e) => e.kind === 'exec');
if (env0 && env0.kind === 'exec')
  console.log(
    `(this loop's environment is tiny: ${env0.env?.length ?? 0} variables; a CI environment of ~3 KB adds ~15 records per exec)`,
  );
rmSync(dir, { recursive: true, force: true });
