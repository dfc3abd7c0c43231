// The overview: the capture's figures and the report's totals.

import { isoTime } from '../../format.ts';
import type { StatsContext } from '../context.ts';
import type { StatsReport } from '../types.ts';

export function overviewStats(
  ctx: StatsContext,
  failures: number,
  failedExecs: { attempts: number; searchMisses: number },
  concurrency: { peak: number; peakAt: number },
): StatsReport['overview'] {
  const { capture, model } = ctx;
  let execs = 0;
  for (const x of model.execs) if (!x.attached) execs++;
  let threads = 0;
  for (const p of model.processes) threads += p.threads - 1;
  return {
    path: capture.path,
    command: capture.command,
    attachedTo: capture.attachedTo,
    startTime: isoTime(capture.startNs),
    wallTimeNs: capture.end,
    complete: capture.complete,
    processes: ctx.processes.length,
    execs,
    failures,
    failedExecs: failedExecs.attempts,
    failedExecSearchMisses: failedExecs.searchMisses,
    lostRecords: capture.lost,
    peakConcurrency: concurrency.peak,
    peakAtNs: concurrency.peakAt,
    threads,
  };
}
