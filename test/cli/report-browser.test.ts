// The HTML report in a real browser (the system chromium, headless): it loads from
// file:// without errors or any request, draws one bar per process, lists the failures
// `tree --failed` shows, a failure's click brings it into view, zooming changes the range.
// The test run also writes docs/report.png (the README's screenshot).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { Page } from 'puppeteer-core';
import type { CommandStat, ProcessStat, StatsReport } from '../../analyze/stats/types.ts';
import {
  dnsScenario,
  dnsWireScenario,
  filesScenario,
  hostileScenario,
  manyCompilesScenario,
  netScenario,
  Synth,
} from '../../testkit/synth.ts';
import { browserTest, closeBrowser, type OpenedReport, openReport } from '../helpers/browser.ts';
import { ptraceSync } from '../helpers/cli.ts';
import { embeddedData } from '../helpers/report.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'ptrace-report-browser-'));
test.after.always(async () => {
  await closeBrowser();
  rmSync(work, { recursive: true, force: true });
});

const SAMPLES = ['failing-pipeline', 'git-workflow', 'hostile', 'make-build'];

function writeReport(raw: string, name: string): string {
  const out = join(work, `${name}.html`);
  const r = ptraceSync(['report', raw, '-o', out, '--force']);
  if (r.code !== 0) throw new Error(`report failed: ${r.stderr}`);
  return out;
}

interface Range {
  t0: number;
  t1: number;
  firstRow: number;
  lastRow: number;
}
const range = (page: Page): Promise<Range> => page.evaluate('window.__ptraceReport.range()') as Promise<Range>;
const drawn = (page: Page): Promise<number[]> => page.evaluate('window.__ptraceReport.drawn()') as Promise<number[]>;
const where = (page: Page, id: number): Promise<{ position: number; start: number; end: number }> =>
  page.evaluate(`window.__ptraceReport.where(${id})`) as Promise<{ position: number; start: number; end: number }>;
/** Waits for the frame the last input asked for. */
const frame = (page: Page): Promise<unknown> =>
  page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');

function clean(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, r: OpenedReport, file: string): void {
  t.deepEqual(r.problems, [], 'no console errors, exceptions or dialogs');
  t.deepEqual(r.requests, [`file://${file}`], 'no request but the file itself');
}

/** Failed processes (processId) of `tree --failed --json`, walked without recursion. */
function treeFailed(raw: string): number[] {
  const r = ptraceSync(['tree', raw, '--failed', '--json']);
  const doc = JSON.parse(r.stdout) as { roots: { processId: number; failed?: boolean; children?: unknown[] }[] };
  const out: number[] = [];
  const stack = [...doc.roots];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.failed === true) out.push(n.processId);
    stack.push(...((n.children ?? []) as typeof doc.roots));
  }
  return out.sort((a, b) => a - b);
}

for (const name of SAMPLES) {
  browserTest(`${name}: loads from file:// with no error and no request, one bar per process`, async (t) => {
    const raw = join(root, 'samples', `${name}.raw`);
    const file = writeReport(raw, name);
    const data = embeddedData(readFileSync(file, 'utf8'));
    const r = await openReport(file);
    const { page } = r;
    t.is(await page.evaluate('window.__ptraceReport.processes'), data.processes.id.length);
    // Page through the timeline: every process gets exactly one bar, none twice in a frame.
    await page.focus('#timeline');
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const ids = await drawn(page);
      t.is(new Set(ids).size, ids.length, 'one bar per process in a frame');
      for (const id of ids) seen.add(id);
      const now = await range(page);
      if (now.lastRow >= data.processes.id.length - 1) break;
      await page.keyboard.press('PageDown');
      await frame(page);
    }
    t.deepEqual(
      [...seen].sort((a, b) => a - b),
      [...data.processes.id].sort((a, b) => a - b),
    );
    clean(t, r, file);
    await page.close();
  });
}

browserTest(
  'the failure list is the failures of tree --failed; a click shows the failure on the timeline',
  async (t) => {
    const raw = join(root, 'samples/failing-pipeline.raw');
    const file = writeReport(raw, 'failures');
    const r = await openReport(file);
    const { page } = r;
    const listed = (await page.evaluate(
      "[...document.querySelectorAll('ol.failures li[data-process-id]')].map((e) => Number(e.dataset.processId))",
    )) as number[];
    const expected = treeFailed(raw);
    t.true(expected.length > 0);
    t.deepEqual(
      [...listed].sort((a, b) => a - b),
      expected,
    );
    t.deepEqual(await page.evaluate('[...window.__ptraceReport.failures]'), listed);

    // Hide it: subtrees closed, zoomed far into the start. Then click the last failure.
    const target = listed[listed.length - 1]!;
    await page.click('button:nth-of-type(4)'); // Collapse below level 1
    await page.focus('#timeline');
    for (let i = 0; i < 25; i++) await page.keyboard.press('+');
    await frame(page);
    const before = await range(page);
    const hidden = await where(page, target);
    t.true(
      hidden.position === -1 || hidden.end < before.t0 || hidden.start > before.t1,
      'out of view before the click',
    );
    await page.click(`ol.failures li[data-process-id="${target}"]`);
    await frame(page);
    const after = await range(page);
    const shown = await where(page, target);
    t.not(shown.position, -1);
    t.true(shown.position >= after.firstRow && shown.position <= after.lastRow, 'its row is on screen');
    t.true(shown.start >= after.t0 && shown.end <= after.t1, 'its bar is within the time range');
    t.is(await page.evaluate('window.__ptraceReport.selected()'), target);
    t.true((await drawn(page)).includes(target));
    const details = (await page.$eval('#details', (e) => e.textContent)) as string;
    t.regex(details, /exit [1-9]/);
    clean(t, r, file);
    await page.close();
  },
);

browserTest('zooming and panning change the visible range (keys and Ctrl+wheel)', async (t) => {
  const file = writeReport(join(root, 'samples/make-build.raw'), 'zoom');
  const r = await openReport(file);
  const { page } = r;
  const start = await range(page);
  await page.focus('#timeline');
  await page.keyboard.press('+');
  await frame(page);
  const zoomed = await range(page);
  t.true(zoomed.t1 - zoomed.t0 < (start.t1 - start.t0) * 0.9, 'narrower after +');
  await page.keyboard.press('d');
  await frame(page);
  const panned = await range(page);
  t.true(panned.t0 > zoomed.t0, 'later after d');
  t.is(Math.round(panned.t1 - panned.t0), Math.round(zoomed.t1 - zoomed.t0), 'panning keeps the span');
  const box = (await (await page.$('#timeline'))!.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2);
  await page.keyboard.down('Control');
  await page.mouse.wheel({ deltaY: 300 });
  await page.keyboard.up('Control');
  await frame(page);
  const out = await range(page);
  t.true(out.t1 - out.t0 > panned.t1 - panned.t0, 'wider after Ctrl+wheel down');
  await page.keyboard.press('Home');
  await frame(page);
  t.deepEqual(await range(page), start);
  // Drag: moves time the other way
  await page.keyboard.press('+');
  await frame(page);
  const beforeDrag = await range(page);
  await page.mouse.move(box.x + box.width * 0.6, box.y + 100);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.4, box.y + 100, { steps: 5 });
  await page.mouse.up();
  await frame(page);
  t.true((await range(page)).t0 > beforeDrag.t0, 'dragging left shows later times');
  clean(t, r, file);
  await page.close();
});

browserTest('the critical path table lists its images; a click shows one on the timeline', async (t) => {
  const file = writeReport(join(root, 'samples/make-build.raw'), 'critical');
  const data = embeddedData(readFileSync(file, 'utf8'));
  const r = await openReport(file);
  const { page } = r;
  const ids = (await page.evaluate(
    "[...document.querySelectorAll('table[data-table=critical] tbody tr')].map((e) => Number(e.dataset.processId))",
  )) as number[];
  t.deepEqual(
    ids,
    data.critical!.images.map((i) => data.processes.id[i.row]),
  );
  await page.click(`table[data-table=critical] tbody tr:nth-child(1)`);
  await frame(page);
  t.is(await page.evaluate('window.__ptraceReport.selected()'), ids[0]);
  clean(t, r, file);
  await page.close();
});

browserTest(
  'hover and click on a bar: its summary, then its argv, cwd, environment (secrets masked), CPU and RSS',
  async (t) => {
    const s = new Synth({ header: { commandArgv: ['deploy', '--token=tok-sekrit-123'] } });
    const sh = s.root(['deploy', '--token=tok-sekrit-123'], {
      at: 1,
      cwd: '/srv/app',
      env: ['PATH=/usr/bin', 'API_TOKEN=tok-sekrit-123', 'HOME=/home/ci'],
    });
    s.exit(sh, 30, { code: 0, rusage: { runtimeNs: 12_000_000n, maxrssKb: 2048n } });
    const raw = join(work, 'details.raw');
    writeFileSync(raw, s.buffer());
    const file = writeReport(raw, 'details');
    const r = await openReport(file);
    const { page } = r;
    const box = (await (await page.$('#timeline'))!.boundingBox())!;
    const rowY = box.y + 24 + 9; // below the time axis, the first row
    await page.mouse.move(box.x + box.width * 0.6, rowY);
    await page.waitForFunction("!document.querySelector('#tooltip').hidden");
    const tip = (await page.$eval('#tooltip', (e) => e.textContent)) as string;
    t.regex(tip, /pid 1000/);
    await page.mouse.click(box.x + box.width * 0.6, rowY);
    await frame(page);
    const details = (await page.$eval('#details', (e) => e.textContent)) as string;
    t.regex(details, /deploy '?--token=‹redacted:name-token:\w+›/);
    t.true(details.includes('/srv/app'));
    t.true(details.includes('PATH=/usr/bin'));
    t.true(details.includes('HOME=/home/ci'));
    t.regex(details, /API_TOKEN=‹redacted:name-token:\w+›/);
    t.false(details.includes('tok-sekrit-123'));
    t.true(details.includes('12ms'), 'CPU');
    t.true(details.includes('2.0 MiB'), 'RSS');
    clean(t, r, file);
    await page.close();
  },
);

/** Each stats table of the page: its name, the stats list it shows, its first column from that list. */
const TABLES: [string, (s: StatsReport) => unknown[], (row: never) => string][] = [
  ['top-by-time', (s) => s.topByTime, (r: CommandStat) => r.name],
  ['top-by-count', (s) => s.topByCount, (r: CommandStat) => r.name],
  ['slowest', (s) => s.slowest, (r: ProcessStat) => String(r.pid)],
  ['failed-execs', (s) => s.failedExecs, (r: StatsReport['failedExecs'][number]) => r.path],
  ['files-top', (s) => (s.files.recorded ? s.files.topPaths : []), (r: { path: string }) => r.path],
  ['files-written', (s) => (s.files.recorded ? s.files.written : []), (r: { path: string }) => r.path],
  ['files-failed', (s) => (s.files.recorded ? s.files.failedByErrno : []), (r: { errno: string }) => r.errno],
  ['net-peers', (s) => (s.network.recorded ? s.network.byPeer : []), (r: { peer: string }) => r.peer],
  ['net-failed', (s) => (s.network.recorded ? s.network.failedByErrno : []), (r: { errno: string }) => r.errno],
  ['dns-names', (s) => (s.dns.recorded || s.dns.wire.recorded ? s.dns.byName : []), (r: { name: string }) => r.name],
  [
    'dns-failed',
    (s) => (s.dns.recorded || s.dns.wire.recorded ? s.dns.failedByResult : []),
    (r: { error: string }) => r.error,
  ],
  [
    'dns-servers',
    (s) => (s.dns.recorded || s.dns.wire.recorded ? s.dns.wire.servers : []),
    (r: { server: string; port: number }) => `${r.server}:${r.port}`,
  ],
];

for (const [name, scenario] of [
  ['files', filesScenario],
  ['net', netScenario],
  ['dns', dnsScenario],
  ['dns-wire', dnsWireScenario],
  ['many-compiles', () => manyCompilesScenario(200)],
] as const) {
  browserTest(`${name}: every stats table on the page shows the rows of stats --json`, async (t) => {
    const raw = join(work, `${name}.raw`);
    writeFileSync(raw, scenario().buffer());
    const file = writeReport(raw, `tables-${name}`);
    const stats = JSON.parse(ptraceSync(['stats', raw, '--json']).stdout) as StatsReport;
    const r = await openReport(file);
    const { page } = r;
    let rows = 0;
    for (const [table, list, first] of TABLES) {
      const shown = (await page.evaluate(
        `[...document.querySelectorAll('table[data-table="${table}"] tbody tr')].map((tr) => tr.cells[0].textContent)`,
      )) as string[];
      t.deepEqual(shown, list(stats).map(first as (r: unknown) => string), table);
      rows += shown.length;
    }
    t.true(rows > 5, 'the scenario fills some tables');
    t.is(await page.$$eval('ol.failures li', (els) => els.length), stats.failures.length);
    clean(t, r, file);
    await page.close();
  });
}

browserTest('a capture cut short says so in the header; one cut before any process still loads', async (t) => {
  const whole = readFileSync(join(root, 'samples/make-build.raw'));
  for (const [name, bytes, processes] of [
    ['cut', 30_000, (n: number) => n > 0],
    ['cut-early', 600, (n: number) => n === 0],
  ] as const) {
    const raw = join(work, `${name}.raw`);
    writeFileSync(raw, whole.subarray(0, bytes));
    const file = writeReport(raw, name);
    const r = await openReport(file);
    const { page } = r;
    t.true(processes((await page.evaluate('window.__ptraceReport.processes')) as number), name);
    const alerts = (await page.$eval('[data-alerts]', (e) => e.textContent)) as string;
    t.regex(alerts, /the file has no footer: the capture was cut short/, name);
    t.regex(alerts, /warning: no footer: the capture did not finish/, name);
    t.regex(alerts, /warning: the last record is cut short/, name);
    clean(t, r, file);
    await page.close();
  }
});

browserTest('hostile strings are shown as text: no markup, no dialog, no request', async (t) => {
  const raw = join(work, 'hostile.raw');
  writeFileSync(raw, hostileScenario().buffer());
  const file = writeReport(raw, 'hostile-synth');
  const r = await openReport(file);
  const { page } = r;
  t.is(await page.$$eval('script', (els) => els.length), 2);
  t.is(await page.$$eval('img, iframe, object, embed, link', (els) => els.length), 0);
  await page.type('#tree-search', 'opt=');
  await page.waitForFunction("document.querySelector('#dedup-tree').textContent.includes('--opt=')");
  clean(t, r, file);
  await page.close();
});

browserTest('screenshot of the failing pipeline for the README (docs/report.png)', async (t) => {
  const file = writeReport(join(root, 'samples/failing-pipeline.raw'), 'screenshot');
  const r = await openReport(file, { width: 1280, height: 1400 });
  const { page } = r;
  const first = (await page.evaluate('window.__ptraceReport.failures.at(-1)')) as number;
  await page.click(`ol.failures li[data-process-id="${first}"]`);
  await page.mouse.move(1270, 5); // no hover highlight in the picture
  await frame(page);
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(root, 'docs/report.png'), fullPage: false });
  t.true(readFileSync(join(root, 'docs/report.png')).length > 10_000);
  clean(t, r, file);
  await page.close();
});
