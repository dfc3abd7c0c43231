// The fixed-layout parts the reader decodes as a whole (payloads of tcp, dns
// and dns_msg records, rusage, histogram buckets, clock anchors, comm).
// Pure functions over bytes: no joining, no naming, no I/O. Offsets come from layout.ts; byte order is the
// file header's (a raw file may be little or big endian).

import { ANCHOR, CONTAINER, DNS, DNS_ANSWERS, DNS_MSG, HIST, HIST_BUCKETS, RUSAGE, TCP } from './layout.ts';
import type { ClockAnchor, ContainerIds, Rusage } from './types.ts';

/** A buffer and a DataView over the same bytes (build once per buffer with `bytesOf`). */
export interface Bytes {
  buf: Buffer;
  dv: DataView;
}

export function bytesOf(buf: Buffer): Bytes {
  return { buf, dv: new DataView(buf.buffer, buf.byteOffset, buf.byteLength) };
}

/** struct pt_tcp, as stored. */
export interface RawTcp {
  event: number;
  role: number;
  /** AF_INET (2) or AF_INET6 (10). */
  family: number;
  localPort: number;
  remotePort: number;
  error: number;
  connId: number;
  /** 16 bytes each, network order. */
  localAddr: Buffer;
  remoteAddr: Buffer;
  startTs: bigint;
  latencyNs: bigint;
  bytesSent: bigint;
  bytesReceived: bigint;
  retransmits: number;
  /** AT_STOP: the kernel's TCP state number (1.5); 0 otherwise. */
  tcpState: number;
  /** FAILED with error 0: the last soft error (1.5); 0 otherwise. */
  softError: number;
}

/** struct pt_dns, as stored. */
export interface RawDns {
  result: number;
  count: number;
  startTs: bigint;
  latencyNs: bigint;
  /** DNS_ANSWERS entries; family 0 past the last. */
  families: number[];
  /** DNS_ANSWERS × 16 bytes, network order. */
  addrs: Buffer[];
}

/** struct pt_dns_msg, as stored. */
export interface RawDnsMsg {
  direction: number;
  family: number;
  localPort: number;
  remotePort: number;
  length: number;
  captured: number;
  /** 16 bytes each, network order. */
  localAddr: Buffer;
  remoteAddr: Buffer;
}

/** A fixed-size char array up to its first NUL, as UTF-8. */
export function decodeCString(buf: Buffer, off: number, size: number): string {
  let end = off;
  const max = off + size;
  while (end < max && buf[end] !== 0) end++;
  return buf.toString('utf8', off, end);
}

export function decodeAnchor(b: Bytes, off: number, le: boolean): ClockAnchor {
  return {
    realtime: b.dv.getBigUint64(off + ANCHOR.realtime, le),
    boottime: b.dv.getBigUint64(off + ANCHOR.boottime, le),
    monotonic: b.dv.getBigUint64(off + ANCHOR.monotonic, le),
  };
}

/** struct pt_rusage at `off` (the struct's own start, e.g. record + EXIT.rusage). */
/**
 * struct pt_container at `off` (format 1.8); null when all zero (not
 * recorded). The cgroup id is clamped by the caller (`cgroupId` is the raw u64).
 */
export function decodeContainer(b: Bytes, off: number, le: boolean): { ids: ContainerIds; cgroupId: bigint } | null {
  const dv = b.dv;
  const cgroupId = dv.getBigUint64(off + CONTAINER.cgroup_id, le);
  const pidNs = dv.getUint32(off + CONTAINER.pid_ns, le);
  const mntNs = dv.getUint32(off + CONTAINER.mnt_ns, le);
  const netNs = dv.getUint32(off + CONTAINER.net_ns, le);
  const utsNs = dv.getUint32(off + CONTAINER.uts_ns, le);
  if (cgroupId === 0n && pidNs === 0 && mntNs === 0 && netNs === 0 && utsNs === 0) return null;
  return { ids: { cgroupId: 0, pidNs, mntNs, netNs, utsNs }, cgroupId };
}

export function decodeRusage(b: Bytes, off: number, le: boolean): Rusage {
  const dv = b.dv;
  return {
    utimeNs: dv.getBigUint64(off + RUSAGE.utime_ns, le),
    stimeNs: dv.getBigUint64(off + RUSAGE.stime_ns, le),
    runtimeNs: dv.getBigUint64(off + RUSAGE.runtime_ns, le),
    maxrssKb: dv.getBigUint64(off + RUSAGE.maxrss_kb, le),
    minFlt: dv.getBigUint64(off + RUSAGE.min_flt, le),
    majFlt: dv.getBigUint64(off + RUSAGE.maj_flt, le),
    nvcsw: dv.getBigUint64(off + RUSAGE.nvcsw, le),
    nivcsw: dv.getBigUint64(off + RUSAGE.nivcsw, le),
    rchar: dv.getBigUint64(off + RUSAGE.rchar, le),
    wchar: dv.getBigUint64(off + RUSAGE.wchar, le),
    readBytes: dv.getBigUint64(off + RUSAGE.read_bytes, le),
    writeBytes: dv.getBigUint64(off + RUSAGE.write_bytes, le),
  };
}

/** The HIST_BUCKETS u32 counts of a struct pt_hist at record `off`. */
export function decodeBuckets(b: Bytes, off: number, le: boolean): number[] {
  const out = new Array<number>(HIST_BUCKETS);
  const at = off + HIST.buckets;
  for (let i = 0; i < HIST_BUCKETS; i++) out[i] = b.dv.getUint32(at + 4 * i, le);
  return out;
}

export function decodeTcp(b: Bytes, off: number, le: boolean): RawTcp {
  const dv = b.dv;
  return {
    event: b.buf[off + TCP.event]!,
    role: b.buf[off + TCP.role]!,
    family: dv.getUint16(off + TCP.family, le),
    localPort: dv.getUint16(off + TCP.local_port, le),
    remotePort: dv.getUint16(off + TCP.remote_port, le),
    error: dv.getInt32(off + TCP.error, le),
    connId: dv.getUint32(off + TCP.conn_id, le),
    localAddr: Buffer.from(b.buf.subarray(off + TCP.local_addr, off + TCP.local_addr + 16)),
    remoteAddr: Buffer.from(b.buf.subarray(off + TCP.remote_addr, off + TCP.remote_addr + 16)),
    startTs: dv.getBigUint64(off + TCP.start_ts, le),
    latencyNs: dv.getBigUint64(off + TCP.latency_ns, le),
    bytesSent: dv.getBigUint64(off + TCP.bytes_sent, le),
    bytesReceived: dv.getBigUint64(off + TCP.bytes_received, le),
    retransmits: dv.getUint32(off + TCP.retransmits, le),
    tcpState: b.buf[off + TCP.tcp_state]!,
    softError: dv.getUint16(off + TCP.soft_error, le),
  };
}

export function decodeDns(b: Bytes, off: number, le: boolean): RawDns {
  const dv = b.dv;
  const families: number[] = [];
  const addrs: Buffer[] = [];
  for (let i = 0; i < DNS_ANSWERS; i++) {
    families.push(dv.getUint16(off + DNS.families + 2 * i, le));
    const at = off + DNS.addrs + 16 * i;
    addrs.push(Buffer.from(b.buf.subarray(at, at + 16)));
  }
  return {
    result: dv.getInt32(off + DNS.result, le),
    count: dv.getUint32(off + DNS.count, le),
    startTs: dv.getBigUint64(off + DNS.start_ts, le),
    latencyNs: dv.getBigUint64(off + DNS.latency_ns, le),
    families,
    addrs,
  };
}

export function decodeDnsMsg(b: Bytes, off: number, le: boolean): RawDnsMsg {
  const dv = b.dv;
  return {
    direction: dv.getUint8(off + DNS_MSG.direction),
    family: dv.getUint16(off + DNS_MSG.family, le),
    localPort: dv.getUint16(off + DNS_MSG.local_port, le),
    remotePort: dv.getUint16(off + DNS_MSG.remote_port, le),
    length: dv.getUint32(off + DNS_MSG.length, le),
    captured: dv.getUint32(off + DNS_MSG.captured, le),
    localAddr: Buffer.from(b.buf.subarray(off + DNS_MSG.local_addr, off + DNS_MSG.local_addr + 16)),
    remoteAddr: Buffer.from(b.buf.subarray(off + DNS_MSG.remote_addr, off + DNS_MSG.remote_addr + 16)),
  };
}
