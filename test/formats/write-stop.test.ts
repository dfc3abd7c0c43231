// PT_TLV_WRITE_STOP (format 1.6): a capture that stopped writing on a full
// disk says where, and every reader reports it; the zero placeholder of a
// capture that did not stop changes nothing.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { infoReport } from '../../analyze/info/report.ts';
import { readCapture } from '../../formats/reader.ts';
import { writeCapture } from '../../testkit/writer.ts';
import { SAMPLE_HEADER, sampleEvents, T0 } from '../helpers/capture.ts';
import { CLI } from '../helpers/real-capture.ts';

const START = { realtime: 1_750_000_000_000_000_000n, boottime: T0, monotonic: T0 };

function file(name: string, content: Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ptrace-write-stop-')), name);
  writeFileSync(path, content);
  return path;
}

test('a file whose writing stopped: info gives the time and the error, the reader warns once', (t) => {
  const events = sampleEvents();
  const records = writeCapture({ ...SAMPLE_HEADER, start: START }, events, { footer: null, littleEndian: true });
  const stopped = writeCapture(
    { ...SAMPLE_HEADER, start: START, writeStop: { ts: T0 + 1_500_000_000n, errno: 28, records: 7n } },
    events,
    { footer: null, littleEndian: true },
  );
  t.true(stopped.length > records.length, 'the TLV is in the header');
  const path = file('full.raw', stopped);

  const capture = readCapture(path);
  t.deepEqual(capture.header.writeStop, { ts: T0 + 1_500_000_000n, errno: 28, errnoName: 'ENOSPC', records: 7n });
  t.deepEqual(
    capture.warnings.map((w) => w.code),
    ['write-stopped'],
  );
  t.regex(
    capture.warnings[0]!.message,
    /^no footer: the capture stopped writing at \+1\.5s \(disk full\); read \d+ complete records$/,
  );

  const report = infoReport(path);
  t.is(report.end.state, 'write-stopped');
  t.deepEqual(report.end.writeStop, {
    afterNs: '1500000000',
    afterSeconds: 1.5,
    errno: 28,
    errnoName: 'ENOSPC',
    records: 7,
  });
  const text = spawnSync(process.execPath, [CLI, 'info', path], { encoding: 'utf8' });
  t.regex(text.stdout, /^end: +stopped writing at \+1\.5s: disk full \(ENOSPC\); \d+ complete records$/m);
});

test('the placeholder of a capture that did not stop (all zeros) reads as no stop', (t) => {
  const path = file(
    'ok.raw',
    writeCapture({ ...SAMPLE_HEADER, start: START, writeStop: { ts: 0n, errno: 0, records: 0n } }, sampleEvents(), {
      littleEndian: false,
    }),
  );
  const capture = readCapture(path);
  t.is(capture.header.writeStop, undefined);
  t.deepEqual(capture.warnings, []);
  t.is(infoReport(path).end.state, 'complete');
});
