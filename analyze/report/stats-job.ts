// `report`'s stats (the figures of `stats --json`), computed on the database
// writer's thread (db/writer.ts) as soon as it has built the database, while
// the main thread makes the page's data.

import type { Db } from '../db/database.ts';
import { type CaptureInfo, readProcesses } from '../replay/capture-info.ts';
import { computeStats, type StatsInputs } from '../stats/stats.ts';
import type { StatsReport } from '../stats/types.ts';

export interface StatsJobInput {
  capture: CaptureInfo;
  /** What this thread's model already gives (the critical path, tallies: stats/model-inputs.ts). */
  inputs: StatsInputs;
}

export function run(db: Db, input: StatsJobInput): StatsReport {
  const { capture, inputs } = input;
  return embeddedStats(
    computeStats(db, capture, readProcesses(db, capture), {
      ...inputs,
      criticalSteps: false, // embeddedStats leaves them out
    }),
  );
}

/**
 * The `stats --json` document as the report embeds it: without the critical
 * path's per-process steps, which the page draws from its own segments
 * (`critical`) and which, on a long serial build, would be most of the file.
 */
export function embeddedStats(stats: StatsReport): StatsReport {
  return stats.criticalPath ? { ...stats, criticalPath: { ...stats.criticalPath, steps: [] } } : stats;
}
