// Matching the process trees of two runs (A and B) node by node, not by pid:
// under a matched pair, a child of A matches a child of B with the same
// executable and the same argv (exactly, then once normalised: normalise.ts); then, among the
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

const SEP = '\u0000';

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

/**
 * A node's argv as text (decoded on each call: strings are not kept for
 * 100,000s of nodes) and normalised (computed once per node, kept as one
 * string).
 */
export class NodeText {
  private readonly keys = new Map<TreeNode, string>();
  /** How argv is shown in the report (secrets masked); the comparisons use the captured argv. */
  readonly show: (argv: readonly string[]) => string[];

  constructor(show: (argv: readonly string[]) => string[] = (argv) => [...argv]) {
    this.show = show;
  }

  /** The captured argv. */
  argv(n: TreeNode): string[] {
    return n.kind === 'exec' ? argvOf(n) : [];
  }

  /** The argv as the report shows it. */
  shownArgv(n: TreeNode): string[] {
    return n.kind === 'exec' ? this.show(argvOf(n)) : [];
  }

  /** The normalised argv joined with NULs (arguments never hold a NUL). */
  key(n: TreeNode): string {
    let v = this.keys.get(n);
    if (v === undefined) this.keys.set(n, (v = normaliseArgv(this.argv(n)).join(SEP)));
    return v;
  }

  /** Argument i of argv, normalised (as normaliseArgv does it). */
  normaliseArg(argv: readonly string[], i: number): string {
    return normaliseArgv(i > 0 ? [argv[i - 1]!, argv[i]!] : [argv[i]!])[i > 0 ? 1 : 0]!;
  }

  normalised(n: TreeNode): string[] {
    return n.kind === 'exec' ? this.key(n).split(SEP) : [];
  }
}

/** The exact command: the executable and the argv bytes (no decoding, no normalising). */
function exactKey(n: TreeNode): string {
  if (n.kind === 'exec') return `x${SEP}${n.exe}${SEP}${n.argvBlob.toString('latin1')}`;
  return n.kind === 'fork' ? `f${SEP}${n.forkOf ?? ''}` : 'p';
}

function sameExactly(a: TreeNode, b: TreeNode): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'exec') return a.exe === b.exe && a.argvBlob.equals(b.argvBlob);
  return a.kind !== 'fork' || a.forkOf === b.forkOf;
}

/** sameKey(a) === sameKey(b), normalising only the arguments that differ. */
function sameNormalised(a: TreeNode, b: TreeNode, text: NodeText): boolean {
  if (a.kind !== 'exec' || b.kind !== 'exec') return sameExactly(a, b);
  if (a.exe !== b.exe) return false;
  const x = text.argv(a);
  const y = text.argv(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++)
    if (x[i] !== y[i] && text.normaliseArg(x, i) !== text.normaliseArg(y, i)) return false;
  return true;
}

function sameKey(n: TreeNode, text: NodeText): string {
  if (n.kind === 'exec') return `x${SEP}${n.exe}${SEP}${text.key(n)}`;
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
  equal: (a: TreeNode, b: TreeNode) => boolean = (a, b) => keyOf(a) === keyOf(b),
): [TreeNode[], TreeNode[]] {
  if (as.length === 0 || bs.length === 0) return [as, bs];
  if (as.length * bs.length <= 16) {
    // Short lists (the children of a compile): pairwise, without a table or key strings. The
    // first unused equal B for each A in order is what the queues below give.
    const used = new Uint8Array(bs.length);
    const leftA: TreeNode[] = [];
    for (const a of as) {
      let j = 0;
      while (j < bs.length && (used[j] === 1 || !equal(a, bs[j]!))) j++;
      if (j === bs.length) leftA.push(a);
      else {
        used[j] = 1;
        found(a, bs[j]!);
      }
    }
    return [leftA, bs.filter((_, j) => used[j] === 0)];
  }
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
    // Exact commands first (cheap: most of a rerun), then equal once normalised (temp names, pids…).
    let [leftA, leftB] = pairBy([...as], [...bs], exactKey, found('same'), sameExactly);
    [leftA, leftB] = pairBy(
      leftA,
      leftB,
      (n) => sameKey(n, text),
      found('same'),
      (a, b) => sameNormalised(a, b, text),
    );
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
