// The I/O edge of redaction: a redacted raw file written into a file
// descriptor (its header completed in place at the end), compressed
// afterwards when the output's name asks for it (.gz, .zst: one gzip member
// or zstd frame, streamed).

import { once } from 'node:events';
import { readSync, writeSync } from 'node:fs';
import { createGzip, createZstdCompress } from 'node:zlib';
import type { Compression } from '../../formats/input.ts';
import { type RedactOptions, type RedactResult, redactRaw } from './redact.ts';

export function writeAll(fd: number, b: Uint8Array, position: number | null = null): void {
  for (let off = 0; off < b.length; ) {
    off += writeSync(fd, b, off, b.length - off, position === null ? null : position + off);
  }
}

/** Redacts what `read` gives into `fd` (a new, seekable file), header completed at the end. */
export function redactIntoFd(
  read: (buf: Buffer, off: number, len: number) => number,
  fd: number,
  o: RedactOptions,
  name: string,
): RedactResult {
  const r = redactRaw(read, (b) => writeAll(fd, b), o, name);
  if (!r.header.equals(r.firstHeader)) writeAll(fd, r.header, 0);
  return r;
}

/** Compresses the whole content of `fromFd` into `toFd` (from their starts). */
export function compressFd(fromFd: number, toFd: number, compression: Compression): Promise<void> {
  let pos = 0;
  return compressStream(
    (buf, off, len) => {
      const n = readSync(fromFd, buf, off, len, pos);
      pos += n;
      return n;
    },
    toFd,
    compression,
  );
}

/** Compresses what `read` gives (sequential, 0 at the end) into `toFd` from its start: one gzip member or zstd frame. */
export async function compressStream(
  read: (buf: Buffer, off: number, len: number) => number,
  toFd: number,
  compression: Compression,
): Promise<void> {
  const z = compression === 'gzip' ? createGzip({ level: 6 }) : createZstdCompress();
  let at = 0;
  z.on('data', (d: Buffer) => {
    try {
      writeAll(toFd, d, at);
      at += d.length;
    } catch (err) {
      z.destroy(err as Error);
    }
  });
  const done = new Promise<void>((resolve, reject) => {
    z.on('end', resolve);
    z.on('error', reject);
  });
  const buf = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    const n = read(buf, 0, buf.length);
    if (n === 0) break;
    if (!z.write(Buffer.from(buf.subarray(0, n)))) await Promise.race([once(z, 'drain'), done]);
  }
  z.end();
  await done;
}
