// Time and resources per command group (the program's name: cc, cc1, ld,
// make): total and longest duration of its images, total CPU time and the
// largest max RSS, A beside B. A change is flagged only beyond a noise
// threshold that is both absolute and relative (two runs of the same build
// never take exactly the same time):
//   duration (total or max)  |B − A| ≥ 100 ms and B/A ≥ 1.25 or ≤ 1/1.25
//   CPU time (total)          |B − A| ≥ 100 ms and the same ratios
//   max RSS                   |B − A| ≥ 16 MiB and the same ratios
// Groups found in one run only are processes only in A or B, not timing;
// totals are compared only between groups of as many images.

import type { TreeNode } from '../tree/build.ts';
import { cpuNs } from '../tree/display.ts';
import { commandName } from './process-ref.ts';

export interface Threshold {
  /** Absolute change (ns, or KiB for memory). */
  absolute: number;
  /** Ratio B/A (or A/B) from which a change counts. */
  ratio: number;
}

export const THRESHOLDS: Readonly<Record<'duration' | 'cpu' | 'rss', Threshold>> = Object.freeze({
  duration: { absolute: 100e6, ratio: 1.25 },
  cpu: { absolute: 100e6, ratio: 1.25 },
  rss: { absolute: 16 * 1024, ratio: 1.25 },
});

export interface GroupFigures {
  /** Images in the group. */
  count: number;
  /** ns */
  total: number;
  max: number;
  /** ns of CPU time (scheduler runtime, else user + system) of the processes whose usage was recorded; null: none. */
  cpu: number | null;
  /** KiB; null: not recorded. */
  maxRss: number | null;
}

export type Metric = 'total' | 'max' | 'cpu' | 'maxRss';

export interface UsageChange {
  command: string;
  a: GroupFigures;
  b: GroupFigures;
  /** The metrics beyond the threshold. */
  flagged: Metric[];
  /** B/A of the first flagged metric (>1: B slower or bigger). */
  ratio: number;
}

/** Whether the change from `a` to `b` is beyond the threshold. */
export function beyond(a: number, b: number, t: Threshold): boolean {
  if (Math.abs(b - a) < t.absolute) return false;
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return lo <= 0 || hi / lo >= t.ratio;
}

function figuresOf(nodes: Iterable<TreeNode>): Map<string, GroupFigures> {
  const out = new Map<string, GroupFigures>();
  for (const n of nodes) {
    if (n.kind !== 'exec') continue;
    const name = commandName(n);
    let g = out.get(name);
    if (g === undefined) out.set(name, (g = { count: 0, total: 0, max: 0, cpu: null, maxRss: null }));
    const d = (n.end ?? n.captureEnd) - n.start;
    g.count++;
    g.total += d;
    if (d > g.max) g.max = d;
    const r = n.resources;
    if (r !== null) {
      g.cpu = (g.cpu ?? 0) + cpuNs(r);
      const rss = r.maxrssKb;
      if (rss > (g.maxRss ?? -1)) g.maxRss = rss;
    }
  }
  return out;
}

/** The command groups whose duration, CPU time or max RSS changed beyond the thresholds, largest change first. */
export function usageChanges(nodesA: Iterable<TreeNode>, nodesB: Iterable<TreeNode>): UsageChange[] {
  const fa = figuresOf(nodesA);
  const fb = figuresOf(nodesB);
  const out: UsageChange[] = [];
  for (const [command, b] of fb) {
    const a = fa.get(command);
    if (a === undefined) continue;
    const flagged: Metric[] = [];
    let ratio = 1;
    const check = (m: Metric, va: number | null, vb: number | null, t: Threshold): void => {
      if (va === null || vb === null || !beyond(va, vb, t)) return;
      if (flagged.length === 0) ratio = va > 0 ? vb / va : Number.POSITIVE_INFINITY;
      flagged.push(m);
    };
    // Totals of groups with other image counts differ by what ran, not by speed (only in A/B says it).
    if (a.count === b.count) check('total', a.total, b.total, THRESHOLDS.duration);
    check('max', a.max, b.max, THRESHOLDS.duration);
    check('cpu', a.cpu, b.cpu, THRESHOLDS.cpu);
    check('maxRss', a.maxRss, b.maxRss, THRESHOLDS.rss);
    if (flagged.length > 0) out.push({ command, a, b, flagged, ratio });
  }
  const size = (r: number): number => (r >= 1 ? r : 1 / r);
  return out.sort((x, y) => size(y.ratio) - size(x.ratio) || (x.command < y.command ? -1 : 1));
}
