// otel: resource usage attributes and failed-open events (format 1.1), nothing for a 1.0 file.
import test from 'ava';
import { buildTrace } from '../../analyze/otel/build.ts';
import type { SpanData } from '../../analyze/otel/span.ts';
import { modelOfCapture } from '../../analyze/replay/load.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { filesScenario, Synth } from '../../testkit/synth.ts';

function spans(buf: Buffer): SpanData[] {
  const c = readCaptureBuffer(buf);
  const model = modelOfCapture(c);
  return [...buildTrace({ header: c.header, footer: c.footer, model, warnings: c.warnings }).spans()];
}

test('usage attributes on the span that carries the exit: CPU in seconds, max RSS in bytes', (t) => {
  const all = spans(filesScenario().buffer());
  const dd = all.find((s) => s.name === 'dd')!;
  // sampled 1 ms user, 30 ms system: the 31.5 ms runtime split in that proportion (SCHEMA.md, resources)
  t.is(dd.attributes['process.cpu.time.user'], 0.00101613);
  t.is(dd.attributes['process.cpu.time.system'], 0.03048387);
  t.is(dd.attributes['ptrace.process.cpu.runtime'], 0.0315);
  t.is(dd.attributes['process.memory.max_rss'], 2 * 1024 * 1024);
  t.is(dd.attributes['process.paging.faults.major'], 2);
  t.is(dd.attributes['process.disk.io.write'], 409_600);
  const root = all[0]!;
  t.is(root.attributes['ptrace.capture.opens'], 23);
  t.is(root.attributes['ptrace.capture.failed_opens'], 5);
});

test('failed opens are span events with file.path (resolved) and error.type; successful ones are not', (t) => {
  const all = spans(filesScenario().buffer());
  const find = all.find((s) => s.name === 'find')!;
  const ev = find.events.filter((e) => e.name === 'file open failed');
  t.deepEqual(
    ev.map((e) => [e.attributes['file.path'], e.attributes['error.type'], e.attributes['ptrace.open.path']]),
    [
      ['/var/log/private', 'EACCES', 'private'],
      ['/var/log/secret.log', 'EACCES', 'secret.log'],
    ],
  );
  const cc = all.filter((s) => s.name === 'cc');
  t.is(cc.length, 3);
  for (const s of cc) {
    t.deepEqual(
      s.events.map((e) => [e.name, e.attributes['file.path'], e.attributes['error.type']]),
      [['file open failed', '/usr/include/missing.h', 'ENOENT']],
    );
  }
});

test('a 1.0 file: no usage attributes (not recorded, not zero), no open counts', (t) => {
  const s = new Synth({ rootPid: 10, header: { versionMinor: 0 } });
  const root = s.root(['sh'], { at: 1 });
  s.exit(root, 5);
  const all = spans(s.buffer());
  t.is(all.length, 2);
  for (const sp of all) {
    t.false('process.cpu.time.user' in sp.attributes);
    t.false('process.memory.max_rss' in sp.attributes);
    t.false('ptrace.capture.opens' in sp.attributes);
  }
});
