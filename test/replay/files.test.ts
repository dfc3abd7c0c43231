// Opens, resources and histograms: rows, path resolution, tree --files / --resources.
import test from 'ava';
import { painter } from '../../analyze/format.ts';
import { captureInfo } from '../../analyze/replay/capture-info.ts';
import { openFlagsShort, openFlagsText, quantileBucket, resolveOpenPath } from '../../analyze/replay/files.ts';
import { modelOfCapture } from '../../analyze/replay/load.ts';
import { buildTree, dedupTree, plainItems } from '../../analyze/tree/build.ts';
import { renderTreeText } from '../../analyze/tree/text.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { filesScenario, Synth } from '../../testkit/synth.ts';

const model = (buf: Buffer) => modelOfCapture(readCaptureBuffer(buf));

test('path resolution: absolute as is, relative against the cwd, other dirfds null', (t) => {
  t.is(resolveOpenPath('/etc//passwd', -100, '/x'), '/etc/passwd');
  t.is(resolveOpenPath('a/../b.c', -100, '/src/app'), '/src/app/b.c');
  t.is(resolveOpenPath('.', -100, '/var/log'), '/var/log');
  t.is(resolveOpenPath('syslog', 5, '/var/log'), null);
  t.is(resolveOpenPath('/abs', 5, null), '/abs');
  t.is(resolveOpenPath('rel', -100, null), null);
  t.is(resolveOpenPath('', -100, '/x'), null);
});

test('flags: readable and short forms', (t) => {
  t.is(openFlagsText(0o1101), 'O_WRONLY|O_CREAT|O_TRUNC');
  t.is(openFlagsText(0o2000000), 'O_RDONLY|O_CLOEXEC');
  t.is(openFlagsText(0o20200002), 'O_RDWR|O_TMPFILE');
  t.is(openFlagsShort(0o2001101), 'w,creat,trunc');
  t.is(quantileBucket([0, 90, 10], 0.5), 1);
  t.is(quantileBucket([0, 90, 10], 0.99), 2);
  t.is(quantileBucket([], 0.5), -1);
});

test('rows: opens in time order with resolved paths, resources and histograms per process', (t) => {
  const m = model(filesScenario().buffer());
  t.is(m.opens.length, 23);
  const byPath = (p: string) => m.opens.find((o) => o.path === p)!;
  t.is(byPath('build.sh').resolved, '/src/app/build.sh');
  t.is(byPath('./include/../include/app.h').resolved, '/src/app/include/app.h');
  t.is(byPath('syslog').resolved, null); // dirfd 5
  t.is(byPath('private').resolved, '/var/log/private'); // the find's own exec cwd
  t.is(byPath('private').errnoName, 'EACCES');
  t.is(byPath('private').fd, null);
  t.is(byPath('out.bin').resolved, '/src/app/out.bin');
  t.is(byPath('out.bin').syscall, 'openat');
  t.is(m.resources.length, 6);
  t.deepEqual(
    m.histograms.map((h) => [h.processId, h.kind]),
    [
      [1, 'offcpu'],
      [6, 'fsync'],
      [6, 'offcpu'],
      [6, 'read'],
      [6, 'write'],
    ],
  );
});

test('a 1.0 file: no resources rows, tree --resources says not recorded', (t) => {
  const s = new Synth({ rootPid: 10, header: { versionMinor: 0 } });
  const root = s.root(['sh'], { at: 1 });
  s.exit(root, 5, { rusage: { utimeNs: 1n } }); // not written in 1.0
  const m = model(s.buffer());
  t.is(m.resources.length, 0);
  const lines = renderTreeText(plainItems(buildTree({ capture: captureInfo(m), ...m })), {
    full: false,
    width: 120,
    paint: painter(false),
    envs: null,
    dedup: false,
    resources: true,
  });
  t.regex(lines[0]!, /usage not recorded/);
  t.notRegex(lines[0]!, /cpu 0/);
});

test('tree --files --dedup: a path once with its later repeats; failed opens never hidden', (t) => {
  const m = model(filesScenario().buffer());
  const roots = buildTree({ capture: captureInfo(m), ...m });
  const opts = { full: false, width: 120, paint: painter(false), envs: null, files: true, resources: true };
  const plain = renderTreeText(plainItems(roots), { ...opts, dedup: false }).join('\n');
  t.is(plain.split('open /etc/ld.so.cache').length - 1, 4);
  t.is(plain.split('✗ open /usr/include/missing.h: ENOENT').length - 1, 3);
  t.regex(plain, /open <fd 5>\/syslog/);
  t.regex(plain, /cc -c m0\.c .*cpu 5ms, rss 10\.0 MiB/);
  const dedup = renderTreeText(dedupTree(roots), { ...opts, dedup: true }).join('\n');
  t.is(dedup.split('open /etc/ld.so.cache').length - 1, 1);
  t.regex(dedup, /open \/etc\/ld\.so\.cache \(r\) \+3 later/);
  t.regex(dedup, /✗ open \/usr\/include\/missing\.h: ENOENT \(r\) ×3/);
  t.regex(dedup, /✗ open \/var\/log\/private: EACCES/);
  t.regex(dedup, /✗ open \/var\/log\/secret\.log: EACCES/);
});
