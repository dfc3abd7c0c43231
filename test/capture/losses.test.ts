// A real capture that loses records: every output says the data is incomplete,
// with the figures info reports.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ptraceSync } from '../helpers/cli.ts';
import { captureSync, cc, ROOT, realCaptureTest } from '../helpers/real-capture.ts';

const work = mkdtempSync(join(tmpdir(), 'ptrace-losses-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));
const ptrace = (args: string[]) => ptraceSync(args, { cwd: work });

realCaptureTest(
  'a real capture that lost records (1 MiB ring buffer, an open and exec storm): tree and export say so, with the figures of info',
  async (t) => {
    const exe = join(work, 'open-storm');
    cc(t, join(ROOT, 'test/fixtures/open-storm.c'), exe);
    const file = join(work, 'storm.raw');
    const { status } = captureSync([exe], { flags: ['--buffer-mb', '1'], file });
    t.is(status, 0);
    const info = JSON.parse(ptrace(['info', file, '--json']).stdout) as {
      losses: { total: string | number; byCategory: Record<string, number> };
    };
    const lost = Number(info.losses.total);
    t.true(lost > 0, 'the storm overflowed the ring buffer');
    const tree = ptrace(['tree', file, '--files', '--dedup']).stdout.split('\n');
    t.true(tree[0]!.startsWith(`⚠ ${lost} records lost (`), tree[0]);
    t.true(tree[0]!.endsWith('may be incomplete; counts are lower bounds'));
    t.false(
      tree.some((l) => / open +\([a-z,]*\)$/.test(l)),
      'no empty path',
    );
    const doc = JSON.parse(ptrace(['tree', file, '--json']).stdout) as {
      capture: { lostRecords: number; losses: Record<string, number> };
    };
    t.is(doc.capture.lostRecords, lost);
    t.deepEqual(
      doc.capture.losses,
      Object.fromEntries(Object.entries(info.losses.byCategory).filter(([, n]) => n > 0)),
    );
    const header = JSON.parse(ptrace(['export', file, '--format', 'jsonl']).stdout.split('\n')[0]!) as {
      lost_records: number;
    };
    t.is(header.lost_records, lost);
  },
);
