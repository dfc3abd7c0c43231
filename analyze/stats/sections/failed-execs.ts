// Failed exec attempts by path and errno, and how many were PATH-search misses.
//
// Computed from the rows in JS, one scan of each table, not with correlated
// SQL subqueries (one index lookup per failed exec took most of `stats` on a
// build's PATH searches). The figures are the ones that SQL gave:
//   - `final`: no exec of the process at or after the attempt;
//   - a PATH-search miss: the process's first exec at or after the attempt
//     (in time, then seq order) runs a file of the same name (what follows the
//     last slash);
//   - ordered by final, count (both descending), path, errno (UTF-8 bytes).

import type { Model } from '../../replay/model.ts';
import { compareUtf8 } from '../context.ts';
import type { FailedExecStat } from '../types.ts';

export interface FailedExecTally {
  /** Failed exec attempts in all. */
  attempts: number;
  stats: FailedExecStat[];
  /** Attempts followed, in the same process, by a successful exec of a file with the same name. */
  searchMisses: number;
}

/** What follows the last slash (all of it without one; empty after a trailing slash). */
const nameOf = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** The tally of the model's failed execs against its execs (times from `t0`, the capture's start). */
export function failedExecTally(model: Pick<Model, 'execs' | 'execFailures'>, t0: bigint): FailedExecTally {
  // Each process's execs in time order (the model's order).
  const execs = new Map<number, { times: number[]; names: string[] }>();
  for (const { processId, time, filename } of model.execs) {
    let x = execs.get(processId);
    if (x === undefined) execs.set(processId, (x = { times: [], names: [] }));
    x.times.push(Number(time - t0));
    x.names.push(filename);
  }
  const groups = new Map<string, Map<string, FailedExecStat>>();
  let searchMisses = 0;
  for (const { processId, time, path, errnoName: errno } of model.execFailures) {
    let byErrno = groups.get(path);
    if (byErrno === undefined) groups.set(path, (byErrno = new Map()));
    let g = byErrno.get(errno);
    if (g === undefined) byErrno.set(errno, (g = { path, errno, count: 0, final: 0 }));
    g.count++;
    const next = firstAtOrAfter(execs.get(processId), Number(time - t0));
    if (next === null) g.final++;
    else if (nameOf(next) === nameOf(path)) searchMisses++;
  }
  const stats: FailedExecStat[] = [];
  for (const byErrno of groups.values()) for (const g of byErrno.values()) stats.push(g);
  stats.sort(
    (a, b) => b.final - a.final || b.count - a.count || compareUtf8(a.path, b.path) || compareUtf8(a.errno, b.errno),
  );
  return { attempts: model.execFailures.length, stats, searchMisses };
}

/** The file of the first exec at or after `time` (binary search), or null. */
function firstAtOrAfter(x: { times: number[]; names: string[] } | undefined, time: number): string | null {
  if (x === undefined) return null;
  let lo = 0;
  let hi = x.times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x.times[mid]! >= time) hi = mid;
    else lo = mid + 1;
  }
  return lo < x.names.length ? x.names[lo]! : null;
}
