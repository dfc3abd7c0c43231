// The bytes of a raw file, as a sequential stream: plain, or a .raw.gz /
// .raw.zst file decompressed on the fly (recognized by its magic bytes, not
// its name). Used by the reader for compressed files, by the integrity check
// and by `ptrace redact`.

import { closeSync, openSync, readSync } from 'node:fs';
import { DecompressingReader } from './prefetch.ts';

export type Compression = 'gzip' | 'zstd';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** The compression a file's first bytes announce, or null (a raw file, or anything else). */
export function compressionOf(first: Buffer): Compression | null {
  if (first.subarray(0, 2).equals(GZIP_MAGIC)) return 'gzip';
  if (first.subarray(0, 4).equals(ZSTD_MAGIC)) return 'zstd';
  return null;
}

/** The compression an output name asks for: `.gz` or `.zst` at its end, else none. */
export function compressionForName(path: string): Compression | null {
  if (path.endsWith('.gz')) return 'gzip';
  if (path.endsWith('.zst')) return 'zstd';
  return null;
}

/** The first bytes of a file (fewer if it is shorter). */
export function readMagic(fd: number): Buffer {
  const b = Buffer.alloc(4);
  const n = readSync(fd, b, 0, 4, 0);
  return b.subarray(0, n);
}

/** Slot size of the decompressing worker. */
const SLOT = 4 << 20;

/** A file's bytes in order, decompressed when it is compressed. Errors are thrown as they come (fs or zlib errors). */
export class ByteStream {
  readonly compression: Compression | null;
  #fd: number;
  #pos = 0;
  #z: DecompressingReader | null = null;
  #chunk: Buffer | null = null;
  #chunkOff = 0;
  #done = false;
  #ownsFd: boolean;

  /** Reads `fd` (opened on `path`) from its start; `close()` closes it too when `ownsFd`. */
  constructor(fd: number, path: string, ownsFd = false) {
    this.#fd = fd;
    this.#ownsFd = ownsFd;
    this.compression = compressionOf(readMagic(fd));
    if (this.compression) this.#z = new DecompressingReader(path, this.compression, SLOT);
  }

  /** Fills `buf[off, off + len)` as far as the stream goes; returns the bytes read (less than `len` only at the end). */
  read(buf: Uint8Array, off: number, len: number): number {
    let done = 0;
    if (!this.#z) {
      while (done < len) {
        const n = readSync(this.#fd, buf, off + done, len - done, this.#pos);
        if (n === 0) break;
        done += n;
        this.#pos += n;
      }
      return done;
    }
    while (done < len && !this.#done) {
      if (!this.#chunk || this.#chunkOff === this.#chunk.length) {
        this.#chunk = this.#z.next();
        this.#chunkOff = 0;
        if (!this.#chunk) {
          this.#done = true;
          break;
        }
        continue;
      }
      const n = Math.min(len - done, this.#chunk.length - this.#chunkOff);
      buf.set(this.#chunk.subarray(this.#chunkOff, this.#chunkOff + n), off + done);
      this.#chunkOff += n;
      done += n;
    }
    return done;
  }

  close(): void {
    this.#z?.close();
    if (this.#ownsFd) closeSync(this.#fd);
  }
}

/** Opens `path` as a ByteStream; `close()` closes the file too. */
export function openByteStream(path: string): ByteStream {
  const fd = openSync(path, 'r');
  try {
    return new ByteStream(fd, path, true);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
