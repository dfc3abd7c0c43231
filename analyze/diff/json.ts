// A diff report as the JSON document of `ptrace diff --json` (docs/diff.md):
// the report's own structure, times as ns numbers relative to each run's
// start, wall clock starts as decimal strings, strings exact (environment
// values masked as in the text).

import { isoTime } from '../format.ts';
import type { DiffReport, RunInfo } from './diff.ts';
import { summaryLine } from './summary.ts';

function run(r: RunInfo) {
  return {
    path: r.path,
    hostname: r.hostname,
    kernelRelease: r.kernelRelease,
    format: r.format,
    startTime: isoTime(r.startNs),
    startNs: r.startNs.toString(),
    durationNs: r.durationNs,
    processes: r.processes,
    complete: r.complete,
    lostRecords: r.lostRecords,
    command: r.command,
  };
}

export function diffDocument(r: DiffReport, different: boolean) {
  return {
    format: 'ptrace-diff',
    version: 1,
    summary: summaryLine(r),
    different,
    a: run(r.a),
    b: run(r.b),
    notes: r.notes,
    sections: r.sections,
    matched: r.matched,
    firstDivergence: r.firstDivergence,
    outcomes: r.outcomes,
    onlyA: { processes: r.processesOnlyA, groups: r.onlyA },
    onlyB: { processes: r.processesOnlyB, groups: r.onlyB },
    commands: r.images,
    env: r.env,
    files: r.files,
    net: r.net,
    usage: r.usage,
    thresholds: r.thresholds,
  };
}
