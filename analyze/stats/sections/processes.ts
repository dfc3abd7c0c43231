// The slowest processes (wall time from start to exit, or to the capture's end).

import { PROCESS_SELECT, type ProcessRow, processStat, type StatsContext, TOP } from '../context.ts';
import type { ProcessStat } from '../types.ts';

export function slowestProcesses(ctx: StatsContext): ProcessStat[] {
  return ctx
    .q<ProcessRow>(`${PROCESS_SELECT} ORDER BY durationNs DESC, p.start_ns, p.pid LIMIT ${TOP}`, {
      t0: ctx.t0,
      end: ctx.end,
    })
    .map((r) => processStat(ctx, r));
}
