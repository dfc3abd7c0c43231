// Failed processes (non-zero exit or a signal), each with its ancestors and
// whether it is a leaf (no failure below it: a likely cause).

import { processFailed } from '../../replay/model.ts';
import { processStat, type StatsContext } from '../context.ts';
import { compareBig } from '../tally.ts';
import { type FailureStat, MAX_ANCESTORS } from '../types.ts';

export function failureStats(ctx: StatsContext): FailureStat[] {
  const { byId, nameOf, rootOf } = ctx;
  const failures = ctx.model.processes
    .filter(processFailed)
    .sort((a, b) => compareBig(a.start, b.start) || a.pid - b.pid || a.id - b.id)
    .map((p) => ctx.listed(p.id))
    .map((r): FailureStat => {
      // The nearest ancestors, then the root: bounded per failure, so the report stays linear in deep chains.
      const near: string[] = [];
      let a = byId.get(r.processId)?.parentId ?? null;
      for (; a !== null && near.length < MAX_ANCESTORS - 2; a = byId.get(a)?.parentId ?? null) near.push(nameOf(a));
      const ancestors = near.reverse();
      if (a !== null) {
        const top = rootOf(a);
        ancestors.unshift(...(top === a ? [nameOf(top)] : [nameOf(top), '…']));
      }
      return {
        ...processStat(ctx, r),
        exitCode: r.exitCode,
        signal: r.signal === null ? null : (r.signalName ?? `signal ${r.signal}`),
        coreDumped: r.coreDumped,
        ancestors,
        leaf: true,
      };
    });
  const failedIds = new Map(failures.map((f) => [f.processId, f]));
  // Each ancestor is visited once over all failures (a visited one had its own ancestors marked already).
  const visited = new Set<number>();
  for (const f of failures) {
    for (
      let a = byId.get(f.processId)?.parentId ?? null;
      a !== null && !visited.has(a);
      a = byId.get(a)?.parentId ?? null
    ) {
      visited.add(a);
      const up = failedIds.get(a);
      if (up !== undefined) up.leaf = false;
    }
  }
  return failures;
}
