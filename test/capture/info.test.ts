// `ptrace info` on real captures: what the header says about how the capture ran.

import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ptraceSync } from '../helpers/cli.ts';
import { captureSync, realCaptureTest, TEST_ENV } from '../helpers/real-capture.ts';

const dir = mkdtempSync(join(tmpdir(), 'ptrace-info-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

realCaptureTest(
  'options say "keep root" only when --keep-root kept a sudo run as root, not for a plain root run',
  (t) => {
    // under sudo the output is created as the invoking user (nobody here): a directory it may write to
    const out = mkdtempSync(join(tmpdir(), 'ptrace-info-sudo-'));
    chmodSync(out, 0o1777);
    let n = 0;
    const options = (env: NodeJS.ProcessEnv, flags: string[] = []): string | undefined => {
      const { status, file: raw } = captureSync(['/bin/true'], {
        env,
        flags,
        cwd: dir,
        file: join(out, `run${n++}.raw`),
      });
      t.is(status, 0);
      return /^options:\s*(.*)$/m.exec(ptraceSync(['info', raw], { cwd: dir }).stdout)?.[1];
    };
    const sudo = { ...TEST_ENV, SUDO_UID: '65534', SUDO_GID: '65534', SUDO_USER: 'nobody' };
    t.false(options(TEST_ENV)!.includes('keep root'), 'plain root run');
    t.false(
      options(TEST_ENV, ['--keep-root'])!.includes('keep root'),
      'plain root run with --keep-root: nothing was kept',
    );
    t.false(options(sudo)!.includes('keep root'), 'sudo run dropped to SUDO_UID');
    t.true(options(sudo, ['--keep-root'])!.includes('keep root'), 'sudo run kept as root');
  },
);

realCaptureTest('a real capture is intact, its checksums merged into 16–32 segments past 32 768 records', (t) => {
  const {
    status,
    file: raw,
    capture,
  } = captureSync(['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do /bin/true; i=$((i+1)); done'], {
    cwd: dir,
    file: join(dir, 'storm.raw'),
  });
  t.is(status, 0);
  const records = capture.completeRecords - 1;
  t.true(records > 32 * 1024, `${records} records`);
  const sum = capture.footer?.checksum;
  t.is(sum?.segmentRecords, 2048);
  t.is(sum?.segments.length, Math.ceil(records / 2048));
  t.regex(
    /^integrity:\s*(.*)$/m.exec(ptraceSync(['info', raw], { cwd: dir }).stdout)?.[1] ?? '',
    /^intact \(crc32 [0-9a-f]{8}\)$/,
  );
});
