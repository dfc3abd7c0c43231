// Runs the real native capture (BPF) on a real command. Tests that use it
// are skipped with a reason when BPF cannot be loaded here (not root, tool
// not built), except under CI=true, where they must run and so fail instead.

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import test from 'ava';
import { readCapture } from '../../formats/reader.ts';
import type { Capture, ExecEvent, ProcessKey } from '../../formats/types.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CAPTURE_BIN = process.env.PTRACE_CAPTURE_BIN || join(ROOT, 'capture/build/ptrace-capture');
export const CLI = join(ROOT, 'bin/ptrace.js');

function whyNoBpf(): string | null {
  if (process.getuid?.() !== 0) return 'not root: loading BPF needs root (run the tests with sudo)';
  try {
    accessSync(CAPTURE_BIN, constants.X_OK);
  } catch {
    return `capture tool not built at ${CAPTURE_BIN} (npm run build:capture)`;
  }
  try {
    accessSync('/sys/kernel/btf/vmlinux', constants.R_OK);
  } catch {
    return 'no kernel BTF at /sys/kernel/btf/vmlinux';
  }
  return null;
}

export const noBpfReason = whyNoBpf();
let warned = false;

/**
 * Declares a test that runs a real capture; skipped (with the reason printed once) where BPF is unavailable.
 * `serial`: runs alone, before the file's other tests (for timing-sensitive tests while others block in spawnSync).
 */
export function realCaptureTest(
  title: string,
  fn: (t: ExecutionContext) => Promise<void> | void,
  opts: { serial?: boolean } = {},
): void {
  if (noBpfReason === null) {
    (opts.serial ? test.serial : test)(title, fn);
  } else if (process.env.CI === 'true') {
    test(title, (t) => t.fail(`real-capture test cannot run under CI=true: ${noBpfReason}`));
  } else {
    if (!warned) {
      warned = true;
      process.stderr.write(`real-capture tests skipped: ${noBpfReason}\n`);
    }
    test.skip(title, fn);
  }
}

export function tempDir(prefix = 'ptrace-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CaptureResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  file: string;
  capture: Capture;
}

export interface CaptureOptions {
  flags?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  file?: string;
}

/** PATH pinned so shells do not probe a developer's PATH entries (each probe is a failed exec). */
export const TEST_ENV: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', LANG: 'C' };

/** Runs `ptrace-capture -o FILE [flags] -- command…` synchronously and reads the file back. */
export function captureSync(command: string[], opts: CaptureOptions = {}): CaptureResult {
  const file = opts.file ?? join(tempDir(), 'run.raw');
  const r = spawnSync(CAPTURE_BIN, ['-o', file, ...(opts.flags ?? []), '--', ...command], {
    cwd: opts.cwd,
    env: opts.env ?? TEST_ENV,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, file, capture: readCapture(file) };
}

/** Starts a capture in the background in its own process group (so a test can signal or kill it). */
export function captureAsync(command: string[], opts: CaptureOptions & { viaCli?: boolean } = {}) {
  const file = opts.file ?? join(tempDir(), 'run.raw');
  const args = ['-o', file, ...(opts.flags ?? []), '--', ...command];
  const child = opts.viaCli
    ? spawn(process.execPath, [CLI, 'capture', ...args], { env: { ...TEST_ENV, ...opts.env }, detached: true })
    : spawn(CAPTURE_BIN, args, { env: opts.env ?? TEST_ENV, detached: true });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (status, signal) => resolve({ status, signal, stderr })),
  );
  return { child, file, done };
}

export const sameProcess = (a: ProcessKey, b: ProcessKey) => a.pid === b.pid && a.start === b.start;
export const keyOf = (p: ProcessKey) => `${p.pid}@${p.start}`;

export const text = (b: Buffer) => b.toString('utf8');
export const argvText = (e: ExecEvent) => e.argv.map(text);

export function execs(capture: Capture): ExecEvent[] {
  return capture.events.filter((e): e is ExecEvent => e.kind === 'exec');
}

/** The exec whose argv equals `argv` exactly; fails the test when there is not exactly one. */
export function execWithArgv(t: ExecutionContext, capture: Capture, argv: string[]): ExecEvent {
  const found = execs(capture).filter((e) => JSON.stringify(argvText(e)) === JSON.stringify(argv));
  t.is(
    found.length,
    1,
    `one exec with argv ${JSON.stringify(argv)}; execs: ${execs(capture)
      .map((e) => JSON.stringify(argvText(e)))
      .join(' ')}`,
  );
  return found[0];
}

export function cc(t: ExecutionContext, source: string, output: string, extra: string[] = []): void {
  const r = spawnSync('cc', ['-O1', '-o', output, source, ...extra], { encoding: 'utf8' });
  if (r.status !== 0) t.fail(`cc failed: ${r.stderr}`);
}
