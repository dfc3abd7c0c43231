#!/usr/bin/env node
// Report benchmarks (figures, not tests): `npm run bench:report [-- --runs N --keep]`.
//
// Synthesizes two make-like builds with testkit/synth.ts in a temp dir (cc → cc1 + as
// per unit, a ~40-variable environment, PATH-search failed execs, one unit in 97
// failing, a thread per cc1):
//   - 10,000 processes with the file opens of real compiles (~24 per process);
//   - 100,000 processes without opens (1.6 GB of raw file otherwise);
// then measures:
//   1. `ptrace report` on each, as a child process: wall time, CPU time (user + system)
//      and peak RSS (bench/rss-hook.ts), and the HTML file's size; targets: < 5 s for
//      100,000 processes, < 3 MB for 10,000;
//   2. the 100,000-process report in the system chromium (headless, puppeteer-core):
//      time to first paint (the browser's first-contentful-paint, and the page's own
//      time from script start to its first frame), JS heap after load, and the time
//      to draw one timeline frame while zooming and scrolling (median of 60 frames).
// Medians over --runs (default 3), runs of the two sizes alternating.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type KeyInput } from 'puppeteer-core';
import { writeSyntheticBuild } from '../testkit/synth.ts';
import { measuredCli } from './rss-figures.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const keep = args.includes('--keep');
const chromium = process.env.PTRACE_CHROMIUM ?? '/usr/bin/chromium';
const self = fileURLToPath(import.meta.url);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(2)} MiB`;

// Child mode: write one synthetic capture (keeps this process small).
if (args[0] === '--synth') {
  const [, path, units, opens] = args;
  const r = writeSyntheticBuild(path!, {
    units: Number(units),
    failEvery: 97,
    pathSearch: true,
    threadsPerCc1: 1,
    opens: opens === '1',
  });
  process.stdout.write(JSON.stringify(r));
  process.exit(0);
}

interface Capture {
  name: string;
  raw: string;
  processes: number;
}

const dir = mkdtempSync(join(tmpdir(), 'ptrace-bench-report-'));
function synth(name: string, units: number, opens: boolean): Capture {
  const raw = join(dir, `${name}.raw`);
  const r = spawnSync(process.execPath, [self, '--synth', raw, String(units), opens ? '1' : '0'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`synthesis failed (${r.status})`);
  const { processes } = JSON.parse(r.stdout) as { processes: number };
  return { name, raw, processes };
}

interface Run {
  wallMs: number;
  cpuMs: number;
  rssKb: number;
  bytes: number;
  html: string;
}

function report(c: Capture): Run {
  const html = join(dir, `${c.name}.html`);
  const r = measuredCli(['report', c.raw, '-o', html, '--force']);
  return { wallMs: r.wallMs, cpuMs: r.cpuMs, rssKb: r.rssKb, bytes: statSync(html).size, html };
}

console.log(
  `bench:report on ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const small = synth('build-10k', 3333, true);
const big = synth('build-100k', 33333, false);
console.log(
  `synthesized: ${small.processes.toLocaleString('en-US')} and ${big.processes.toLocaleString('en-US')} processes`,
);

const results = new Map<string, Run[]>([
  [small.name, []],
  [big.name, []],
]);
for (let i = 0; i < runs; i++) {
  for (const c of [small, big]) results.get(c.name)!.push(report(c));
}

console.log('\n1. ptrace report (child process; medians over %d runs)', runs);
console.log('| capture | processes | wall | CPU (user+sys) | peak RSS | HTML size | target |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const c of [small, big]) {
  const rs = results.get(c.name)!;
  const wall = median(rs.map((r) => r.wallMs));
  const bytes = median(rs.map((r) => r.bytes));
  const target =
    c === big
      ? `wall < 5 s: ${wall < 5000 ? 'met' : 'NOT met'}`
      : `size < 3 MB: ${bytes < 3_000_000 ? 'met' : 'NOT met'}`;
  console.log(
    `| ${c.name} | ${c.processes.toLocaleString('en-US')} | ${sec(wall)} | ${sec(median(rs.map((r) => r.cpuMs)))} | ${mib(median(rs.map((r) => r.rssKb * 1024)))} | ${mib(bytes)} | ${target} |`,
  );
}

// ---- 2. the 100,000-process report in chromium
const browser = await puppeteer.launch({ executablePath: chromium, args: ['--no-sandbox', '--headless=new'] });
const page = { fcp: [] as number[], own: [] as number[], heap: [] as number[], frame: [] as number[] };
try {
  const file = results.get(big.name)![0]!.html;
  for (let i = 0; i < runs; i++) {
    const tab = await browser.newPage();
    await tab.setViewport({ width: 1400, height: 1000 });
    await tab.goto(`file://${file}`, { waitUntil: 'load', timeout: 120_000 });
    await tab.waitForFunction('window.__ptraceReport && window.__ptraceReport.firstPaintMs() !== null', {
      timeout: 120_000,
    });
    page.own.push((await tab.evaluate('window.__ptraceReport.firstPaintMs()')) as number);
    // The paint entry is recorded once the frame is presented, which can be after the page's own mark.
    await tab.waitForFunction(
      "performance.getEntriesByType('paint').some((e) => e.name === 'first-contentful-paint')",
      { timeout: 30_000 },
    );
    page.fcp.push(
      (await tab.evaluate(
        "performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint')?.startTime ?? NaN",
      )) as number,
    );
    const metrics = await tab.metrics();
    page.heap.push(metrics.JSHeapUsedSize ?? Number.NaN);
    // Frames while zooming and scrolling, timed by the page (draw only: the same work a wheel or key does).
    await tab.focus('#timeline');
    const keys: KeyInput[] = ['+', '+', 'PageDown', 'd', '-', 'PageDown', 'ArrowDown', 'a'];
    for (let k = 0; k < 60; k++) {
      await tab.keyboard.press(keys[k % keys.length]!);
      await tab.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
      page.frame.push((await tab.evaluate('window.__ptraceReport.lastDrawMs()')) as number);
    }
    await tab.close();
  }
} finally {
  await browser.close();
}
console.log(
  `\n2. the ${big.processes.toLocaleString('en-US')}-process report in ${chromium} (headless; medians over ${runs} loads)`,
);
console.log('| first contentful paint | page script → first frame | JS heap used | one timeline frame (zoom/scroll) |');
console.log('| ---: | ---: | ---: | ---: |');
console.log(
  `| ${sec(median(page.fcp))} | ${sec(median(page.own))} | ${mib(median(page.heap))} | ${median(page.frame).toFixed(2)} ms (max ${Math.max(...page.frame).toFixed(2)} ms) |`,
);

if (keep) console.log(`\nkept: ${dir}`);
else rmSync(dir, { recursive: true, force: true });
