// The overview: the capture's figures and the report's totals.

import { isoTime } from '../../format.ts';
import type { StatsContext } from '../context.ts';
import type { StatsReport } from '../types.ts';
import { pathSearchMisses } from './failed-execs.ts';

export function overviewStats(
  ctx: StatsContext,
  failures: number,
  concurrency: { peak: number; peakAt: number },
): StatsReport['overview'] {
  const { capture, one } = ctx;
  return {
    path: capture.path,
    command: capture.command,
    startTime: isoTime(capture.startNs),
    wallTimeNs: capture.end,
    complete: capture.complete,
    processes: ctx.processes.length,
    execs: one<number>('SELECT count(*) FROM execs'),
    failures,
    failedExecs: one<number>('SELECT count(*) FROM exec_failures'),
    failedExecSearchMisses: pathSearchMisses(ctx),
    lostRecords: capture.lost,
    peakConcurrency: concurrency.peak,
    peakAtNs: concurrency.peakAt,
    threads: one<number>('SELECT coalesce(sum(threads - 1), 0) FROM processes'),
  };
}
