// With records lost, every output says the data is incomplete and where:
// tree (text, --dedup counts, --json), export (Arrow metadata, JSON lines
// header), from the same figures info and stats report.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import test from 'ava';
import { Synth } from '../../testkit/synth.ts';
import { ptraceSync } from '../helpers/cli.ts';

const work = mkdtempSync(join(tmpdir(), 'ptrace-losses-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const CAT_EXEC = 1;
const CAT_FILES = 4;

/** A shell running `true` 1,500 times, each opening /dev/null; 62 opens lost their path; exec and files records lost. */
function lossy(): Synth {
  const s = new Synth({ rootPid: 500, header: { commandArgv: ['sh', 'loop.sh'], options: { files: true } } });
  const sh = s.root(['sh', 'loop.sh'], { at: 1, cwd: '/w' });
  for (let i = 0; i < 1500; i++) {
    const p = s.run(sh, ['true'], 2 + i, 0.5);
    s.open(p, '/dev/null', 2.2 + i, { fd: 3 });
    if (i < 62) s.open(p, 'x', 2.3 + i, { fd: 4, pathLost: true });
  }
  s.loss(CAT_EXEC, 852n, 800);
  s.loss(CAT_FILES, 160_000n, 900);
  s.exit(sh, 2000);
  return s;
}

const buf = lossy().buffer();
writeFileSync(join(work, 'lossy.raw'), buf);
// Cut short: no footer.
writeFileSync(join(work, 'cut.raw'), buf.subarray(0, Math.floor(buf.length / 2)));

const ptrace = (args: string[]) => ptraceSync(args, { cwd: work });

const WARNING =
  '160852 records lost (exec 852, files 160000): execs, file opens may be incomplete; counts are lower bounds';

test('tree: a warning line first; --dedup counts are lower bounds; lost paths say so', (t) => {
  const plain = ptrace(['tree', 'lossy.raw']);
  t.is(plain.code, 0, plain.stderr);
  t.is(plain.stdout.split('\n')[0], `⚠ ${WARNING}`);
  const dedup = ptrace(['tree', 'lossy.raw', '--dedup', '--files']).stdout;
  t.is(dedup.split('\n')[0], `⚠ ${WARNING}`);
  t.regex(dedup, /^└─ true ×≥1500 /m);
  t.regex(dedup, /· open \/dev\/null \(r\) \+≥1499 later$/m);
  const full = ptrace(['tree', 'lossy.raw', '--files']).stdout;
  t.is(full.split('\n').filter((l) => l.includes('open (path lost) (r)')).length, 62);
  t.false(/ open +\(r\)/.test(full), 'no empty path');
});

test('tree --json: lostRecords, losses by category, a records-lost warning, pathLost', (t) => {
  const doc = JSON.parse(ptrace(['tree', 'lossy.raw', '--json', '--files']).stdout) as {
    capture: { lostRecords: number; losses: Record<string, number>; warnings: { code: string; message: string }[] };
    roots: { children: { opens: { path: string; pathAsGiven: string; pathLost?: boolean }[] }[] }[];
  };
  t.is(doc.capture.lostRecords, 160_852);
  t.deepEqual(doc.capture.losses, { exec: 852, files: 160_000 });
  t.deepEqual(doc.capture.warnings, [{ code: 'records-lost', message: WARNING }]);
  t.deepEqual(doc.roots[0]!.children[0]!.opens[1], {
    ...doc.roots[0]!.children[0]!.opens[1]!,
    path: '(path lost)',
    pathAsGiven: '',
    pathLost: true,
  });
  t.is(doc.roots[0]!.children[0]!.opens[0]!.pathLost, undefined);
});

test('export: the JSON lines header and the Arrow metadata say what was lost; same figure as info and stats', (t) => {
  const [header] = ptrace(['export', 'lossy.raw', '--format', 'jsonl'])
    .stdout.split('\n')
    .map((l) => (l === '' ? null : JSON.parse(l)));
  t.deepEqual(header, {
    ptrace_export: 4,
    complete: true,
    lost_records: 160_852,
    losses: { exec: 852, files: 160_000 },
    warnings: [{ code: 'records-lost', message: WARNING }],
  });
  const arrow = join(work, 'lossy.arrow');
  t.is(ptrace(['export', 'lossy.raw', '--format', 'arrow', '-o', arrow, '--force']).code, 0);
  const meta = tableFromIPC(readFileSync(arrow)).schema.metadata;
  t.is(meta.get('ptrace.capture.lost_records'), '160852');
  t.is(meta.get('ptrace.capture.losses'), '{"exec":852,"files":160000}');
  t.is(JSON.parse(meta.get('ptrace.capture.warnings')!)[0].code, 'records-lost');
  const info = JSON.parse(ptrace(['info', 'lossy.raw', '--json']).stdout) as { losses: { total: string | number } };
  t.is(Number(info.losses.total), 160_852);
  const stats = JSON.parse(ptrace(['stats', 'lossy.raw', '--json']).stdout) as { overview: { lostRecords: number } };
  t.is(stats.overview.lostRecords, 160_852);
});

test('a file cut short: tree --json and the export header say it is not complete', (t) => {
  const doc = JSON.parse(ptrace(['tree', 'cut.raw', '--json']).stdout) as {
    capture: { complete: boolean; warnings: { code: string }[] };
  };
  t.false(doc.capture.complete);
  t.true(doc.capture.warnings.some((w) => w.code === 'no-footer'));
  const header = JSON.parse(ptrace(['export', 'cut.raw', '--format', 'jsonl']).stdout.split('\n')[0]!) as {
    complete: boolean;
    warnings: { code: string }[];
  };
  t.false(header.complete);
  t.true(header.warnings.some((w) => w.code === 'no-footer'));
});

test('tree --net --dedup: with net and dns records lost, connection and lookup counts are lower bounds', (t) => {
  const s = new Synth({ rootPid: 700, header: { commandArgv: ['curl'], options: { net: true, dns: true } } });
  const curl = s.root(['curl', 'http://x.invalid/'], { at: 1 });
  s.dns(curl, 2, 'x.invalid', -2);
  s.dns(curl, 3, 'x.invalid', -2);
  s.tcp(curl, 4, { remote: '10.0.0.1', remotePort: 80, errno: 111 });
  s.tcp(curl, 5, { remote: '10.0.0.1', remotePort: 80, errno: 111 });
  s.loss(6, 5n, 6);
  s.loss(7, 9n, 6);
  s.exit(curl, 7, { code: 6 });
  writeFileSync(join(work, 'net-lossy.raw'), s.buffer());
  const out = ptrace(['tree', 'net-lossy.raw', '--net', '--dedup']).stdout;
  t.is(
    out.split('\n')[0],
    '⚠ 14 records lost (net 5, dns 9): TCP connections, name lookups and DNS queries may be incomplete; counts are lower bounds',
  );
  t.regex(out, /✗ lookup x\.invalid: EAI_NONAME ×≥2$/m);
  t.regex(out, /✗ connect 10\.0\.0\.1:80: ECONNREFUSED ×≥2$/m);
});
