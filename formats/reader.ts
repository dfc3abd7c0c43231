// Reading a raw file: the I/O edge around header.ts (header checks) and
// assemble.ts (records → events). Bad files give a FormatError or a Capture
// with warnings, never anything else; unreadable paths give a UserError.

import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { Assembler } from './assemble.ts';
import { bytesOf } from './decode.ts';
import { FormatError, FS_REASONS, UserError } from './errors.ts';
import { checkFixedHeader, parseHeader } from './header.ts';
import { ByteStream, compressionOf, readMagic } from './input.ts';
import { RECORD_SIZE } from './layout.ts';
import { PrefetchingReader } from './prefetch.ts';
import type { Capture, CaptureEvent, CaptureHeader, ReadWarning, WriteStop } from './types.ts';

export { CHUNK_WINDOW } from './assemble.ts';
export type { FixedHeader, ParseHeaderOptions } from './header.ts';
export { checkFixedHeader, MAX_HEADER_SIZE, parseHeader, quoteBytes } from './header.ts';
export { execAreas } from './records/index.ts';

/** Records per read in the streaming reader (4 MiB). */
const STREAM_RECORDS = 16384;
const STREAM_CHUNK = STREAM_RECORDS * RECORD_SIZE;

/** Files bigger than this are read ahead on a worker thread (formats/prefetch.ts); the thread costs ~30 ms to start. */
export const PREFETCH_ABOVE = 32 << 20;

/** The records of a file in consecutive chunks of STREAM_CHUNK bytes (the last one shorter, possibly empty). */
interface ChunkSource {
  /** The next chunk, valid until the following call; null after the last. */
  next(): Buffer | null;
  close(): void;
}

/** Reads the chunks in turn into one buffer. */
function directChunks(fd: number, position: number): ChunkSource {
  const chunk = Buffer.allocUnsafe(STREAM_CHUNK);
  let pos = position;
  let done = false;
  return {
    next() {
      if (done) return null;
      const n = readFull(fd, chunk, chunk.length, pos);
      pos += n;
      done = n < chunk.length;
      return chunk.subarray(0, n);
    },
    close() {},
  };
}

/** STREAM_CHUNK-sized chunks of a sequential stream, the first starting with `leftover`. */
function streamChunks(stream: ByteStream, leftover: Buffer): ChunkSource {
  const chunk = Buffer.allocUnsafe(STREAM_CHUNK);
  let first: Buffer | null = leftover;
  let done = false;
  return {
    next() {
      if (done) return null;
      let n = 0;
      if (first) {
        n = first.copy(chunk, 0);
        first = null;
      }
      n += stream.read(chunk, n, chunk.length - n);
      done = n < chunk.length;
      return chunk.subarray(0, n);
    },
    close() {},
  };
}

/** What the tail of the file says once the records have been walked. */
function tailWarnings(
  warnings: ReadWarning[],
  a: Assembler,
  tailBytes: number,
  stop?: WriteStop,
  startBoottime = 0n,
): void {
  if (a.footer !== null) {
    if (tailBytes > 0) {
      warnings.push({
        code: 'garbage-after-footer',
        message: `${tailBytes} bytes of garbage after the footer (ignored)`,
      });
    }
    return;
  }
  if (tailBytes > 0) {
    warnings.push({
      code: 'partial-record',
      message: `the last record is cut short: ${tailBytes} bytes, expected ${RECORD_SIZE} (ignored)`,
    });
  }
  if (stop) {
    const after = Number((stop.ts - startBoottime) / 1000n) / 1e6;
    warnings.push({
      code: 'write-stopped',
      message: `no footer: the capture stopped writing at +${after}s (${stop.errnoName === 'ENOSPC' ? 'disk full' : stop.errnoName}); read ${a.records} complete records`,
    });
    return;
  }
  warnings.push({
    code: 'no-footer',
    message: `no footer: the capture did not finish (crash, SIGKILL or full disk); read ${a.records} complete records`,
  });
}

function result(name: string, header: CaptureHeader, a: Assembler, warnings: ReadWarning[]): Omit<Capture, 'events'> {
  return {
    path: name,
    header,
    footer: a.footer,
    recordCounts: a.recordCounts(),
    completeRecords: a.records,
    warnings,
  };
}

/** Reads a whole raw file held in memory. `name` is used in messages and as `path`. */
export function readCaptureBuffer(buf: Buffer, name = 'buffer'): Capture {
  const warnings: ReadWarning[] = [];
  const header = parseHeader(buf, name, { warnings });
  const events: CaptureEvent[] = [];
  const a = new Assembler(header, (e) => events.push(e), warnings);
  const b = bytesOf(buf);
  let off = header.headerSize;
  const end = header.headerSize + Math.floor((buf.length - header.headerSize) / RECORD_SIZE) * RECORD_SIZE;
  while (off < end) {
    const used = a.record(b, off, end);
    off += RECORD_SIZE * Math.max(used, 1);
    if (used === 0) break;
  }
  a.finish();
  tailWarnings(warnings, a, buf.length - off, header.writeStop, header.start.boottime);
  return { ...result(name, header, a, warnings), events };
}

/** fs errors → one-line UserError; our own errors pass through. */
function fsError(path: string, err: unknown): Error {
  if (err instanceof UserError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return new UserError(`cannot read ${path}: ${FS_REASONS[e.code] ?? e.message} (${e.code})`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Reads a raw file into memory and decodes it. */
export function readCapture(path: string): Capture {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw fsError(path, err);
  }
  const compression = compressionOf(buf);
  if (compression) {
    try {
      buf = compression === 'gzip' ? gunzipSync(buf) : zstdDecompressSync(buf);
    } catch (err) {
      throw decompressError(path, err);
    }
  }
  return readCaptureBuffer(buf, path);
}

function readFull(fd: number, buf: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * Reads a raw file in 4 MiB chunks, calling `onEvent` for each event in file
 * order without keeping them: memory stays flat however big the file is.
 * Files over `prefetchAbove` bytes are read one chunk ahead on a worker thread.
 * `onHeader` gets the parsed header before the first event.
 */
export function readCaptureStream(
  path: string,
  onEvent: (e: CaptureEvent) => void,
  opts: { prefetchAbove?: number; onHeader?: (header: CaptureHeader) => void } = {},
): Omit<Capture, 'events'> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fsError(path, err);
  }
  let stream: ByteStream | null = null;
  try {
    const compressed = compressionOf(readMagic(fd)) !== null;
    if (compressed) stream = new ByteStream(fd, path);
    const sequential = stream;
    const readAt = (buf: Buffer, length: number, position: number): number =>
      sequential ? sequential.read(buf, position, length - position) : readFull(fd, buf, length, position);
    const prefix = Buffer.alloc(compressed ? 64 * 1024 : Math.min(fstatSync(fd).size, 64 * 1024));
    const got = readAt(prefix, prefix.length, 0);
    // a compressed file's size is known only once it is read: as large as can be until then
    const size = compressed ? (got < prefix.length ? got : Number.MAX_SAFE_INTEGER) : fstatSync(fd).size;
    let head = prefix.subarray(0, got);
    const fixed = checkFixedHeader(head, path, size);
    if (head.length < fixed.headerSize) {
      const whole = Buffer.alloc(fixed.headerSize);
      head.copy(whole);
      const n = head.length + readAt(whole, whole.length, head.length);
      head = whole;
      if (n < head.length) {
        throw new FormatError(
          'truncated-header',
          `${path}: truncated header: ${n} bytes, expected at least ${fixed.headerSize} (header_size)`,
        );
      }
    }
    const warnings: ReadWarning[] = [];
    const header = parseHeader(head, path, { fileSize: size, warnings });
    opts.onHeader?.(header);
    const a = new Assembler(header, onEvent, warnings);
    const prefetch = !sequential && size - header.headerSize > (opts.prefetchAbove ?? PREFETCH_ABOVE);
    const chunks = sequential
      ? streamChunks(sequential, head.subarray(header.headerSize))
      : prefetch
        ? new PrefetchingReader(fd, header.headerSize, STREAM_CHUNK)
        : directChunks(fd, header.headerSize);
    let pos = header.headerSize;
    let tail = 0;
    try {
      for (let chunk: Buffer | null; (chunk = chunks.next()) !== null; ) {
        const n = chunk.length;
        const b = bytesOf(chunk);
        const whole = n - (n % RECORD_SIZE);
        let off = 0;
        let more = true;
        while (more && off < whole) {
          const used = a.record(b, off, whole);
          off += RECORD_SIZE * Math.max(used, 1);
          more = used > 0;
        }
        pos += off;
        if (!more) {
          tail = sequential ? n - off + drain(sequential) : Math.max(0, size - pos);
          break;
        }
        if (n < STREAM_CHUNK) {
          tail = n - whole;
          break;
        }
      }
    } finally {
      chunks.close();
    }
    a.finish();
    tailWarnings(warnings, a, tail, header.writeStop, header.start.boottime);
    return result(path, header, a, warnings);
  } catch (err) {
    throw stream ? decompressError(path, err) : fsError(path, err);
  } finally {
    stream?.close();
    closeSync(fd);
  }
}

/** Reads a stream to its end; returns the bytes there were. */
function drain(stream: ByteStream): number {
  const scratch = Buffer.allocUnsafe(1 << 20);
  let total = 0;
  for (let n = 0; (n = stream.read(scratch, 0, scratch.length)) > 0; ) total += n;
  return total;
}

/** A zlib error of a compressed file (damaged or cut short) → one line. */
function decompressError(path: string, err: unknown): Error {
  if (err instanceof UserError || err instanceof FormatError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') return fsError(path, err);
  return new UserError(`cannot decompress ${path}: ${e instanceof Error ? e.message : String(e)}`);
}

/** Wall-clock time (CLOCK_REALTIME ns) of a CLOCK_BOOTTIME timestamp, through the header's start anchor. */
export function wallClockNs(header: CaptureHeader, ts: bigint): bigint {
  return header.start.realtime + (ts - header.start.boottime);
}

/** ISO 8601 UTC with microseconds, e.g. 2025-06-15T12:00:00.123456Z (out-of-range values as `<ns>ns`). */
export function isoMicros(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const d = new Date(Number(ms));
  if (ns < 0n || Number.isNaN(d.getTime())) return `${ns}ns`;
  const micros = ((ns / 1000n) % 1_000_000n).toString().padStart(6, '0');
  return `${d.toISOString().slice(0, 19)}.${micros}Z`;
}
