// `ptrace report`: the HTML file as written (self-contained, data embedded safely), its
// sections against `stats --json` and `tree --dedup` of the same file, redaction, errors.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import test from 'ava';
import { criticalPathOfModel } from '../../analyze/replay/critical-path.ts';
import { load } from '../../analyze/replay/load.ts';
import { embeddedStats } from '../../analyze/report/generate.ts';
import { pageScript } from '../../analyze/report/html.ts';
import type { ReportData } from '../../analyze/report/page/schema.ts';
import type { StatsReport } from '../../analyze/stats/types.ts';
import { HOSTILE_STRINGS, hostileScenario, Synth } from '../../testkit/synth.ts';
import { ptraceSync } from '../helpers/cli.ts';
import { embeddedData } from '../helpers/report.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'ptrace-report-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const SAMPLES = ['failing-pipeline', 'git-workflow', 'hostile', 'make-build'];

function report(raw: string, name: string, extra: string[] = []): { html: string; data: ReportData } {
  const out = join(work, `${name}.html`);
  const r = ptraceSync(['report', raw, '-o', out, '--force', ...extra]);
  if (r.code !== 0) throw new Error(`report failed: ${r.stderr}`);
  const html = readFileSync(out, 'utf8');
  return { html, data: embeddedData(html) };
}

/** Keyed redaction markers (`‹redacted:RULE:h›`, a report's) in their plain form (`‹redacted:RULE›`, the terminal views'). */
const unkeyed = <T>(v: T): T => JSON.parse(JSON.stringify(v).replace(/‹redacted:([\w-]+):\w+›/g, '‹redacted:$1›')) as T;

/** `stats --json` as the report embeds it (embeddedStats: the critical path's steps left out, its segments are the page's). */
function statsJson(raw: string, flags: string[] = []): StatsReport {
  const r = ptraceSync(['stats', raw, '--json', ...flags]);
  if (r.code !== 0) throw new Error(r.stderr);
  return embeddedStats(JSON.parse(r.stdout) as StatsReport);
}

for (const name of SAMPLES) {
  const raw = join(root, 'samples', `${name}.raw`);

  test(`${name}: every stats section is stats --json of the same file (--no-redact and --show-secrets: equal)`, (t) => {
    const { data } = report(raw, `${name}-plain`, ['--no-redact']);
    t.deepEqual(data.stats, statsJson(raw, ['--show-secrets']));
    t.false(data.header.redacted);
  });

  test(`${name}: redacted, the stats are stats --json's (its markers are plain, the report's keyed)`, (t) => {
    const { data } = report(raw, `${name}-redacted`);
    t.deepEqual(unkeyed(data.stats), statsJson(raw));
    t.true(data.header.redacted);
  });

  test(`${name}: the tree section is tree --dedup, line for line`, (t) => {
    for (const [flags, tree] of [
      [['--no-redact'], ['--show-secrets']],
      [[], []],
    ]) {
      const { data } = report(raw, `${name}-tree`, flags);
      const r = ptraceSync(['tree', raw, '--dedup', ...tree]);
      t.is(r.code, 0);
      const lines = r.stdout.replace(/\n$/, '').split('\n');
      t.deepEqual(unkeyed(data.dedup), lines[0]!.startsWith('⚠') ? lines.slice(1) : lines);
    }
  });

  test(`${name}: one row per process, parents before their children`, (t) => {
    const { data } = report(raw, `${name}-rows`);
    const p = data.processes;
    t.is(p.id.length, statsJson(raw).overview.processes);
    t.deepEqual(
      [...p.id].sort((a, b) => a - b),
      Array.from({ length: p.id.length }, (_, i) => i + 1),
    );
    for (let r = 0; r < p.id.length; r++) t.true(p.parent[r]! < r, `row ${r}`);
    for (const key of Object.keys(p) as (keyof typeof p)[]) t.is(p[key].length, p.id.length, key);
  });
}

test('the critical path is the one of analyze/replay/critical-path.ts, covering the root’s wall time', (t) => {
  const raw = join(root, 'samples/make-build.raw');
  const { data } = report(raw, 'critical', ['--no-redact']);
  const path = criticalPathOfModel(load(raw).model)!;
  const c = data.critical!;
  t.truthy(c);
  const segments: number[] = [];
  for (let i = 0, t = c.start; i < c.segments.length; i += 2) {
    segments.push(data.processes.id[c.segments[i]!]!, t, t + c.segments[i + 1]!);
    t += c.segments[i + 1]!;
  }
  t.deepEqual(
    segments,
    path.segments.flatMap((g) => [g.processId, g.start, g.end]),
  );
  t.deepEqual(
    c.images.map((i) => [data.processes.id[i.row], i.selfNs]),
    path.images.slice(0, c.images.length).map((i) => [i.processId, i.selfNs]),
  );
  t.is(c.imagesTotal, path.images.length);
  let total = 0;
  for (let i = 0; i < c.segments.length; i += 2) total += c.segments[i + 1]!;
  t.is(total, c.end - c.start);
  t.true(c.images.some((i) => i.label.startsWith('cc1 ')));
});

test('the page script is one valid script (its modules linked)', async (t) => {
  const script = await pageScript();
  t.notThrows(() => new vm.Script(script, { filename: 'page.js' }));
  t.notRegex(script, /^\s*(import|export)\s/m);
});

test('the file is self-contained: no URL to fetch, one inline script and one data script, a CSP forbidding fetches', (t) => {
  const { html } = report(join(root, 'samples/make-build.raw'), 'self-contained');
  t.is(html.match(/<script/g)?.length, 2);
  t.is(html.match(/<\/script>/g)?.length, 2);
  t.notRegex(html, /<(link|img|iframe|object|embed)\b/i);
  t.notRegex(html, /\bsrc=/i);
  t.regex(
    html,
    /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'/,
  );
});

test('capture strings cannot close the data script or inject markup', (t) => {
  const evil = '</script><script>alert(1)</script><!--';
  const s = new Synth({ header: { commandArgv: ['sh', evil] } });
  const sh = s.root(['sh', evil, '<img src=x onerror=alert(2)>'], { at: 1, env: [`X=${evil}`] });
  const child = s.fork(sh, 2);
  s.exec(child, [`</SCRIPT>${evil}`], { at: 3, exe: `/bin/${evil}` });
  s.exit(child, 4, { code: 1 });
  s.exit(sh, 5);
  const raw = join(work, 'evil.raw');
  writeFileSync(raw, s.buffer());
  const { html, data } = report(raw, 'evil', ['--no-redact']);
  t.is(html.match(/<\/script/gi)?.length, 2);
  t.is(html.match(/<script/gi)?.length, 2);
  t.false(html.includes('<img'));
  // and the strings are all there, exactly
  const strings = new Set(data.strings);
  t.true(strings.has(evil));
  t.true(strings.has(`</SCRIPT>${evil}`));
  t.true(strings.has('<img src=x onerror=alert(2)>'));
});

test('secrets in argv and environments are masked by default and kept with --no-redact', (t) => {
  const s = new Synth({ header: { commandArgv: ['deploy', 'https://bob:hunter2pass@example.com/x'] } });
  const sh = s.root(['deploy', 'https://bob:hunter2pass@example.com/x'], {
    at: 1,
    env: ['PATH=/usr/bin', 'API_TOKEN=tok-sekrit-123', 'DATABASE_URL=postgres://app:dbpw-sekrit@db/app'],
  });
  s.exit(sh, 2, { code: 3 });
  const raw = join(work, 'secrets.raw');
  writeFileSync(raw, s.buffer());
  const masked = report(raw, 'secrets').html;
  for (const secret of ['hunter2pass', 'tok-sekrit-123', 'dbpw-sekrit']) t.false(masked.includes(secret), secret);
  t.true(masked.includes('/usr/bin'));
  t.regex(masked, /https:\/\/bob:‹redacted:[\w-]+:\w+›@example\.com/);
  t.regex(masked, /‹redacted:name-token:\w+›/);
  const plain = report(raw, 'secrets-plain', ['--no-redact']).html;
  for (const secret of ['hunter2pass', 'tok-sekrit-123', 'dbpw-sekrit']) t.true(plain.includes(secret), secret);
});

test('hostile strings survive into the data unchanged (the page shows them as text)', (t) => {
  const raw = join(work, 'hostile.raw');
  writeFileSync(raw, hostileScenario().buffer());
  const { data } = report(raw, 'hostile-synth', ['--no-redact']);
  const strings = new Set(data.strings);
  for (const h of HOSTILE_STRINGS) t.true(strings.has(`--opt=${h}`), JSON.stringify(h));
});

test('a missing raw file: one ptrace: line, non-zero exit, no output', (t) => {
  const out = join(work, 'missing.html');
  const r = ptraceSync(['report', join(work, 'nope.raw'), '-o', out]);
  t.not(r.code, 0);
  t.regex(r.stderr, /^ptrace: .*nope\.raw/);
  t.is(r.stderr.trim().split('\n').length, 1);
  t.false(existsSync(out));
  t.deepEqual(
    readdirSync(work).filter((f) => f.startsWith('.missing')),
    [],
  );
});

test('an existing output is kept without --force', (t) => {
  const out = join(work, 'exists.html');
  writeFileSync(out, 'keep');
  const r = ptraceSync(['report', join(root, 'samples/make-build.raw'), '-o', out]);
  t.not(r.code, 0);
  t.regex(r.stderr, /^ptrace: .*exists/);
  t.is(readFileSync(out, 'utf8'), 'keep');
});
