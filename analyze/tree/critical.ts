// `tree --critical`: which processes are on the critical path, and each image's
// own time on it (docs/critical-path.md). Pure.

import type { CriticalPath } from '../replay/critical-path.ts';
import type { ExecRow } from '../replay/model.ts';

export interface CriticalMarks {
  /** Process ids on the path. */
  processes: ReadonlySet<number>;
  /** An image's own time on the path (ns; 0 for an image of a process on the path that had none); null off the path. */
  ownNs(node: { processId: number; execSeq: number | null }): number | null;
}

export function criticalMarks(path: CriticalPath, execs: readonly ExecRow[]): CriticalMarks {
  const processes = new Set(path.steps.map((s) => s.processId));
  const wanted = new Set<number>();
  for (const s of path.segments) if (s.execId !== null) wanted.add(s.execId);
  const seqOf = new Map<number, number>();
  for (const x of execs) if (wanted.has(x.id)) seqOf.set(x.id, x.seq);
  // Keyed `processId:seq`, or `processId:` for the time before the first exec.
  const own = new Map<string, number>();
  for (const s of path.segments) {
    const key = `${s.processId}:${s.execId === null ? '' : (seqOf.get(s.execId) ?? '')}`;
    own.set(key, (own.get(key) ?? 0) + (s.end - s.start));
  }
  return {
    processes,
    ownNs: (n) => {
      if (!processes.has(n.processId)) return null;
      const exact = own.get(`${n.processId}:${n.execSeq ?? ''}`) ?? 0;
      // A process's time before its first exec runs its parent's image: it is counted on its first image.
      return n.execSeq === 0 ? exact + (own.get(`${n.processId}:`) ?? 0) : exact;
    },
  };
}
