// A real browser for the HTML report: the system chromium driven headless by
// puppeteer-core. Tests that need it are declared with browserTest: skipped with
// the reason where chromium is missing, except under CI=true, where they fail.

import { existsSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.PTRACE_CHROMIUM ?? '/usr/bin/chromium';

const noBrowserReason = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (apt-get install chromium)`;
let warned = false;

export function browserTest(title: string, fn: (t: ExecutionContext) => Promise<void>): void {
  if (noBrowserReason === null) test.serial(title, fn);
  else if (process.env.CI === 'true')
    test(title, (t) => t.fail(`browser test cannot run under CI=true: ${noBrowserReason}`));
  else {
    if (!warned) {
      warned = true;
      process.stderr.write(`browser tests skipped: ${noBrowserReason}\n`);
    }
    test.skip(title, fn);
  }
}

let shared: Promise<Browser> | null = null;

/** One browser per test file (closed by closeBrowser in test.after.always). */
export function browser(): Promise<Browser> {
  shared ??= puppeteer.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless=new'],
    // CI containers have a small /dev/shm
    protocolTimeout: 120_000,
  });
  return shared;
}

export async function closeBrowser(): Promise<void> {
  if (shared !== null) await (await shared).close();
  shared = null;
}

export interface OpenedReport {
  page: Page;
  /** Console errors and warnings, uncaught exceptions, dialogs (alert/confirm). */
  problems: string[];
  /** Every request the page made, the file itself included (as URLs). */
  requests: string[];
}

/**
 * Opens `file` (an HTML report) from file:// with every request intercepted:
 * the document itself is allowed, anything else is recorded and aborted.
 * Waits for the report's test hook.
 */
export async function openReport(file: string, viewport = { width: 1400, height: 1000 }): Promise<OpenedReport> {
  const page = await (await browser()).newPage();
  await page.setViewport(viewport);
  const problems: string[] = [];
  const requests: string[] = [];
  const url = `file://${file}`;
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    requests.push(r.url());
    if (r.url() === url) void r.continue();
    else void r.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction('window.__ptraceReport !== undefined', { timeout: 60_000 });
  return { page, problems, requests };
}
