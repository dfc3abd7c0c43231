// The figures bench/rss-hook.ts prints on stderr when a measured `ptrace`
// child exits (peak RSS and CPU time, one line), written and read here only,
// and the one way the benchmarks run a measured child.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The module to preload (`node --import RSS_HOOK bin/ptrace.js …`). */
export const RSS_HOOK = fileURLToPath(new URL('./rss-hook.ts', import.meta.url));
const PTRACE = fileURLToPath(new URL('../bin/ptrace.js', import.meta.url));

const LINE = /\nbench: maxrss_kb=(\d+) user_us=(\d+) system_us=(\d+)\n/;

/** The line rss-hook.ts writes. */
export function figuresLine(r: { maxRSS: number; userCPUTime: number; systemCPUTime: number }): string {
  return `\nbench: maxrss_kb=${r.maxRSS} user_us=${r.userCPUTime} system_us=${r.systemCPUTime}\n`;
}

/** The figures in a measured child's stderr; null when it has none (killed before its exit hook ran). */
export function readFigures(stderr: string): { rssKb: number; cpuMs: number } | null {
  const m = LINE.exec(stderr);
  return m === null ? null : { rssKb: Number(m[1]), cpuMs: (Number(m[2]) + Number(m[3])) / 1000 };
}

/** A measured child's stderr without the figures line. */
export function withoutFigures(stderr: string): string {
  return stderr.replace(LINE, '\n');
}

export interface MeasuredRun {
  wallMs: number;
  rssKb: number;
  cpuMs: number;
  status: number;
  stdout: string;
}

/**
 * `node bin/ptrace.js ARGV` as a measured child process (wall time here, peak
 * RSS and CPU time from its exit hook). Throws unless it exited with one of
 * `statuses` (default 0) and reported its figures.
 */
export function measuredCli(
  argv: readonly string[],
  opts: { statuses?: readonly number[]; env?: NodeJS.ProcessEnv; maxBuffer?: number } = {},
): MeasuredRun {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--import', RSS_HOOK, PTRACE, ...argv], {
    encoding: 'utf8',
    maxBuffer: opts.maxBuffer ?? 1 << 30,
    env: opts.env,
  });
  const wallMs = performance.now() - started;
  const figures = readFigures(r.stderr);
  if (r.status === null || !(opts.statuses ?? [0]).includes(r.status) || figures === null)
    throw new Error(`ptrace ${argv.join(' ')} failed (exit ${r.status ?? r.signal}): ${r.stderr}`);
  return { wallMs, ...figures, status: r.status, stdout: r.stdout };
}
