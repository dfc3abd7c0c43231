// Matching the process trees of two runs (A and B) node by node, not by pid:
// under a matched pair, a child of A matches a child of B with the same
// executable and the same normalised argv (normalise.ts); then, among the
// children left, the same command shape (tree --dedup's argvShape: same
// program and options, other operands); then the same program name. Within
// each of these keys, children pair up in start order (the i-th of A with the
// i-th of B), so repeated siblings (200 × `cc -c`) are matched as a group
// whatever order a parallel build started them in, and groups of different
// sizes leave the surplus unmatched. Each sibling list is bucketed once
// (hash maps): linear in the number of nodes. Iterative: no recursion over
// data-derived depths.

import { argvOf, argvShape, imageName, type TreeNode } from '../tree/build.ts';
import { normaliseArgv } from './normalise.ts';

/** How a pair was matched: the same normalised command, the same shape (options equal), or only the same program name. */
export type MatchLevel = 'same' | 'shape' | 'name';

export interface Pair {
  a: TreeNode;
  b: TreeNode;
  level: MatchLevel;
  /** The pair the two nodes hang under (null: roots). */
  parent: Pair | null;
}

export interface Alignment {
  /** Matched pairs, every pair after its parent pair. */
  pairs: Pair[];
  /** Unmatched nodes whose parent is matched (or that are roots): each heads a subtree found only in A. */
  onlyA: Unmatched[];
  onlyB: Unmatched[];
}

export interface Unmatched {
  node: TreeNode;
  /** The pair it hangs under (null: a root). */
  parent: Pair | null;
}

/** A node's argv as text and normalised, computed once per node. */
export class NodeText {
  private readonly argvs = new Map<TreeNode, string[]>();
  private readonly norms = new Map<TreeNode, string[]>();

  argv(n: TreeNode): string[] {
    let v = this.argvs.get(n);
    if (v === undefined) this.argvs.set(n, (v = n.kind === 'exec' ? argvOf(n) : []));
    return v;
  }

  normalised(n: TreeNode): string[] {
    let v = this.norms.get(n);
    if (v === undefined) this.norms.set(n, (v = normaliseArgv(this.argv(n))));
    return v;
  }
}

const SEP = '\u0000';

function sameKey(n: TreeNode, text: NodeText): string {
  if (n.kind === 'exec') return `x${SEP}${n.exe}${SEP}${text.normalised(n).join(SEP)}`;
  return n.kind === 'fork' ? `f${SEP}${n.forkOf ?? ''}` : 'p';
}

function shapeKey(n: TreeNode, text: NodeText): string {
  if (n.kind !== 'exec') return sameKey(n, text);
  return `x${SEP}${argvShape(text.normalised(n))}`;
}

function nameKey(n: TreeNode): string {
  return `${n.kind}${SEP}${imageName(n)}`;
}

/**
 * Pairs the children `as` and `bs` (each in start order): by `keyOf`, the
 * i-th of A with the i-th of B among equal keys. Returns what is left of each.
 */
function pairBy(
  as: TreeNode[],
  bs: TreeNode[],
  keyOf: (n: TreeNode) => string,
  found: (a: TreeNode, b: TreeNode) => void,
): [TreeNode[], TreeNode[]] {
  if (as.length === 0 || bs.length === 0) return [as, bs];
  const queues = new Map<string, { list: TreeNode[]; next: number }>();
  for (const b of bs) {
    const k = keyOf(b);
    const q = queues.get(k);
    if (q === undefined) queues.set(k, { list: [b], next: 0 });
    else q.list.push(b);
  }
  const taken = new Set<TreeNode>();
  const leftA: TreeNode[] = [];
  for (const a of as) {
    const q = queues.get(keyOf(a));
    if (q === undefined || q.next >= q.list.length) {
      leftA.push(a);
      continue;
    }
    const b = q.list[q.next++]!;
    taken.add(b);
    found(a, b);
  }
  return [leftA, taken.size === 0 ? bs : bs.filter((b) => !taken.has(b))];
}

/** Aligns the trees `rootsA` and `rootsB` (children in start order, as buildTree gives them). */
export function alignTrees(rootsA: readonly TreeNode[], rootsB: readonly TreeNode[], text: NodeText): Alignment {
  const pairs: Pair[] = [];
  const onlyA: Unmatched[] = [];
  const onlyB: Unmatched[] = [];
  const work: { parent: Pair | null; as: readonly TreeNode[]; bs: readonly TreeNode[] }[] = [
    { parent: null, as: rootsA, bs: rootsB },
  ];
  while (work.length > 0) {
    const { parent, as, bs } = work.pop()!;
    const level: Pair[] = [];
    const found =
      (l: MatchLevel) =>
      (a: TreeNode, b: TreeNode): void => {
        level.push({ a, b, level: l, parent });
      };
    let [leftA, leftB] = pairBy([...as], [...bs], (n) => sameKey(n, text), found('same'));
    [leftA, leftB] = pairBy(leftA, leftB, (n) => shapeKey(n, text), found('shape'));
    [leftA, leftB] = pairBy(leftA, leftB, nameKey, found('name'));
    for (const n of leftA) onlyA.push({ node: n, parent });
    for (const n of leftB) onlyB.push({ node: n, parent });
    // Pairs in start order (of A) at each level; the work list is a stack, so push in reverse.
    level.sort((x, y) => x.a.start - y.a.start || x.a.pid - y.a.pid);
    for (const p of level) pairs.push(p);
    for (let i = level.length - 1; i >= 0; i--) {
      const p = level[i]!;
      if (p.a.children.length > 0 || p.b.children.length > 0)
        work.push({ parent: p, as: p.a.children, bs: p.b.children });
    }
  }
  return { pairs, onlyA, onlyB };
}

/** The nodes of the subtrees headed by `heads` (iterative), heads first. */
export function subtreeNodes(heads: readonly TreeNode[]): TreeNode[] {
  const out: TreeNode[] = [];
  const stack = [...heads].reverse();
  while (stack.length > 0) {
    const n = stack.pop()!;
    out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

/** The number of processes (not images) in the subtrees headed by `heads`. */
export function processCount(heads: readonly TreeNode[]): number {
  const ids = new Set<number>();
  for (const n of subtreeNodes(heads)) ids.add(n.processId);
  return ids.size;
}
