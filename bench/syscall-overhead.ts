// What the capture's syscall tracepoints (execve for failed execs, the open
// family for file opens) cost every other process on the host: enabling any
// syscall tracepoint sends every syscall through the tracing slow path. A
// syscall-bound loop (dd with 1-byte blocks, 2 syscalls per byte) outside
// the traced tree, timed with no capture running, during a default capture,
// and during one with neither hook (--no-failed-execs --no-files).
//   sudo node bench/syscall-overhead.ts [--runs N] [--count N]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, count: { type: 'string', default: '1000000' } },
});
const runs = Number(values.runs);
const count = Number(values.count);
const captureBin =
  process.env.PTRACE_CAPTURE_BIN || fileURLToPath(new URL('../capture/build/ptrace-capture', import.meta.url));
if (process.getuid?.() !== 0) {
  console.error('bench/syscall-overhead: needs root to load BPF');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'ptrace-bench-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A finished capture unloads its programs in a background child for ~0.3 s; its hooks stay live until then. */
function waitForUnload(): void {
  for (let i = 0; i < 100 && spawnSync('pgrep', ['-x', 'ptrace-capture']).status === 0; i++)
    spawnSync('sleep', ['0.05']);
}

function ddMs(): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${count}`], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('dd failed');
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function withCapture<T>(flags: string[], fn: () => T): Promise<T> {
  waitForUnload();
  const file = join(dir, `bg-${flags.join('')}.raw`);
  const child = spawn(captureBin, ['-q', '-f', '-o', file, ...flags, '--', 'sleep', '600'], { stdio: 'ignore' });
  while (!(existsSync(file) && statSync(file).size > 0)) await sleep(20);
  await sleep(100);
  try {
    return fn();
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const NO_SYSCALL_HOOKS = ['--no-failed-execs', '--no-files'];
const modes: Record<string, number[]> = { 'no capture': [], 'capture (default)': [], 'capture, no syscall hooks': [] };
ddMs();
for (let i = 0; i < runs; i++) {
  waitForUnload();
  modes['no capture'].push(ddMs());
  modes['capture (default)'].push(await withCapture([], ddMs));
  modes['capture, no syscall hooks'].push(await withCapture(NO_SYSCALL_HOOKS, ddMs));
}
const base = median(modes['no capture']);
console.log(
  `host syscall overhead: dd bs=1 count=${count} (${2 * count} read/write syscalls) in an untraced process, ${runs} alternating runs, medians`,
);
for (const [mode, xs] of Object.entries(modes)) {
  const m = median(xs);
  console.log(
    `${mode.padEnd(26)} ${m.toFixed(1).padStart(8)} ms  ${(m / base).toFixed(3)}×  ${(((m - base) * 1e6) / (2 * count)).toFixed(1)} ns/syscall`,
  );
}
rmSync(dir, { recursive: true, force: true });
