// `ptrace report`: raw file → the model (secrets replaced, analyze/secrets/model.ts)
// → `stats` (the same figures as `stats --json`) → the page's data → one HTML file.

import { collectBetweenPhases } from '../memory.ts';
import { printWarnings } from '../output.ts';
import { captureInfo } from '../replay/capture-info.ts';
import { criticalPath } from '../replay/critical-path.ts';
import { load } from '../replay/load.ts';
import type { Model } from '../replay/model.ts';
import { Progress } from '../replay/progress.ts';
import type { Redactor } from '../secrets/index.ts';
import { computeStats } from '../stats/stats.ts';
import type { StatsReport } from '../stats/types.ts';
import { reportData } from './data.ts';
import { reportHtml } from './html.ts';
import type { ReportData } from './page/schema.ts';

export interface ReportOptions {
  /** Replaces the secrets of every string the report shows; null: as captured (--no-redact). */
  redactor: Redactor | null;
  generatedBy: string;
}

export async function generateReport(path: string, opts: ReportOptions): Promise<{ html: string; data: ReportData }> {
  const progress = new Progress('reading');
  const { model, warnings } = load(path, { env: true, progress, redact: opts.redactor });
  progress.step('computing');
  const capture = captureInfo(model);
  const critical = criticalPath({ capture, processes: model.processes, execs: model.execs });
  const stats = embeddedStats(
    computeStats(model, capture, {
      criticalPath: statsSeesTheSamePath(model) ? critical : undefined,
      criticalSteps: false, // embeddedStats leaves them out
    }),
  );
  collectBetweenPhases();
  const data = reportData({
    model,
    capture,
    stats,
    redacted: opts.redactor !== null,
    generatedBy: opts.generatedBy,
    critical,
  });
  const html = await reportHtml(data);
  progress.done();
  printWarnings(warnings);
  return { html, data };
}

/**
 * Whether `stats` finds the page's critical path: unless the capture attached to
 * a process, which `stats` counts from then and the page from its real start.
 */
function statsSeesTheSamePath(model: Model): boolean {
  return model.processes.every((p) => p.attachedAt === null);
}

/**
 * The `stats --json` document as the report embeds it: without the critical
 * path's per-process steps, which the page draws from its own segments
 * (`critical`) and which, on a long serial build, would be most of the file.
 */
export function embeddedStats(stats: StatsReport): StatsReport {
  return stats.criticalPath ? { ...stats, criticalPath: { ...stats.criticalPath, steps: [] } } : stats;
}
