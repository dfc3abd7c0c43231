// Mutated raw files for the fuzz test (test/cli/fuzz.test.ts) and the long fuzz
// run (bench/fuzz.ts): the committed real samples plus one synthetic capture
// holding every record type, and the ways a file gets damaged or forged.
// Deterministic: everything random comes from the PRNG passed in.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA, DNS_MSG, EXEC, FILE_HEADER, FILE_HEADER_SIZE, HEAD, RECORD_SIZE, RT } from '../../formats/layout.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import type { Capture } from '../../formats/types.ts';
import {
  dnsQueryBytes,
  dnsReplyBytes,
  dnsWireScenario,
  EVERY_OPTION,
  netScenario,
  Synth,
} from '../../testkit/synth.ts';
import { prng } from './prng.ts';
import { u64Fields } from './u64-fields.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One capture with every record type (fork, thread, exec, failed exec, exit, data, open, hist, tcp, dns, dns_msg, loss, running, attached, cgroup, footer). */
export function everyRecordType(): Buffer {
  const s = new Synth({
    rootPid: 4000,
    header: {
      options: EVERY_OPTION,
    },
  });
  const sh = s.root(['sh', '-c', 'make all'], { at: 1, cwd: '/src', env: ['PATH=/usr/bin', 'HOME=/root', 'TOKEN=x'] });
  s.thread(sh, 1.5, 4100);
  const cc = s.fork(sh, 2);
  s.execFailed(cc, '/usr/local/bin/cc', 2, 2.01);
  s.exec(cc, ['cc', '-c', 'main.c', '-o', 'main.o'], { at: 2.02, exe: '/usr/bin/gcc' });
  s.open(cc, 'main.c', 2.1);
  s.open(cc, '/usr/include/missing.h', 2.2, { errno: 2 });
  s.hist(cc, 'read', 2.9, { 3: 10, 12: 2 });
  s.hist(cc, 'offcpu', 2.9, { 20: 1 });
  s.exit(cc, 3, { code: 1 });
  const curl = s.fork(sh, 4);
  s.exec(curl, ['curl', 'http://api.example/'], { at: 4.01 });
  s.dns(curl, 4.1, 'api.example', ['10.1.2.3']);
  s.dnsMessage(curl, 4.11, 'sent', '127.0.0.53', 41000, dnsQueryBytes(7, 'api.example', 'A'));
  s.dnsMessage(
    curl,
    4.12,
    'received',
    '127.0.0.53',
    41000,
    dnsReplyBytes(7, 'api.example', 'A', 0, [['api.example', 'A', '10.1.2.3']]),
  );
  s.tcp(curl, 4.2, {
    remote: '10.1.2.3',
    remotePort: 80,
    local: '192.168.1.5',
    latencyMs: 1,
    close: 5,
    sent: 100n,
    received: 2000n,
  });
  s.exit(curl, 5.5);
  s.loss(1, 3n, 6);
  s.running(sh, 7);
  const container = { cgroupId: 4242, pidNs: 4026531836, mntNs: 4026531841, netNs: 4026531840, utsNs: 4026531838 };
  const agent = s.attached(['agent', '--serve'], { at: 0.5, cwd: '/srv', env: ['A=1'], container });
  s.cgroup(4242, '/system.slice/agent.service', 0.6);
  s.run(agent, ['worker'], 6.5, 0.2);
  return s.buffer();
}

/** The mutation bases: the committed real samples, the every-record-type capture, and two scenario files. */
export function fuzzBases(): { name: string; buf: Buffer }[] {
  const dir = join(root, 'samples');
  const samples = readdirSync(dir)
    .filter((f) => f.endsWith('.raw'))
    .sort()
    .map((f) => ({ name: `samples/${f}`, buf: readFileSync(join(dir, f)) }));
  return [
    ...samples,
    { name: 'every-record-type', buf: everyRecordType() },
    { name: 'net', buf: netScenario().buffer() },
    { name: 'dns-wire', buf: dnsWireScenario().buffer() },
  ];
}

export type Rand = () => number;
export type Mutation = (b: Buffer, r: Rand, all: readonly Buffer[]) => Buffer;

const int = (r: Rand, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rand, list: readonly T[]): T => list[int(r, list.length)]!;

const littleEndian = (b: Buffer): boolean => b.length < 12 || b.readUInt32LE(FILE_HEADER.byte_order) === 0x1a2b3c4d;
/** header_size of an unmutated base file (bases are little endian). */
const headerSize = (b: Buffer): number => (b.length >= 20 ? b.readUInt32LE(FILE_HEADER.header_size) : b.length);
/** Offsets of the whole records of `b`. */
function records(b: Buffer): number[] {
  const hs = headerSize(b);
  const out: number[] = [];
  for (let off = hs; off + RECORD_SIZE <= b.length; off += RECORD_SIZE) out.push(off);
  return out;
}
/** A record of `b` (of `type` when there is one), or -1. */
function someRecord(b: Buffer, r: Rand, type?: number): number {
  const all = records(b);
  if (all.length === 0) return -1;
  const typed = type === undefined ? all : all.filter((off) => b.readUInt16LE(off + HEAD.type) === type);
  return pick(r, typed.length > 0 ? typed : all);
}

const U64_FIELDS = u64Fields();
const EXTREME_U64 = [2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 63n + 1n, 2n ** 64n - 1n, 0n, 1n];
const HUGE_U32 = [0xffffffff, 0x7fffffff, 0x80000000, 0x10000, 1 << 24, 0xfffff];

export const MUTATIONS: readonly [string, Mutation][] = [
  [
    'bit flips',
    (b, r) => {
      const m = Buffer.from(b);
      for (let i = 1 + int(r, 16); i > 0; i--) {
        const at = int(r, m.length);
        m[at] = m[at]! ^ (1 << int(r, 8));
      }
      return m;
    },
  ],
  [
    'byte run',
    (b, r) => {
      const m = Buffer.from(b);
      const at = int(r, m.length);
      const fill = pick(r, [0, 0xff, 0x80, 0x7f, -1]);
      for (let i = at; i < Math.min(m.length, at + 1 + int(r, 512)); i++) m[i] = fill < 0 ? int(r, 256) : fill;
      return m;
    },
  ],
  ['truncation anywhere', (b, r) => Buffer.from(b.subarray(0, int(r, b.length + 1)))],
  [
    'truncation at a record boundary',
    (b, r) => {
      const offs = records(b);
      const at = offs.length === 0 ? b.length : pick(r, offs) + pick(r, [0, 0, 1, RECORD_SIZE - 1, HEAD.ts + 4]);
      return Buffer.from(b.subarray(0, at));
    },
  ],
  [
    'header field',
    (b, r) => {
      const m = Buffer.from(b);
      const at = pick(r, [
        FILE_HEADER.byte_order,
        FILE_HEADER.version_major,
        FILE_HEADER.version_minor,
        FILE_HEADER.header_size,
        FILE_HEADER.record_size,
        FILE_HEADER.root_pid,
        FILE_HEADER.options,
        FILE_HEADER.start,
        FILE_HEADER.start + 8,
        FILE_HEADER.start + 16,
        FILE_HEADER.args_limit,
        FILE_HEADER_SIZE,
        FILE_HEADER_SIZE + 4,
        FILE_HEADER_SIZE + 8 + int(r, 64),
      ]);
      if (at + 8 > m.length) return m;
      if (r() < 0.3) m.writeBigUInt64LE(pick(r, EXTREME_U64), at);
      else
        m.writeUInt32LE(
          pick(r, [0, 1, 2, 8, 72, 80, 255, 256, 0xffff, 0x10000, 0xffffffff, int(r, 2 ** 32)]) >>> 0,
          at,
        );
      return m;
    },
  ],
  [
    'huge lengths',
    (b, r) => {
      const m = Buffer.from(b);
      const [type, off, size] = pick(r, [
        [RT.DATA, DATA.len, 2],
        [RT.DATA, DATA.offset, 4],
        [RT.EXEC, EXEC.argv_len, 4],
        [RT.EXEC, EXEC.env_len, 4],
        [RT.EXEC, EXEC.argc, 4],
        [RT.EXEC, EXEC.envc, 4],
        [RT.DNS_MSG, DNS_MSG.length, 4],
        [RT.DNS_MSG, DNS_MSG.captured, 4],
      ] as const);
      for (let k = 1 + int(r, 4); k > 0; k--) {
        const rec = someRecord(m, r, type);
        if (rec < 0) break;
        if (size === 2) m.writeUInt16LE(pick(r, [0xffff, 209, 208, 0]), rec + off);
        else m.writeUInt32LE(pick(r, HUGE_U32) >>> 0, rec + off);
      }
      return m;
    },
  ],
  [
    'chunks pointing nowhere',
    (b, r) => {
      const m = Buffer.from(b);
      for (let k = 1 + int(r, 8); k > 0; k--) {
        const rec = someRecord(m, r, RT.DATA);
        if (rec < 0) break;
        const what = int(r, 4);
        if (what === 0) m.writeBigUInt64LE(BigInt(int(r, 2 ** 32)) * BigInt(int(r, 2 ** 20)), rec + DATA.owner_ts);
        else if (what === 1) m.writeUInt32LE(int(r, 2 ** 32) >>> 0, rec + HEAD.tid);
        else if (what === 2) m[rec + DATA.kind] = int(r, 256);
        else m[rec + DATA.flags] = int(r, 256);
      }
      return m;
    },
  ],
  [
    'records reordered',
    (b, r) => {
      const hs = headerSize(b);
      if (hs >= b.length) return Buffer.from(b);
      const recs: Buffer[] = [];
      for (let off = hs; off < b.length; off += RECORD_SIZE) recs.push(b.subarray(off, off + RECORD_SIZE));
      for (let i = recs.length - 1; i > 0; i--) {
        if (r() < 0.3) {
          const j = int(r, i + 1);
          [recs[i], recs[j]] = [recs[j]!, recs[i]!];
        }
      }
      if (r() < 0.3 && recs.length > 0) recs.splice(int(r, recs.length), 1);
      if (r() < 0.3 && recs.length > 0) recs.push(recs[int(r, recs.length)]!);
      if (r() < 0.2 && recs.length > 0) recs.reverse();
      return Buffer.concat([b.subarray(0, hs), ...recs]);
    },
  ],
  [
    'zero-filled tail',
    (b, r) => {
      const m = Buffer.from(b);
      const from = int(r, m.length);
      m.fill(0, from);
      return r() < 0.5
        ? m
        : Buffer.concat([m, Buffer.alloc(int(r, 4) * RECORD_SIZE + int(r, 2) * int(r, RECORD_SIZE))]);
    },
  ],
  [
    'extreme u64',
    (b, r) => {
      const m = Buffer.from(b);
      const le = littleEndian(m);
      for (let k = 1 + int(r, 3); k > 0; k--) {
        const f = pick(r, U64_FIELDS);
        const rec = someRecord(m, r, f.type);
        if (rec < 0 || m.readUInt16LE(rec + HEAD.type) !== f.type) continue;
        const v = pick(r, EXTREME_U64);
        if (le) m.writeBigUInt64LE(v, rec + f.off);
        else m.writeBigUInt64BE(v, rec + f.off);
      }
      return m;
    },
  ],
  [
    'splice',
    (b, r, all) => {
      const other = pick(r, all);
      const from = int(r, other.length);
      const len = int(r, Math.min(2048, other.length - from));
      const at = int(r, b.length);
      const cut = r() < 0.5 ? len : int(r, 600);
      return Buffer.concat([
        b.subarray(0, at),
        other.subarray(from, from + len),
        b.subarray(Math.min(b.length, at + cut)),
      ]);
    },
  ],
];

/** Mutant `i` of a run: the base it came from and the mutations applied (one, sometimes two). */
export function mutant(
  bases: readonly { name: string; buf: Buffer }[],
  r: Rand,
): { base: string; mutations: string[]; buf: Buffer } {
  const base = pick(r, bases);
  const all = bases.map((x) => x.buf);
  const [name, mutate] = pick(r, MUTATIONS);
  let buf = mutate(base.buf, r, all);
  const mutations = [name];
  if (r() < 0.15) {
    const [name2, mutate2] = pick(r, MUTATIONS);
    buf = mutate2(buf, r, all);
    mutations.push(name2);
  }
  return { base: base.name, mutations, buf };
}

/**
 * The first `count` mutants of `bases` drawn from `seed` that the reader
 * accepts, read, with a label naming each (for tests that compare two ways of
 * computing the same figures on forged values); the refused ones are skipped.
 */
export function* readMutants(
  bases: readonly { name: string; buf: Buffer }[],
  seed: number,
  count: number,
): Generator<{ label: string; capture: Capture }> {
  const r = prng(seed);
  for (let i = 0; i < count; i++) {
    const m = mutant(bases, r);
    let capture: Capture;
    try {
      capture = readCaptureBuffer(m.buf);
    } catch {
      continue;
    }
    yield { label: `mutant ${i} of ${m.base} (${m.mutations.join(', ')})`, capture };
  }
}

/** Every replay command and flag family, as argv after `ptrace` (FILE and OUT are replaced). */
export const COMMANDS: readonly string[][] = [
  ['info', 'FILE'],
  ['info', '--json', 'FILE'],
  ['tree', 'FILE'],
  ['tree', '--dedup', 'FILE'],
  ['tree', '--failed', 'FILE'],
  ['tree', '--env', 'FILE'],
  ['tree', '--files', 'FILE'],
  ['tree', '--resources', 'FILE'],
  ['tree', '--net', 'FILE'],
  ['tree', '--json', 'FILE'],
  ['tree', '--pid', '4001', 'FILE'],
  ['tree', '--depth', '2', 'FILE'],
  ['tree', '--critical', 'FILE'],
  ['stats', 'FILE'],
  ['stats', '--json', 'FILE'],
  ['db', 'FILE', '-f', '-o', 'OUT.sqlite'],
  ['export', 'FILE', '--format', 'arrow', '-f', '-o', 'OUT.arrow'],
  ['export', 'FILE', '--format', 'jsonl', '-f', '-o', 'OUT.jsonl'],
  ['export', 'FILE', '--format', 'perfetto', '-f', '-o', 'OUT.pftrace'],
  ['otel', 'FILE', '-f', '--dump-otel', 'OUT.json'],
  ['diff', 'FILE', 'FILE'],
];
