// Integrity (format 1.7): the footer's checksums, checked by `ptrace info`.
// A flipped byte anywhere in a file is reported, and located.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import test from 'ava';
import { crc32Combine } from '../../formats/integrity.ts';
import { RECORD_SIZE } from '../../formats/layout.ts';
import { infoReport } from '../../formats/summary.ts';
import { CaptureWriter, writeCapture } from '../../testkit/writer.ts';
import { SAMPLE_HEADER, sampleEvents, T0 } from '../helpers/capture.ts';

const dir = mkdtempSync(join(tmpdir(), 'ptrace-integrity-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: Buffer): string {
  const p = join(dir, `f${n++}.raw`);
  writeFileSync(p, content);
  return p;
}

/** The integrity line of `ptrace info`, or the refusal when the reader refuses the file. */
function integrity(content: Buffer): string {
  try {
    return infoReport(file(content)).integrity.text;
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
}

/** A file of `records` records (a fork storm: one record each) and a footer. */
function storm(records: number): Buffer {
  const w = new CaptureWriter(SAMPLE_HEADER);
  const p = { pid: 100, start: T0 };
  for (let i = 0; i < records; i++)
    w.write({ kind: 'fork', ts: T0 + BigInt(i), process: p, child: { pid: 1000 + i, start: T0 + BigInt(i) } });
  w.writeFooter({});
  return w.finish();
}

test('crc32Combine agrees with crc32 of the concatenation', (t) => {
  const a = Buffer.from('the first part of a file, ');
  for (const len of [0, 1, 7, 256, 1000, 65536]) {
    const b = Buffer.alloc(len, 0xa5);
    b.write('second', 0);
    t.is(crc32Combine(crc32(a), crc32(b), b.length), crc32(Buffer.concat([a, b])), `length ${len}`);
  }
});

test('a file as written is intact; every single flipped byte is reported', (t) => {
  const good = writeCapture(SAMPLE_HEADER, sampleEvents(), { footer: {} });
  t.regex(integrity(good), /^intact \(crc32 [0-9a-f]{8}\)$/);
  const missed: number[] = [];
  for (let off = 0; off < good.length; off++) {
    const bad = Buffer.from(good);
    bad[off]! ^= 0x01;
    if (integrity(bad).startsWith('intact')) missed.push(off);
  }
  t.deepEqual(missed, [], 'offsets whose flip went unnoticed');
});

test('damage is located: the header, the segment of records, the footer', (t) => {
  const good = storm(5000); // segments of 1024 records
  const header = good.length - 5001 * RECORD_SIZE;
  t.regex(integrity(good), /^intact/);
  const flip = (off: number): string => {
    const bad = Buffer.from(good);
    bad[off]! ^= 0x40;
    return integrity(bad);
  };
  t.is(flip(header - 8), 'damaged in the header');
  t.is(flip(header + 3000 * RECORD_SIZE + 40), 'damaged at records 2048–3071');
  t.is(flip(header + 4999 * RECORD_SIZE + 44), 'damaged at records 4096–4999');
  t.is(flip(good.length - RECORD_SIZE + 32), 'damaged in the footer', 'the footer record count');
  t.is(flip(good.length - RECORD_SIZE + 88), 'damaged in the footer', 'the stored crc32 itself');
});

test('segments merge as the file grows (32 full segments become 16 of twice the size)', (t) => {
  const good = storm(40_000);
  const r = infoReport(file(good));
  t.is(r.integrity.state, 'intact');
  const header = good.length - 40_001 * RECORD_SIZE;
  const bad = Buffer.from(good);
  bad[header + 39_000 * RECORD_SIZE + 40]! ^= 1;
  t.is(integrity(bad), 'damaged at records 38912–39999');
});

test('older files and files without a footer say they have no checksum', (t) => {
  const old = writeCapture({ ...SAMPLE_HEADER, versionMinor: 6 }, sampleEvents(), { footer: {} });
  t.is(integrity(old), 'no checksum (older format)');
  const cut = writeCapture(SAMPLE_HEADER, sampleEvents(), { footer: null });
  t.is(integrity(cut), 'no checksum (no footer: the capture did not finish)');
  const unsealed = writeCapture(SAMPLE_HEADER, sampleEvents(), { footer: { checksum: false } });
  t.is(integrity(unsealed), 'damaged in the footer', 'a 1.7 footer without its checksum');
});
