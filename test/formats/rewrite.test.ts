// formats/rewrite.ts, the record-by-record writer behind `ptrace redact`:
// an identity rewrite reads back as the same capture, strings that grow are
// split into more chunks, and the result is a checked, intact file.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { verifyIntegrity } from '../../formats/integrity.ts';
import { DK, RT } from '../../formats/layout.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { type RewriteHooks, rewriteRaw } from '../../formats/rewrite.ts';
import type { Capture } from '../../formats/types.ts';
import { ROOT, tempDir } from '../helpers/real-capture.ts';

const identity: RewriteHooks = {
  header: (_fixed, tlvs) => tlvs,
  owner: () => {},
  string: (_kind, bytes) => bytes,
  finalHeader: (h) => h,
};

function rewrite(input: Buffer, hooks: RewriteHooks): Buffer {
  let pos = 0;
  const parts: Buffer[] = [];
  rewriteRaw(
    (buf, off, len) => {
      const n = input.copy(buf, off, pos, Math.min(input.length, pos + len));
      pos += n;
      return n;
    },
    (b) => parts.push(Buffer.from(b)),
    hooks,
    'input',
  );
  return Buffer.concat(parts);
}

const withoutChecksum = (c: Capture) => ({ ...c.footer, checksum: null });

for (const sample of ['make-build', 'git-workflow', 'failing-pipeline', 'hostile']) {
  test(`an identity rewrite of samples/${sample}.raw reads back as the same capture, intact`, (t) => {
    const input = readFileSync(join(ROOT, `samples/${sample}.raw`));
    const output = rewrite(input, identity);
    const a = readCaptureBuffer(input);
    const b = readCaptureBuffer(output);
    t.deepEqual(b.events, a.events);
    t.deepEqual(withoutChecksum(b), withoutChecksum(a));
    t.deepEqual(b.header, a.header);
    t.deepEqual(b.recordCounts, a.recordCounts);
    const file = join(tempDir(), 'copy.raw');
    writeFileSync(file, output);
    t.deepEqual(verifyIntegrity(file, b.header, b.footer, b.completeRecords - 1).state, 'intact');
  });
}

test('a string that grows is split into more chunks; other strings and records are untouched', (t) => {
  const input = readFileSync(join(ROOT, 'samples/git-workflow.raw'));
  const long = Buffer.alloc(1000, 'x');
  const output = rewrite(input, {
    ...identity,
    string: (kind, bytes, ownerType) =>
      kind === DK.CWD && ownerType === RT.EXEC ? Buffer.concat([bytes, Buffer.from('/'), long]) : bytes,
  });
  const a = readCaptureBuffer(input);
  const b = readCaptureBuffer(output);
  t.deepEqual(b.warnings, a.warnings);
  t.is(b.events.length, a.events.length);
  let execs = 0;
  let moreChunks = 0;
  const chunks = (n: number) => Math.max(1, Math.ceil(n / 208));
  b.events.forEach((e, i) => {
    const o = a.events[i]!;
    if (e.kind === 'exec' && o.kind === 'exec') {
      execs++;
      moreChunks += chunks(o.cwd.bytes.length + 1001) - chunks(o.cwd.bytes.length);
      t.deepEqual(e.cwd.bytes, Buffer.concat([o.cwd.bytes, Buffer.from('/'), long]));
      t.deepEqual({ ...e, cwd: o.cwd }, o);
    } else t.deepEqual(e, o);
  });
  t.true(execs > 10);
  t.is(b.recordCounts.data, a.recordCounts.data! + moreChunks, 'each cwd split into 208-byte chunks again');
});

test('a dropped string leaves its owner without it; the owner still completes', (t) => {
  const input = readFileSync(join(ROOT, 'samples/make-build.raw'));
  const output = rewrite(input, { ...identity, string: (kind, bytes) => (kind === DK.PATH ? null : bytes) });
  const b = readCaptureBuffer(output);
  const opens = b.events.filter((e) => e.kind === 'open');
  t.true(opens.length > 10);
  t.true(opens.every((e) => e.kind === 'open' && e.path.truncated && e.path.bytes.length === 0));
});
