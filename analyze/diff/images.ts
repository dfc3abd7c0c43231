// Processes found in one run only, and images whose command line, working
// directory, user or executable differ between matched processes. Both are
// reported in groups: repeated siblings found only in one run collapse as
// `tree --dedup` collapses them (one line, ×N), and the same change made to
// many images (200 compiles now with -O0) is one finding with a count.

import { type DisplayItem, dedupTree, groupPattern, type TreeNode } from '../tree/build.ts';
import { type Alignment, type NodeText, processCount, type Unmatched } from './align.ts';
import { normalise } from './normalise.ts';
import { type ProcRef, procRef } from './process-ref.ts';
import type { Run } from './side.ts';
import { MAX_CELLS, type WordOp, wordDiff } from './word-diff.ts';

export interface OnlyGroup {
  /** The command (argv with the arguments that vary within the group as null). */
  pattern: (string | null)[];
  /** The first member. */
  first: ProcRef;
  /** Sibling subtrees in the group. */
  count: number;
  /** Processes in those subtrees (images of one process count once). */
  processes: number;
  /** The image it hangs under, in its own run (null: a root); that image has a counterpart in the other run. */
  under: ProcRef | null;
}

export interface ImageChange {
  a: ProcRef;
  b: ProcRef;
  /** The word-level diff of the command lines (null when they are the same once normalised). */
  argv: WordOp[] | null;
  exe: { a: string; b: string } | null;
  cwd: { a: string | null; b: string | null } | null;
  uid: { a: number; b: number } | null;
  /** Images that changed in the same way (this one included). */
  count: number;
}

/** A group's argv pattern with secrets masked (its varying arguments stay null). */
function shownPattern(pattern: readonly (string | null)[], text: NodeText): (string | null)[] {
  const shown = text.show(pattern.map((a) => a ?? ''));
  return pattern.map((a, i) => (a === null ? null : (shown[i] ?? a)));
}

/** The groups of subtrees found only in one run, per parent, in start order. */
export function onlyGroups(
  list: readonly Unmatched[],
  side: 'A' | 'B',
  inScope: (n: TreeNode) => boolean,
  text: NodeText,
): OnlyGroup[] {
  const byParent = new Map<Unmatched['parent'], TreeNode[]>();
  for (const u of list) {
    if (!inScope(u.node)) continue;
    const l = byParent.get(u.parent);
    if (l === undefined) byParent.set(u.parent, [u.node]);
    else l.push(u.node);
  }
  const out: OnlyGroup[] = [];
  for (const [parent, nodes] of byParent) {
    const under = parent === null ? null : procRef(side === 'A' ? parent.a : parent.b, text);
    // dedupTree groups the sibling subtrees of the same shape (and keeps failed ones apart).
    for (const item of dedupTree(nodes) as DisplayItem[]) {
      const members = item.type === 'group' ? item.members : [item.node];
      out.push({
        pattern: shownPattern(item.type === 'group' ? item.pattern : groupPattern(members), text),
        first: procRef(members[0]!, text),
        count: members.length,
        processes: processCount(members),
        under,
      });
    }
  }
  out.sort((x, y) => x.first.startNs - y.first.startNs || x.first.pid - y.first.pid);
  return out;
}

/** Matched images whose argv (normalised), executable, cwd (normalised) or uid differ, grouped by the change. */
export function imageChanges(
  al: Alignment,
  a: Run,
  b: Run,
  inScope: (na: TreeNode, nb: TreeNode) => boolean,
  text: NodeText,
): ImageChange[] {
  const byKey = new Map<string, ImageChange>();
  // LCS tables over all the changed command lines of a report: 100,000s of long argv stay linear.
  let cellBudget = 50 * MAX_CELLS;
  for (const p of al.pairs) {
    if (p.a.kind !== 'exec' || p.b.kind !== 'exec' || !inScope(p.a, p.b)) continue;
    const argvChanged = p.level !== 'same';
    const exeChanged = p.a.exe !== p.b.exe;
    const cwdChanged = p.a.cwd !== p.b.cwd && normalise(p.a.cwd ?? '') !== normalise(p.b.cwd ?? '');
    const uidA = a.execOf(p.a)?.uid;
    const uidB = b.execOf(p.b)?.uid;
    const uidChanged = uidA !== undefined && uidB !== undefined && uidA !== uidB;
    if (!argvChanged && !exeChanged && !cwdChanged && !uidChanged) continue;
    let ops: WordOp[] | null = null;
    if (argvChanged) {
      const na = text.normalised(p.a);
      const nb = text.normalised(p.b);
      // Compared as captured (normalised), shown with secrets masked (the redactor keeps argv's length).
      const x = text.shownArgv(p.a);
      const y = text.shownArgv(p.b);
      ops = wordDiff(x, y, (i, j) => na[i] === nb[j], cellBudget);
      cellBudget -= Math.min(x.length * y.length, MAX_CELLS);
    }
    const key = JSON.stringify([
      p.b.exe,
      ops?.filter((o) => o.op !== 'same').map((o) => [o.op, normalise(o.word)]) ?? null,
      exeChanged ? [p.a.exe, p.b.exe] : null,
      cwdChanged ? [p.a.cwd, p.b.cwd] : null,
      uidChanged ? [uidA, uidB] : null,
    ]);
    const seen = byKey.get(key);
    if (seen !== undefined) {
      seen.count++;
      continue;
    }
    byKey.set(key, {
      a: procRef(p.a, text),
      b: procRef(p.b, text),
      argv: ops,
      exe: exeChanged ? { a: p.a.exe, b: p.b.exe } : null,
      cwd: cwdChanged ? { a: p.a.cwd, b: p.b.cwd } : null,
      uid: uidChanged ? { a: uidA, b: uidB } : null,
      count: 1,
    });
  }
  return [...byKey.values()].sort((x, y) => x.b.startNs - y.b.startNs || x.b.pid - y.b.pid);
}
