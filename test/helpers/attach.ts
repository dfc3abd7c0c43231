// Attached captures for real (--pid, --cgroup): the capture started in the
// background, and waiting until its walk has written the processes it found.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FILE_HEADER, HEAD, RECORD_SIZE, RT } from '../../formats/layout.ts';
import { CAPTURE_BIN, TEST_ENV, tempDir } from './real-capture.ts';

/** Starts `ptrace-capture -o FILE flags…` (no command: attach flags) in its own process group. */
export function attachAsync(flags: string[], file = join(tempDir(), 'attach.raw')) {
  const child = spawn(CAPTURE_BIN, ['-o', file, ...flags], { env: TEST_ENV, detached: true, stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (status, signal) => resolve({ status, signal, stderr })),
  );
  return { child, file, done };
}

/** Record types of the whole records written so far (the file may be growing). */
function recordTypes(file: string): number[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const head = Buffer.alloc(32);
    if (readSync(fd, head, 0, 32, 0) < 32) return [];
    const headerSize = head.readUInt32LE(FILE_HEADER.header_size);
    const types: number[] = [];
    const rec = Buffer.alloc(RECORD_SIZE);
    for (let off = headerSize; readSync(fd, rec, 0, RECORD_SIZE, off) === RECORD_SIZE; off += RECORD_SIZE)
      types.push(rec.readUInt16LE(HEAD.type));
    return types;
  } finally {
    closeSync(fd);
  }
}

/** Waits until the capture has written at least `n` PT_ATTACHED records (its walk is done once they are drained). */
export async function waitAttached(file: string, n = 1, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (recordTypes(file).filter((t) => t === RT.ATTACHED).length >= n) return;
    await sleep(20);
  }
  throw new Error(`no ${n} attached records in ${file} after ${timeoutMs} ms`);
}

/** Waits until the file has a header and at least one record drained (a --cgroup capture with nothing in it yet). */
export async function waitStarted(file: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (recordTypes(file).length > 0 || (await headerWritten(file))) return;
    await sleep(20);
  }
  throw new Error(`${file} has no header after ${timeoutMs} ms`);
}

async function headerWritten(file: string): Promise<boolean> {
  try {
    const fd = openSync(file, 'r');
    const b = Buffer.alloc(8);
    const n = readSync(fd, b, 0, 8, 0);
    closeSync(fd);
    return n === 8;
  } catch {
    return false;
  }
}

/** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid system). */
export function cgroup2Root(): string {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [before, after] = line.split(' - ');
    const fields = before?.split(' ') ?? [];
    if (after?.startsWith('cgroup2 ') && fields[3] === '/') return fields[4]!;
  }
  throw new Error('no cgroup v2 hierarchy mounted');
}

/** This process's cgroup v2 path (the `0::` line of /proc/self/cgroup). */
export function ownCgroup(): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'));
  return line!.slice(3);
}
