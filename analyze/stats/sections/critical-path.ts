// The critical path (analyze/replay/critical-path.ts, docs/critical-path.md): the
// processes on it, and the images with the most own time on it.

import { decodeStrings } from '../../../formats/nul-area.ts';
import { type CriticalPath, criticalPathOfTimes, type PathExec } from '../../replay/critical-path.ts';
import { execById } from '../../replay/model.ts';
import { processStat, type StatsContext, TOP } from '../context.ts';
import type { CriticalImageStat, CriticalPathReport, CriticalStepStat } from '../types.ts';

/** The critical path of the processes of `ctx` and the model's execs. */
export function criticalPathOfContext(ctx: StatsContext): CriticalPath | null {
  const { t0 } = ctx;
  const execs = ctx.model.execs.map(
    (x): PathExec => ({ id: x.id, processId: x.processId, seq: x.seq, time: Number(x.time - t0) }),
  );
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
  const images: CriticalImageStat[] = top.map((i) => ({
    processId: i.processId,
    pid: ctx.byId.get(i.processId)?.pid ?? 0,
    execId: i.execId,
    argv: i.execId === null ? [] : decodeStrings(execById(ctx.model.execs, i.execId)?.argv ?? Buffer.alloc(0)),
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
  return path.steps.map((s) => ({
    ...processStat(ctx, ctx.listed(s.processId)),
    depth: s.depth,
    windowStartNs: s.start,
    windowEndNs: s.end,
    ownNs: s.selfNs,
  }));
}

/** The image a process ran before its first exec: its parent's (by the parent's last image name). */
function forkedFrom(ctx: StatsContext, processId: number): string {
  const parent = ctx.byId.get(processId)?.parentId ?? null;
  if (parent === null) return '?';
  return ctx.nameOf(parent).replace(/^\(fork of (.*)\)$/, '$1');
}
