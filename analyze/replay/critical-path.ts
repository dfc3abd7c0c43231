// The critical path of a capture: the chain of processes whose own time
// bounded the root's wall time (docs/critical-path.md). Pure: rows in, path
// out. The walk is iterative and visits each process at most once, so a
// forged file (cycles, chains 100,000 deep, children outside their parent's
// lifetime) costs linear time and never a deep stack.

import type { CaptureInfo } from './capture-info.ts';
import { captureInfo } from './capture-info.ts';
import type { ExecRow, Model, ProcessRow, ProcessState } from './model.ts';

/** A stretch of the path: time one process spent on its own (running, or waiting on nothing the capture saw end). */
export interface CriticalSegment {
  processId: number;
  /** The image current in this stretch (an exec row id); null before the process's first exec (a fork still running its parent's image). */
  execId: number | null;
  /** ns since the capture start. */
  start: number;
  end: number;
  /** Level on the path: 0 the root, 1 the child the root waited for, … */
  depth: number;
}

/** A process on the path, with the window in which it was the one waited for. */
export interface CriticalStep {
  processId: number;
  depth: number;
  /** Its window on the path (ns since the capture start): its lifetime, clipped to its parent's window. */
  start: number;
  end: number;
  /** Its own time on the path: the window minus the windows of its children on the path. */
  selfNs: number;
}

/** Own time on the path per image, largest first ("4.1 s in cc1 of big.c"). */
export interface CriticalImage {
  processId: number;
  execId: number | null;
  selfNs: number;
}

export interface CriticalPath {
  rootId: number;
  /** The root's window: its start to its end (the capture end when it did not end). */
  start: number;
  end: number;
  /** false: the root was still running or has no exit record; its end is the capture's. */
  rootEnded: boolean;
  /** Processes on the path, in window order (start, then depth). */
  steps: CriticalStep[];
  /** The path in time order: contiguous, non-overlapping, covering [start, end] exactly (zero-length stretches left out). */
  segments: CriticalSegment[];
  /** Own time per image, largest first (ties: earlier first). */
  images: CriticalImage[];
  /** Children of processes on the path that started inside their parent's window but have no exit record: they could not be placed, so the path may be incomplete. */
  unknownEnds: number;
}

/** What the path is computed from: the model's processes and execs and the capture's start and end. */
export interface CriticalPathInput {
  capture: Pick<CaptureInfo, 'startNs' | 'end'>;
  processes: readonly ProcessRow[];
  execs: readonly ExecRow[];
}

/** A process with its times in ns since the capture start (capture-info.ts's ProcInfo is one). */
export interface PathProcess {
  id: number;
  parentId: number | null;
  start: number;
  /** null: still running, or no exit record (state says which). */
  end: number | null;
  state: ProcessState;
  isRoot: boolean;
}

/** An exec with its time in ns since the capture start. */
export interface PathExec {
  id: number;
  processId: number;
  seq: number;
  time: number;
}

/**
 * The critical path of the capture's root, or null when the capture has no
 * root process (its exec was lost, or an empty file).
 */
export function criticalPath(input: CriticalPathInput): CriticalPath | null {
  const t0 = input.capture.startNs;
  const rel = (ns: bigint): number => Number(ns - t0);
  return criticalPathOfTimes({
    end: input.capture.end,
    processes: input.processes.map((p) => ({
      id: p.id,
      parentId: p.parentId,
      start: rel(p.start),
      end: p.end === null ? null : rel(p.end),
      state: p.state,
      isRoot: p.isRoot,
    })),
    execs: input.execs.map((x) => ({ id: x.id, processId: x.processId, seq: x.seq, time: rel(x.time) })),
  });
}

/** The critical path from processes and execs already in ns since the capture start; `end`: the capture's end. */
export function criticalPathOfTimes(input: {
  end: number;
  processes: readonly PathProcess[];
  execs: readonly PathExec[];
}): CriticalPath | null {
  const { processes, execs } = input;
  let root: PathProcess | null = null;
  for (const p of processes) if (p.isRoot) root = root ?? p;
  if (root === null) return null;
  const captureEnd = input.end;

  // Process ids are dense from 1 (model.ts); anything else is skipped, not trusted.
  const n = processes.length;
  const byId: (PathProcess | undefined)[] = new Array(n + 1);
  for (const p of processes) if (Number.isInteger(p.id) && p.id >= 1 && p.id <= n) byId[p.id] = p;
  const startOf = new Float64Array(n + 1);
  // End of each process: its exit; the capture end when still running; NaN when unknown (no exit record).
  const endOf = new Float64Array(n + 1);
  for (let id = 1; id <= n; id++) {
    const p = byId[id];
    if (p === undefined) continue;
    startOf[id] = p.start;
    endOf[id] = p.end !== null ? p.end : p.state === 'running' ? captureEnd : Number.NaN;
  }

  // Children of each process, latest end first (ties: earlier start, lower id): the walk moves
  // down this list as its time cursor moves back, so each child is looked at once.
  const childCount = new Int32Array(n + 2);
  for (let id = 1; id <= n; id++) {
    const parent = byId[id]?.parentId;
    if (parent != null && parent !== id && byId[parent] !== undefined) childCount[parent]++;
  }
  const firstChild = new Int32Array(n + 2);
  for (let id = 1; id <= n + 1; id++) firstChild[id] = firstChild[id - 1]! + childCount[id - 1]!;
  const children = new Int32Array(firstChild[n + 1]!);
  const fill = firstChild.slice();
  for (let id = 1; id <= n; id++) {
    const parent = byId[id]?.parentId;
    if (parent != null && parent !== id && byId[parent] !== undefined) children[fill[parent]!++] = id;
  }
  const latestEndFirst = (a: number, b: number): number => {
    const ea = endOf[a]!;
    const eb = endOf[b]!;
    // Unknown ends (NaN) last: they are never waited for.
    if (Number.isNaN(ea) || Number.isNaN(eb)) return Number.isNaN(ea) ? (Number.isNaN(eb) ? a - b : 1) : -1;
    return eb - ea || startOf[a]! - startOf[b]! || a - b;
  };

  const rootEnded = root.end !== null;
  const rootStart = startOf[root.id]!;
  const rootEnd = Math.max(rootStart, Number.isNaN(endOf[root.id]!) ? captureEnd : endOf[root.id]!);

  interface Frame {
    id: number;
    depth: number;
    /** The window's lower bound. */
    from: number;
    /** The time cursor: everything after it is placed. */
    t: number;
    /** Next child to look at (index into children). */
    next: number;
    end: number;
    selfNs: number;
  }
  const visited = new Uint8Array(n + 1);
  const steps: CriticalStep[] = [];
  // Own-time stretches, collected from the end backwards (reversed at the end).
  const stretches: { processId: number; start: number; end: number; depth: number }[] = [];
  let unknownEnds = 0;

  const open = (id: number, depth: number, from: number, to: number): Frame => {
    visited[id] = 1;
    const a = firstChild[id]!;
    const b = firstChild[id + 1]!;
    if (b - a > 1) children.subarray(a, b).sort(latestEndFirst);
    return { id, depth, from, t: to, next: firstChild[id]!, end: to, selfNs: 0 };
  };
  const own = (f: Frame, start: number, end: number): void => {
    if (end <= start) return;
    f.selfNs += end - start;
    stretches.push({ processId: f.id, start, end, depth: f.depth });
  };

  // The stack holds the chain from the root to the process being walked; each process enters it once.
  const stack: Frame[] = [open(root.id, 0, rootStart, rootEnd)];
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    const last = firstChild[f.id + 1]!;
    let picked = 0;
    while (f.next < last) {
      const c = children[f.next++]!;
      const end = endOf[c]!;
      if (Number.isNaN(end)) {
        if (startOf[c]! < f.end && startOf[c]! >= f.from) unknownEnds++;
        continue;
      }
      // Not waited for: still running at the cursor, ended before the window, or already placed (a forged cycle).
      if (end > f.t || end <= f.from || visited[c] === 1) continue;
      picked = c;
      break;
    }
    if (picked === 0) {
      own(f, f.from, f.t);
      steps.push({ processId: f.id, depth: f.depth, start: f.from, end: f.end, selfNs: f.selfNs });
      stack.pop();
      const parent = stack[stack.length - 1];
      if (parent !== undefined) parent.t = f.from;
      continue;
    }
    const end = endOf[picked]!;
    own(f, end, f.t);
    f.t = end;
    const from = Math.min(end, Math.max(f.from, startOf[picked]!));
    stack.push(open(picked, f.depth + 1, from, end));
  }

  // Stretches → segments split at exec times (the image current in each part).
  const NO_EXECS: PathExec[] = [];
  const execsOf: PathExec[][] = new Array(n + 1).fill(NO_EXECS);
  for (const x of execs) {
    if (visited[x.processId] !== 1) continue;
    if (execsOf[x.processId] === NO_EXECS) execsOf[x.processId] = [];
    execsOf[x.processId]!.push(x);
  }
  for (const list of execsOf) if (list.length > 1) list.sort((a, b) => a.seq - b.seq);
  const segments: CriticalSegment[] = [];
  for (let i = stretches.length - 1; i >= 0; i--) {
    const s = stretches[i]!;
    const list = execsOf[s.processId]!;
    let start = s.start;
    // The image current at `start`: the last exec at or before it.
    let k = -1;
    while (k + 1 < list.length && list[k + 1]!.time <= start) k++;
    while (start < s.end) {
      const nextExec = k + 1 < list.length ? list[k + 1]!.time : Number.POSITIVE_INFINITY;
      const end = Math.min(s.end, nextExec);
      if (end > start) {
        segments.push({ processId: s.processId, execId: k >= 0 ? list[k]!.id : null, start, end, depth: s.depth });
      }
      start = end;
      k++;
    }
  }

  // Keyed by exec id (unique in the model), or minus the process id for the image before its first exec.
  const perImage = new Map<number, CriticalImage & { first: number }>();
  for (const s of segments) {
    const key = s.execId ?? -s.processId;
    const known = perImage.get(key);
    if (known !== undefined) known.selfNs += s.end - s.start;
    else perImage.set(key, { processId: s.processId, execId: s.execId, selfNs: s.end - s.start, first: s.start });
  }
  const images = [...perImage.values()]
    .sort((a, b) => b.selfNs - a.selfNs || a.first - b.first)
    .map(({ processId, execId, selfNs }) => ({ processId, execId, selfNs }));

  steps.sort((a, b) => a.start - b.start || a.depth - b.depth);
  return { rootId: root.id, start: rootStart, end: rootEnd, rootEnded, steps, segments, images, unknownEnds };
}

/** The critical path of a loaded model. */
export function criticalPathOfModel(m: Model): CriticalPath | null {
  return criticalPath({ capture: captureInfo(m), processes: m.processes, execs: m.execs });
}
