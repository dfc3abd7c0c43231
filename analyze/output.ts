// Atomic output files: write a temp file next to the target, fsync, then
// rename (with --force) or link (refuses to replace an existing file), so a
// reader never sees a half-written file and a failure leaves nothing behind.

import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../formats/errors.ts';

/** Fails early (before any work) when `path` exists and `force` is not set. */
export function checkOutput(path: string, force: boolean): void {
  if (!force && existsSync(path)) throw new UserError(`${path} exists (use --force to replace it)`);
  if (!existsSync(dirname(path) || '.')) throw new UserError(`${dirname(path)}: no such directory`);
}

/** Writes the chunks produced by `write` to `path` atomically. */
export function writeFileAtomic(path: string, force: boolean, write: (put: (chunk: Uint8Array | string) => void) => void): void {
  checkOutput(path, force);
  const tmp = join(dirname(path) || '.', `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let fd: number | null = openSync(tmp, 'wx', 0o644);
  try {
    write((chunk) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      let off = 0;
      while (off < buf.length) off += writeSync(fd!, buf, off, buf.length - off);
    });
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    if (force) renameSync(tmp, path);
    else {
      try {
        linkSync(tmp, path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new UserError(`${path} exists (use --force to replace it)`);
        // File systems without hard links: check, then rename.
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
        checkOutput(path, false);
        renameSync(tmp, path);
        return;
      }
      unlinkSync(tmp);
    }
  } catch (err) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw err;
  }
}

let epipeHandled = false;

/** Writes to stdout; a closed pipe (`ptrace tree … | head`) ends the process quietly. */
export function writeStdout(text: string): void {
  if (!epipeHandled) {
    epipeHandled = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  process.stdout.write(text);
}
