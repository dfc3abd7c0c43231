// Atomic output files, and what goes to stdout and stderr: write a temp file next to the target, fsync, then
// rename (with --force) or link (refuses to replace an existing file), so a
// reader never sees a half-written file and a failure leaves nothing behind.
// A failed write (full disk, read-only file system) is one `ptrace:` line.
// Files made from a raw file get its permission bits: an environment captured
// into a 0600 raw file never lands in a 0644 database.

import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FS_REASONS, UserError } from '../formats/errors.ts';
import { terminalText } from './format.ts';

/** Fails early (before any work) when `path` exists and `force` is not set. */
export function checkOutput(path: string, force: boolean): void {
  if (!force && existsSync(path)) throw new UserError(`${path} exists (use --force to replace it)`);
  if (!existsSync(dirname(path) || '.')) throw new UserError(`${dirname(path)}: no such directory`);
}

/**
 * The mode for files written from the raw file `input`: its read and write
 * bits (never execute, setuid or sticky), which the umask then narrows at
 * creation. 0600 when `input` cannot be inspected.
 */
export function outputModeFor(input: string): number {
  try {
    return statSync(input).mode & 0o666;
  } catch {
    return 0o600;
  }
}

/**
 * The mode of a file written from the raw file `input`: its permission bits
 * when redacted; 0600 (and a line on stderr saying so) when it holds the
 * secrets as captured.
 */
export function secretsAwareMode(input: string, output: string, redacted: boolean): number {
  if (redacted) return outputModeFor(input);
  process.stderr.write(
    `ptrace: ${terminalText(output)} holds the capture's secrets as captured (--no-redact): readable by you only (0600)\n`,
  );
  return 0o600;
}

const WRITE_REASONS: Readonly<Record<string, string>> = {
  ...FS_REASONS,
  ENOENT: 'no such file or directory', // a write's ENOENT is a missing directory
  SQLITE_FULL: 'no space left on device',
  SQLITE_READONLY: 'read-only file system',
  SQLITE_CANTOPEN: 'cannot open the file',
  SQLITE_PERM: 'permission denied',
  SQLITE_IOERR: 'input/output error',
};

/** A failed write as one line: `cannot write PATH: no space left on device (ENOSPC)`; our own errors pass through. */
export function writeError(path: string, err: unknown): Error {
  if (err instanceof UserError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    const reason =
      WRITE_REASONS[code] ??
      WRITE_REASONS[code.replace(/_.*$/, '')] ??
      WRITE_REASONS[code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1')];
    const text =
      reason ??
      String((err as Error).message ?? code)
        .split('\n')[0]!
        .replace(/^\w+: /, '');
    return new UserError(`cannot write ${path}: ${text} (${code})`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** A temporary path next to `path` (same file system, so the final rename is atomic). */
export function tempPathFor(path: string): string {
  return join(dirname(path) || '.', `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

/**
 * Creates the empty temporary file `tmp` with `mode` (umask applied), runs
 * `fill(tmp)` to write it, then fsyncs it and puts it in place: renamed over
 * `path` with `force`, else hard-linked (which refuses to replace a file
 * created meanwhile). On any failure the temporary file is removed, `path` is
 * untouched and the error is one line (writeError).
 */
export function writeAtomically(path: string, force: boolean, mode: number, fill: (tmp: string) => void): void {
  checkOutput(path, force);
  const tmp = tempPathFor(path);
  try {
    closeSync(openSync(tmp, 'wx', mode));
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
    throw writeError(path, err);
  }
}

/** Writes the chunks produced by `write` to `path` atomically. */
export function writeFileAtomic(
  path: string,
  force: boolean,
  mode: number,
  write: (put: (chunk: Uint8Array | string) => void) => void,
): void {
  writeAtomically(path, force, mode, (tmp) => {
    const fd = openSync(tmp, 'r+');
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
      process.stderr.write(`ptrace: ${writeError('standard output', err).message}\n`);
      process.exit(2);
    });
  }
  try {
    process.stdout.write(text);
  } catch (err) {
    // stdout redirected to a file writes synchronously: a full disk throws here.
    throw writeError('standard output', err);
  }
}

/** Reader warnings on stderr, one sanitized line each. */
export function printWarnings(warnings: readonly { message: string }[]): void {
  for (const w of warnings) process.stderr.write(`ptrace: warning: ${terminalText(w.message.split('\n')[0]!)}\n`);
}
