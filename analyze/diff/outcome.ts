// Outcomes that differ between the runs: an image's exit status (exit code,
// signal, core dump) and its failed exec attempts that no successful exec of
// the same program followed (a PATH search that found the program is not a
// failure). The earliest change in time is the first divergence: where the
// two runs started to go different ways.

import { basename, statusText } from '../format.ts';
import { argvOf, type TreeNode } from '../tree/build.ts';
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
  /** The images above it and itself, root first, on each side (empty on a side without it); the nearest MAX_ANCESTRY only. */
  ancestryA: ProcRef[];
  ancestryB: ProcRef[];
}

/**
 * Failed exec attempts of an image that were not a PATH search: one for the
 * program the image runs (the search that found it), or one followed by a
 * later exec of the process (the search that found that), is not a failure.
 */
function failedExecTexts(n: TreeNode): string[] {
  if (n.failedExecs.length === 0) return [];
  if (n.children.some((c) => c.processId === n.processId && c.kind === 'exec')) return [];
  const exe = n.kind === 'exec' ? basename(n.exe) : null;
  let argv0: string | null = null;
  const out = new Set<string>();
  for (const f of n.failedExecs) {
    const name = basename(f.path);
    if (name === exe) continue;
    if (n.kind === 'exec') {
      argv0 ??= basename(argvOf(n)[0] ?? '');
      if (name === argv0) continue;
    }
    out.add(`exec failed: ${f.path} ${f.errnoName}`);
  }
  return [...out];
}

/** The outcome of an image as text: `ok` when it exited 0 (or was replaced by a later exec) and no exec failed. */
export function outcomeOf(n: TreeNode): string {
  const parts = failedExecTexts(n);
  const status = n.replaced ? null : statusText(n.exit);
  if (status !== null) parts.unshift(status);
  return parts.length === 0 ? 'ok' : parts.join('; ');
}

const settled = (n: TreeNode): number => n.end ?? n.captureEnd;

/** Every outcome that differs: matched images whose outcomes differ, and failed images on one side only. */
export function outcomeChanges(
  al: Alignment,
  inScope: (n: TreeNode, side: 'A' | 'B') => boolean,
  text: NodeText,
  unmatchedNodes: (u: readonly Unmatched[]) => TreeNode[],
): OutcomeChange[] {
  const out: OutcomeChange[] = [];
  for (const p of al.pairs) {
    if (!inScope(p.a, 'A') && !inScope(p.b, 'B')) continue;
    const oa = outcomeOf(p.a);
    const ob = outcomeOf(p.b);
    if (oa === ob) continue;
    const anc = ancestry(p, text, MAX_ANCESTRY);
    out.push({
      a: procRef(p.a, text),
      b: procRef(p.b, text),
      outcomeA: oa,
      outcomeB: ob,
      timeNs: Math.min(settled(p.a), settled(p.b)),
      ancestryA: anc.a,
      ancestryB: anc.b,
    });
  }
  const oneSide = (list: readonly Unmatched[], side: 'A' | 'B'): void => {
    // Parent links inside the unmatched subtrees; the head's parent pair gives the rest of the ancestry.
    const up = new Map<TreeNode, TreeNode>();
    const headOf = new Map<TreeNode, Unmatched>();
    for (const u of list) headOf.set(u.node, u);
    const nodes = unmatchedNodes(list);
    for (const n of nodes) for (const c of n.children) up.set(c, n);
    for (const n of nodes) {
      if (!inScope(n, side)) continue;
      const o = outcomeOf(n);
      if (o === 'ok') continue;
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
      out.push({
        a: side === 'A' ? procRef(n, text) : null,
        b: side === 'B' ? procRef(n, text) : null,
        outcomeA: side === 'A' ? o : null,
        outcomeB: side === 'B' ? o : null,
        timeNs: settled(n),
        ancestryA: side === 'A' ? chain : [],
        ancestryB: side === 'B' ? chain : [],
      });
    }
  };
  oneSide(al.onlyA, 'A');
  oneSide(al.onlyB, 'B');
  out.sort((x, y) => x.timeNs - y.timeNs || (x.b?.pid ?? x.a?.pid ?? 0) - (y.b?.pid ?? y.a?.pid ?? 0));
  return out;
}
