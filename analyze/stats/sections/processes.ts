// The slowest processes (wall time from start to exit, or to the capture's end).

import { processStat, type StatsContext, TOP } from '../context.ts';
import { compareBig, topOf } from '../tally.ts';
import type { ProcessStat } from '../types.ts';

export function slowestProcesses(ctx: StatsContext): ProcessStat[] {
  const { end, model } = ctx;
  // Exact durations (bigints: a hostile file's times may be far apart) of the processes in model order.
  const duration = (p: (typeof model.processes)[number]): bigint => (p.end ?? end) - (p.attachedAt ?? p.start);
  return topOf(
    model.processes,
    TOP,
    (a, b) => compareBig(duration(b), duration(a)) || compareBig(a.start, b.start) || a.pid - b.pid,
  ).map((p) => processStat(ctx, ctx.listed(p.id)));
}
