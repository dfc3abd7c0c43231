// The file header: fixed part checks (magic, byte order, version, sizes) and
// the TLVs after it. Every error names what was found, what was expected and
// the file.

import { bytesOf, decodeAnchor } from './decode.ts';
import { FormatError } from './errors.ts';
import {
  BYTE_ORDER_MAGIC,
  FILE_HEADER,
  FILE_HEADER_SIZE,
  FILE_MAGIC,
  OPT,
  RECORD_SIZE,
  TLV,
  TLV_HEAD,
  TLV_HEAD_SIZE,
  VERSION_MAJOR,
  VERSION_MINOR,
  WRITE_STOP,
  WRITE_STOP_SIZE,
} from './layout.ts';
import { errnoName } from './names.ts';
import { decodeStrings } from './nul-area.ts';
import type { CaptureHeader, ReadWarning, WriteStop } from './types.ts';
import { checkedAnchor } from './values.ts';

/** No ptrace header is larger (the TLVs hold a few short strings). */
export const MAX_HEADER_SIZE = 1 << 20;

const MAGIC = Buffer.from(FILE_MAGIC, 'latin1');

/** Bytes as a C-like quoted string: printable ASCII as is, \r \n \t \\ \" and \xNN otherwise. */
export function quoteBytes(b: Buffer): string {
  let s = '';
  for (const c of b) {
    if (c === 0x0d) s += '\\r';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x09) s += '\\t';
    else if (c === 0x5c) s += '\\\\';
    else if (c === 0x22) s += '\\"';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `"${s}"`;
}

/** What the fixed part of the header says, once it has been checked. */
export interface FixedHeader {
  littleEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  headerSize: number;
  recordSize: number;
}

function truncated(name: string, got: number, expected: number, what = ''): FormatError {
  return new FormatError(
    'truncated-header',
    `${name}: truncated header: ${got} bytes, expected at least ${expected}${what}`,
  );
}

/**
 * Checks the fixed 72-byte part. `buf` is the start of the file (as much of
 * it as the caller has read), `fileSize` the whole file's size.
 */
export function checkFixedHeader(buf: Buffer, name: string, fileSize = buf.length): FixedHeader {
  const have = Math.min(buf.length, fileSize);
  const m = buf.subarray(0, Math.min(have, MAGIC.length));
  if (!m.equals(MAGIC.subarray(0, m.length))) {
    throw new FormatError(
      'bad-magic',
      `${name}: not a ptrace raw file: magic is ${quoteBytes(m)} (${m.toString('hex') || 'empty'}), expected ${quoteBytes(MAGIC)}`,
    );
  }
  if (have < FILE_HEADER.byte_order + 4) throw truncated(name, fileSize, FILE_HEADER_SIZE);
  let littleEndian: boolean;
  if (buf.readUInt32LE(FILE_HEADER.byte_order) === BYTE_ORDER_MAGIC) littleEndian = true;
  else if (buf.readUInt32BE(FILE_HEADER.byte_order) === BYTE_ORDER_MAGIC) littleEndian = false;
  else {
    throw new FormatError(
      'bad-byte-order',
      `${name}: byte-order mark is ${buf.subarray(FILE_HEADER.byte_order, FILE_HEADER.byte_order + 4).toString('hex')}, expected 1a2b3c4d (big endian) or 4d3c2b1a (little endian)`,
    );
  }
  if (have < FILE_HEADER.version_minor + 2) throw truncated(name, fileSize, FILE_HEADER_SIZE);
  const dv = bytesOf(buf).dv;
  const versionMajor = dv.getUint16(FILE_HEADER.version_major, littleEndian);
  const versionMinor = dv.getUint16(FILE_HEADER.version_minor, littleEndian);
  if (versionMajor > VERSION_MAJOR) {
    const writer = writerVersion(buf, littleEndian);
    const install = writer ? `install ptrace ${writer} or newer (it wrote this file)` : 'install a newer ptrace';
    throw new FormatError(
      'version-too-new',
      `${name}: format version ${versionMajor}.${versionMinor} is newer than this ptrace reads (${VERSION_MAJOR}.x): ${install}, e.g. npm install -g ptrace@${writer || 'latest'}`,
    );
  }
  if (versionMajor < VERSION_MAJOR) {
    throw new FormatError(
      'version-unsupported',
      `${name}: format version ${versionMajor}.${versionMinor} is not supported: this ptrace reads ${VERSION_MAJOR}.x`,
    );
  }
  if (have < FILE_HEADER_SIZE) throw truncated(name, fileSize, FILE_HEADER_SIZE);
  const headerSize = dv.getUint32(FILE_HEADER.header_size, littleEndian);
  const recordSize = dv.getUint32(FILE_HEADER.record_size, littleEndian);
  if (headerSize < FILE_HEADER_SIZE || headerSize % 8 !== 0) {
    throw new FormatError(
      'bad-header-size',
      `${name}: header_size is ${headerSize}, expected a multiple of 8 that is at least ${FILE_HEADER_SIZE}`,
    );
  }
  if (headerSize > MAX_HEADER_SIZE) {
    throw new FormatError(
      'bad-header-size',
      `${name}: header_size is ${headerSize}, expected at most ${MAX_HEADER_SIZE}`,
    );
  }
  if (headerSize > fileSize) throw truncated(name, fileSize, headerSize, ' (header_size)');
  if (recordSize !== RECORD_SIZE) {
    throw new FormatError(
      'record-size',
      `${name}: event size mismatch: header says ${recordSize} bytes per record, format ${VERSION_MAJOR} has ${RECORD_SIZE}`,
    );
  }
  return { littleEndian, versionMajor, versionMinor, headerSize, recordSize };
}

/**
 * The ptrace version TLV of a file this reader cannot read (a newer major),
 * looked for on a best-effort basis to say which version to install: only a
 * short version-like string is trusted.
 */
function writerVersion(buf: Buffer, le: boolean): string | null {
  const end = Math.min(buf.length, MAX_HEADER_SIZE);
  let off = FILE_HEADER_SIZE;
  for (let n = 0; n < 64 && off + TLV_HEAD_SIZE <= end; n++) {
    const tag = le ? buf.readUInt16LE(off + TLV_HEAD.tag) : buf.readUInt16BE(off + TLV_HEAD.tag);
    const len = le ? buf.readUInt32LE(off + TLV_HEAD.len) : buf.readUInt32BE(off + TLV_HEAD.len);
    if (tag === TLV.END || len > end - off - TLV_HEAD_SIZE) return null;
    if (tag === TLV.PTRACE_VERSION) {
      const v = text(buf.subarray(off + TLV_HEAD_SIZE, off + TLV_HEAD_SIZE + len));
      return /^[0-9A-Za-z.+-]{1,40}$/.test(v) ? v : null;
    }
    off += TLV_HEAD_SIZE + ((len + 7) & ~7);
  }
  return null;
}

/** PT_TLV_WRITE_STOP's value: null while writing never stopped (all zeros). */
function writeStop(v: Buffer, le: boolean): WriteStop | null | 'malformed' {
  if (v.length < WRITE_STOP_SIZE) return 'malformed';
  const ts = le ? v.readBigUInt64LE(WRITE_STOP.ts) : v.readBigUInt64BE(WRITE_STOP.ts);
  if (ts === 0n) return null;
  const errno = le ? v.readInt32LE(WRITE_STOP.error) : v.readInt32BE(WRITE_STOP.error);
  const records = le ? v.readBigUInt64LE(WRITE_STOP.records) : v.readBigUInt64BE(WRITE_STOP.records);
  return { ts, errno, errnoName: errnoName(errno), records };
}

/** A TLV text value: UTF-8, trailing NULs dropped. */
function text(v: Buffer): string {
  let end = v.length;
  while (end > 0 && v[end - 1] === 0) end--;
  return v.toString('utf8', 0, end);
}

export interface ParseHeaderOptions {
  /** Size of the whole file when `buf` holds only its beginning (at least header_size bytes). */
  fileSize?: number;
  /** Recoverable problems found in the TLVs are appended here. */
  warnings?: ReadWarning[];
}

/** Parses and checks the file header: fixed part, then TLVs up to tag 0 or header_size. */
export function parseHeader(buf: Buffer, name = 'buffer', opts: ParseHeaderOptions = {}): CaptureHeader {
  const fileSize = opts.fileSize ?? buf.length;
  const fixed = checkFixedHeader(buf, name, fileSize);
  if (buf.length < fixed.headerSize) throw truncated(name, buf.length, fixed.headerSize, ' (header_size)');
  const le = fixed.littleEndian;
  const b = bytesOf(buf);
  const dv = b.dv;
  const options = dv.getBigUint64(FILE_HEADER.options, le);
  const h: CaptureHeader = {
    versionMajor: fixed.versionMajor,
    versionMinor: fixed.versionMinor,
    littleEndian: le,
    headerSize: fixed.headerSize,
    recordSize: fixed.recordSize,
    rootPid: dv.getUint32(FILE_HEADER.root_pid, le),
    capturePid: dv.getUint32(FILE_HEADER.capture_pid, le),
    options: {
      env: (options & BigInt(OPT.ENV)) !== 0n,
      failedExecs: (options & BigInt(OPT.FAILED_EXECS)) !== 0n,
      keepRoot: (options & BigInt(OPT.KEEP_ROOT)) !== 0n,
      files: (options & BigInt(OPT.FILES)) !== 0n,
      io: (options & BigInt(OPT.IO)) !== 0n,
      sched: (options & BigInt(OPT.SCHED)) !== 0n,
      net: (options & BigInt(OPT.NET)) !== 0n,
      dns: (options & BigInt(OPT.DNS)) !== 0n,
      dnsMessages: (options & BigInt(OPT.DNS_MSG)) !== 0n,
      raw: options,
    },
    start: checkedAnchor(decodeAnchor(b, FILE_HEADER.start, le), 'header: start.', opts.warnings),
    argsLimit: dv.getUint32(FILE_HEADER.args_limit, le),
    ringbufSize: dv.getUint32(FILE_HEADER.ringbuf_size, le),
    kernelRelease: '',
    kernelVersion: '',
    hostname: '',
    machine: '',
    ptraceVersion: '',
    captureArgv: [],
    commandArgv: [],
    bootId: '',
    osRelease: '',
    traceparent: '',
    unknownTlvs: [],
  };
  let off = FILE_HEADER_SIZE;
  while (off + TLV_HEAD_SIZE <= fixed.headerSize) {
    const tag = dv.getUint16(off + TLV_HEAD.tag, le);
    if (tag === TLV.END) break;
    const len = dv.getUint32(off + TLV_HEAD.len, le);
    const start = off + TLV_HEAD_SIZE;
    if (len > fixed.headerSize - start) {
      opts.warnings?.push({
        code: 'tlv-overrun',
        message: `header TLV with tag ${tag} at offset ${off} has ${len} bytes of value, but only ${fixed.headerSize - start} are left before header_size ${fixed.headerSize}; the rest of the header is ignored`,
      });
      break;
    }
    const v = buf.subarray(start, start + len);
    switch (tag) {
      case TLV.KERNEL_RELEASE:
        h.kernelRelease = text(v);
        break;
      case TLV.KERNEL_VERSION:
        h.kernelVersion = text(v);
        break;
      case TLV.HOSTNAME:
        h.hostname = text(v);
        break;
      case TLV.MACHINE:
        h.machine = text(v);
        break;
      case TLV.PTRACE_VERSION:
        h.ptraceVersion = text(v);
        break;
      case TLV.CAPTURE_ARGV:
        h.captureArgv = decodeStrings(v);
        break;
      case TLV.COMMAND_ARGV:
        h.commandArgv = decodeStrings(v);
        break;
      case TLV.BOOT_ID:
        h.bootId = text(v);
        break;
      case TLV.OS_RELEASE:
        h.osRelease = text(v);
        break;
      case TLV.TRACEPARENT:
        h.traceparent = text(v);
        break;
      case TLV.WRITE_STOP: {
        const stop = writeStop(v, le);
        if (stop === 'malformed') {
          opts.warnings?.push({
            code: 'bad-write-stop',
            message: `header TLV ${tag} (write stop) has ${len} bytes, expected ${WRITE_STOP_SIZE}; ignored`,
          });
        } else if (stop !== null) {
          h.writeStop = stop;
        }
        break;
      }
      default:
        h.unknownTlvs.push({ tag, value: Buffer.from(v) });
    }
    off = start + ((len + 7) & ~7);
  }
  if (h.versionMinor > VERSION_MINOR) {
    const writer = /^[0-9A-Za-z.+-]{1,40}$/.test(h.ptraceVersion) ? ` (written by ptrace ${h.ptraceVersion})` : '';
    opts.warnings?.push({
      code: 'newer-minor-version',
      message: `format version ${h.versionMajor}.${h.versionMinor}${writer} is newer than this ptrace's ${VERSION_MAJOR}.${VERSION_MINOR}: what it added is skipped; a newer ptrace shows everything`,
    });
  }
  return h;
}
