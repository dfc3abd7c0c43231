// Stats inputs made from the model's rows rather than read back from SQLite
// (for `report`, which has the model at hand): the same tallies
// (sections/failed-execs.ts, context.ts execNames) fed from the other source
// of the same rows.

import { firstString } from '../../formats/nul-area.ts';
import type { CaptureInfo } from '../replay/capture-info.ts';
import type { Model } from '../replay/model.ts';
import { execNames } from './context.ts';
import { failedExecTally } from './sections/failed-execs.ts';
import type { StatsInputs } from './stats.ts';

export function statsInputsOfModel(model: Model, capture: CaptureInfo): Pick<StatsInputs, 'failedExecs' | 'execNames'> {
  const t0 = capture.startNs;
  const { execs, execFailures, processes } = model;
  return {
    failedExecs: failedExecTally(
      execs.map((x) => ({ processId: x.processId, time: Number(x.time - t0), filename: x.filename })),
      execFailures.map((f) => ({
        processId: f.processId,
        time: Number(f.time - t0),
        path: f.path,
        errno: f.errnoName,
      })),
    ),
    execNames: execNames(
      execs.map((x) => ({
        processId: x.processId,
        seq: x.seq,
        exe: x.exe,
        argv0: x.argv.length === 0 ? null : firstString(x.argv).toString('utf8'),
      })),
      (id) => processes[id - 1]?.execCount ?? 0,
    ),
  };
}
