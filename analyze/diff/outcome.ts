// Outcomes that differ between the runs: an image's exit status (exit code,
// signal, core dump) and its failed exec attempts that no successful exec of
// the same program followed (a PATH search that found the program is not a
// failure). The earliest change in time is the first divergence: where the
// two runs started to go different ways.

import { firstString } from '../../formats/nul-area.ts';
import { basename, statusText } from '../format.ts';
import type { TreeNode } from '../tree/build.ts';
import type { Alignment, NodeText, Unmatched } from './align.ts';
import { ancestry, MAX_ANCESTRY, type ProcRef, procRef } from './process-ref.ts';

export interface OutcomeChange {
  /** null: the image exists only in B (or only in A). */
  a: ProcRef | null;
  b: ProcRef | null;
  /** `ok`, `exit 1`, `SIGSEGV (core dumped)`, `exec failed: foo ENOENT`…; null on the side without the image. */
  outcomeA: string | null;
  outcomeB: string | null;
  /** ns after the run's start when the outcome was settled (the earlier side's). */
  timeNs: number;
}

/** The earliest outcome change, with where it happened. */
export interface Divergence extends OutcomeChange {
  /** The images above it and itself, root first, on each side (empty on a side without it); the nearest MAX_ANCESTRY only. */
  ancestryA: ProcRef[];
  ancestryB: ProcRef[];
}

/**
 * Failed exec attempts of an image that were not a PATH search: one for the
 * program the image runs (the search that found it), or one followed by a
 * later exec of the process (the search that found that), is not a failure.
 */
function failedExecTexts(n: TreeNode): readonly string[] {
  if (n.failedExecs.length === 0) return NONE;
  for (const c of n.children) if (c.processId === n.processId && c.kind === 'exec') return NONE;
  const exe = n.kind === 'exec' ? basename(n.exe) : null;
  let argv0: string | null = null;
  let out: string[] | null = null;
  for (const f of n.failedExecs) {
    const name = basename(f.path);
    if (name === exe) continue;
    if (n.kind === 'exec') {
      argv0 ??= basename(firstString(n.argvBlob).toString('utf8'));
      if (name === argv0) continue;
    }
    const text = `exec failed: ${f.path} ${f.errnoName}`;
    if (out === null) out = [text];
    else if (!out.includes(text)) out.push(text);
  }
  return out ?? NONE;
}

const NONE: readonly string[] = [];

/** The outcome of an image as text: `ok` when it exited 0 (or was replaced by a later exec) and no exec failed. */
export function outcomeOf(n: TreeNode): string {
  const failed = failedExecTexts(n);
  const status = n.replaced ? null : statusText(n.exit);
  const parts = status === null ? failed : [status, ...failed];
  return parts.length === 0 ? 'ok' : parts.join('; ');
}

const settled = (n: TreeNode): number => n.end ?? n.captureEnd;

/** Every outcome that differs (matched images whose outcomes differ, failed images on one side only) in time order, and the first with its ancestry. */
export function outcomeChanges(
  al: Alignment,
  inScope: (n: TreeNode, side: 'A' | 'B') => boolean,
  text: NodeText,
  unmatchedNodes: (u: readonly Unmatched[]) => TreeNode[],
): { changes: OutcomeChange[]; first: Divergence | null } {
  // Each change with how to find its ancestry (only the first one's is built: a deep tree has 100,000s of changes).
  const out: { change: OutcomeChange; ancestry: () => { a: ProcRef[]; b: ProcRef[] } }[] = [];
  for (const p of al.pairs) {
    if (!inScope(p.a, 'A') && !inScope(p.b, 'B')) continue;
    const oa = outcomeOf(p.a);
    const ob = outcomeOf(p.b);
    if (oa === ob) continue;
    out.push({
      change: {
        a: procRef(p.a, text),
        b: procRef(p.b, text),
        outcomeA: oa,
        outcomeB: ob,
        timeNs: Math.min(settled(p.a), settled(p.b)),
      },
      ancestry: () => ancestry(p, text, MAX_ANCESTRY),
    });
  }
  const oneSide = (list: readonly Unmatched[], side: 'A' | 'B'): void => {
    // Parent links inside the unmatched subtrees; the head's parent pair gives the rest of the ancestry.
    const up = new Map<TreeNode, TreeNode>();
    const headOf = new Map<TreeNode, Unmatched>();
    for (const u of list) headOf.set(u.node, u);
    const nodes = unmatchedNodes(list);
    for (const n of nodes) for (const c of n.children) up.set(c, n);
    const chainOf = (n: TreeNode): ProcRef[] => {
      const chain: ProcRef[] = [];
      let top = n;
      for (let m: TreeNode | undefined = n; m !== undefined && chain.length < MAX_ANCESTRY; m = up.get(m)) {
        chain.push(procRef(m, text));
        top = m;
      }
      chain.reverse();
      const head = headOf.get(top);
      if (head !== undefined && chain.length < MAX_ANCESTRY) {
        const above = ancestry(head.parent, text, MAX_ANCESTRY - chain.length);
        chain.unshift(...(side === 'A' ? above.a : above.b));
      }
      return chain;
    };
    for (const n of nodes) {
      if (!inScope(n, side)) continue;
      const o = outcomeOf(n);
      if (o === 'ok') continue;
      out.push({
        change: {
          a: side === 'A' ? procRef(n, text) : null,
          b: side === 'B' ? procRef(n, text) : null,
          outcomeA: side === 'A' ? o : null,
          outcomeB: side === 'B' ? o : null,
          timeNs: settled(n),
        },
        ancestry: () => (side === 'A' ? { a: chainOf(n), b: [] } : { a: [], b: chainOf(n) }),
      });
    }
  };
  oneSide(al.onlyA, 'A');
  oneSide(al.onlyB, 'B');
  const pidOf = (c: OutcomeChange): number => c.b?.pid ?? c.a?.pid ?? 0;
  out.sort((x, y) => x.change.timeNs - y.change.timeNs || pidOf(x.change) - pidOf(y.change));
  const head = out[0];
  if (head === undefined) return { changes: [], first: null };
  const anc = head.ancestry();
  return {
    changes: out.map((o) => o.change),
    first: { ...head.change, ancestryA: anc.a, ancestryB: anc.b },
  };
}
