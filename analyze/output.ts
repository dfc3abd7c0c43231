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

/** A temporary path next to `path` (same file system, so the final rename is atomic). */
export function tempPathFor(path: string): string {
  return join(dirname(path) || '.', `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/**
 * Runs `fill(tmp)` to create the temporary file `tmp`, then fsyncs it and puts
 * it in place: renamed over `path` with `force`, else hard-linked (which
 * refuses to replace a file created meanwhile). On any failure the temporary
 * file is removed and `path` is untouched.
 */
export function writeAtomically(path: string, force: boolean, fill: (tmp: string) => void): void {
  checkOutput(path, force);
  const tmp = tempPathFor(path);
  try {
    fill(tmp);
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
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
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already gone
    }
    throw err;
  }
}

/** Writes the chunks produced by `write` to `path` atomically. */
export function writeFileAtomic(path: string, force: boolean, write: (put: (chunk: Uint8Array | string) => void) => void): void {
  writeAtomically(path, force, (tmp) => {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      write((chunk) => {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        let off = 0;
        while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      });
    } finally {
      closeSync(fd);
    }
  });
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
