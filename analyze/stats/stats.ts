// The `stats` diagnose report: figures tallied from the replay model's rows,
// rendered as text (render.ts) or JSON.
//
// A new section: its field in StatsReport (types.ts), its compute function in
// sections/NAME.ts called below, its renderer in render.ts's SECTIONS, and any
// issue it raises in issues.ts.

import { type CaptureInfo, procInfosOfModel } from '../replay/capture-info.ts';
import type { CriticalPath } from '../replay/critical-path.ts';
import { type StatsModel, statsContext } from './context.ts';
import { findIssues } from './issues.ts';
import { commandStats } from './sections/commands.ts';
import { containerStats } from './sections/containers.ts';
import { criticalPathOfContext, criticalPathStats } from './sections/critical-path.ts';
import { dnsStats } from './sections/dns.ts';
import { failedExecTally } from './sections/failed-execs.ts';
import { failureStats } from './sections/failures.ts';
import { filesStats, type OpenTally, openTallyOf } from './sections/files.ts';
import { histogramStats } from './sections/histograms.ts';
import { networkStats } from './sections/network.ts';
import { overviewStats } from './sections/overview.ts';
import { slowestProcesses } from './sections/processes.ts';
import { cpuStats, memoryStats, usageTotals } from './sections/resources.ts';
import { concurrency } from './sections/timeline.ts';
import { STATS_JSON_VERSION, type StatsReport } from './types.ts';

export { bar, renderStats, terminalReport } from './render.ts';
export { OpenTally } from './sections/files.ts';
export { concurrency } from './sections/timeline.ts';
export * from './types.ts';

/** What a caller already has of the report's inputs; each one left out is computed from the model. */
export interface StatsInputs {
  /** The capture's file opens, tallied as the loader made them (sections/files.ts); else the model's opens. */
  opens?: OpenTally;
  /** The critical path of the model's processes and execs (replay/critical-path.ts). */
  criticalPath?: CriticalPath | null;
  /** false: the critical path's per-process steps left out (the report draws its own). */
  criticalSteps?: boolean;
}

export function computeStats(model: StatsModel, capture: CaptureInfo, inputs: StatsInputs = {}): StatsReport {
  const processes = procInfosOfModel(model.processes, capture);
  const ctx = statsContext(model, capture, processes);
  const opens = inputs.opens ?? openTallyOf(model.opens);
  const path = inputs.criticalPath !== undefined ? inputs.criticalPath : criticalPathOfContext(ctx);
  const { topByCount, topByTime } = commandStats(ctx);
  const failures = failureStats(ctx);
  const { peak, peakAt, timeline } = concurrency(processes, capture.end);
  const usage = usageTotals(ctx);
  const failedExecs = failedExecTally(model, capture.startNs);
  const sections = {
    overview: overviewStats(ctx, failures.length, failedExecs, { peak, peakAt }),
    topByCount,
    topByTime,
    slowest: slowestProcesses(ctx),
    criticalPath: criticalPathStats(ctx, path, inputs.criticalSteps ?? true),
    failures,
    failedExecs: failedExecs.stats,
    timeline,
    files: filesStats(ctx, opens),
    cpu: cpuStats(ctx, usage),
    memory: memoryStats(ctx, usage),
    histograms: histogramStats(ctx),
    network: networkStats(ctx),
    dns: dnsStats(ctx),
    containers: containerStats(ctx),
  };
  return {
    format: 'ptrace-stats',
    version: STATS_JSON_VERSION,
    ...sections,
    issues: findIssues(ctx, sections),
  };
}
