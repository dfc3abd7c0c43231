// The critical path (analyze/replay/critical-path.ts, docs/critical-path.md): the
// processes on it, and the images with the most own time on it.

import { type CriticalPath, criticalPathOfTimes, type PathExec } from '../../replay/critical-path.ts';
import { PROCESS_SELECT, type ProcessRow, processStat, type StatsContext, TOP } from '../context.ts';
import type { CriticalImageStat, CriticalPathReport, CriticalStepStat } from '../types.ts';

/** The critical path of the processes of `ctx` and the execs of its database. */
export function criticalPathOfDb(ctx: StatsContext): CriticalPath | null {
  const execs = ctx.q<PathExec>('SELECT id, process_id AS processId, seq, time_ns - :t0 AS time FROM execs', {
    t0: ctx.t0,
  });
  return criticalPathOfTimes({ end: ctx.capture.end, processes: ctx.processes, execs });
}

/**
 * The section of `path`, the critical path of the processes of `ctx`;
 * `withSteps: false` leaves its per-process steps out (an empty list).
 */
export function criticalPathStats(
  ctx: StatsContext,
  path: CriticalPath | null,
  withSteps = true,
): CriticalPathReport | null {
  if (path === null) return null;
  const wall = path.end - path.start;
  const top = path.images.slice(0, TOP);
  const argvOf = new Map<number, string[]>();
  const getArgv = ctx.db.prepare('SELECT argv_json FROM execs WHERE id = ?').pluck();
  for (const i of top) {
    if (i.execId !== null) argvOf.set(i.execId, JSON.parse(getArgv.get(i.execId) as string) as string[]);
  }
  const images: CriticalImageStat[] = top.map((i) => ({
    processId: i.processId,
    pid: ctx.byId.get(i.processId)?.pid ?? 0,
    execId: i.execId,
    argv: i.execId === null ? [] : (argvOf.get(i.execId) ?? []),
    forkOf: i.execId === null ? forkedFrom(ctx, i.processId) : null,
    ownNs: i.selfNs,
    share: wall > 0 ? Math.round((i.selfNs / wall) * 1000) / 1000 : 0,
  }));
  let depth = 0;
  for (const s of path.steps) if (s.depth > depth) depth = s.depth;
  return {
    rootProcessId: path.rootId,
    rootPid: ctx.byId.get(path.rootId)?.pid ?? 0,
    startNs: path.start,
    endNs: path.end,
    rootEnded: path.rootEnded,
    unknownEnds: path.unknownEnds,
    processes: path.steps.length,
    depth,
    images,
    steps: withSteps ? stepStats(ctx, path) : [],
  };
}

/** The processes on the path with their windows, in the path's order. */
function stepStats(ctx: StatsContext, path: CriticalPath): CriticalStepStat[] {
  const onPath = new Map(path.steps.map((s) => [s.processId, s]));
  const steps: CriticalStepStat[] = [];
  for (const r of ctx.q<ProcessRow>(PROCESS_SELECT, { t0: ctx.t0, end: ctx.end })) {
    const s = onPath.get(r.processId);
    if (s === undefined) continue;
    steps.push({
      ...processStat(ctx, r),
      depth: s.depth,
      windowStartNs: s.start,
      windowEndNs: s.end,
      ownNs: s.selfNs,
    });
  }
  const order = new Map(path.steps.map((s, i) => [s.processId, i]));
  return steps.sort((a, b) => order.get(a.processId)! - order.get(b.processId)!);
}

/** The image a process ran before its first exec: its parent's (by the parent's last image name). */
function forkedFrom(ctx: StatsContext, processId: number): string {
  const parent = ctx.byId.get(processId)?.parentId ?? null;
  if (parent === null) return '?';
  return ctx.nameOf(parent).replace(/^\(fork of (.*)\)$/, '$1');
}
