// The report's embedded data from forged models: parent pointers always point to an
// earlier row (the page walks up the tree on them), whatever the rows say.

import test from 'ava';
import { captureInfo } from '../../analyze/replay/capture-info.ts';
import { modelOfCapture } from '../../analyze/replay/load.ts';
import { reportData } from '../../analyze/report/data.ts';
import type { StatsReport } from '../../analyze/stats/types.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { manyCompilesScenario } from '../../testkit/synth.ts';

const STATS = { overview: { startTime: 'x' } } as unknown as StatsReport;

test('a parent cycle and a self-parent become roots; every parent is an earlier row', (t) => {
  const model = modelOfCapture(readCaptureBuffer(manyCompilesScenario(5).buffer()));
  const forged = {
    ...model,
    processes: model.processes.map((p) =>
      p.id === 1 ? { ...p, parentId: 3 } : p.id === 3 ? { ...p, parentId: 1 } : p.id === 4 ? { ...p, parentId: 4 } : p,
    ),
  };
  const data = reportData({
    model: forged,
    capture: captureInfo(forged),
    stats: STATS,
    redacted: false,
    generatedBy: 'test',
    critical: null,
  });
  const p = data.processes;
  t.is(p.id.length, model.processes.length);
  t.deepEqual(
    [...p.id].sort((a, b) => a - b),
    model.processes.map((x) => x.id),
  );
  p.parent.forEach((parent, row) => t.true(parent < row, `row ${row}`));
});
