// `ptrace report`: raw file → the model (secrets replaced, analyze/secrets/model.ts)
// → the page's data → one HTML file. The stats (the figures of `stats --json`)
// are computed from SQLite on a second core meanwhile: the database writer's
// thread builds an in-memory database of the model's rows and runs
// stats-job.ts on it while this thread makes the rest of the page's data.

import { DatabaseWriter } from '../db/writer.ts';
import { collectBetweenPhases } from '../memory.ts';
import { printWarnings } from '../output.ts';
import { captureInfo } from '../replay/capture-info.ts';
import { criticalPath } from '../replay/critical-path.ts';
import { load } from '../replay/load.ts';
import type { Model } from '../replay/model.ts';
import { Progress } from '../replay/progress.ts';
import type { Redactor } from '../secrets/index.ts';
import { statsInputsOfModel } from '../stats/model-inputs.ts';
import type { StatsReport } from '../stats/types.ts';
import { reportData } from './data.ts';
import { reportHtml } from './html.ts';
import type { ReportData } from './page/schema.ts';
import type { StatsJobInput } from './stats-job.ts';

export interface ReportOptions {
  /** Replaces the secrets of every string the report shows; null: as captured (--no-redact). */
  redactor: Redactor | null;
  generatedBy: string;
}

// The job's module sits next to this one, with the same extension (.ts in a clone, .js in the package).
const here = import.meta.url;
const STATS_JOB = new URL(`./stats-job${here.slice(here.lastIndexOf('.'))}`, here);

export async function generateReport(path: string, opts: ReportOptions): Promise<{ html: string; data: ReportData }> {
  const progress = new Progress('reading');
  // The rows are bound here faster than the thread inserts them: this thread goes on without waiting for it
  // (the batches of a 100,000-process capture: ~200).
  const writer = new DatabaseWriter(':memory:', { job: STATS_JOB, maxInFlight: 256 });
  let data: ReportData;
  let warnings: Model['warnings'];
  try {
    const loaded = load(path, { env: true, progress, redact: opts.redactor });
    const { model } = loaded;
    warnings = loaded.warnings;
    progress.step('computing');
    writer.send({ ...model, envs: [], envVars: [] }); // stats shows no environment
    const capture = captureInfo(model);
    const critical = criticalPath({ capture, processes: model.processes, execs: model.execs });
    const inputs = {
      ...statsInputsOfModel(model, capture),
      criticalPath: statsSeesTheSamePath(model) ? critical : undefined,
    };
    writer.end({ capture, inputs } satisfies StatsJobInput);
    // The load's and the binding's garbage: the page's data would grow the heap on top of it.
    collectBetweenPhases();
    data = reportData({
      model,
      capture,
      stats: () => writer.wait() as StatsReport,
      redacted: opts.redactor !== null,
      generatedBy: opts.generatedBy,
      critical,
    });
  } finally {
    writer.close();
  }
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
