// File opens that failed in B where A found the file: a deleted input, a
// path that moved, a missing permission. Compared by path (resolved to an
// absolute path where the replay could, and normalised: temp names, pids),
// over all the images in scope, so it holds whichever process made the
// open; the reverse (failed in A, found in B) is reported as fixed.

import type { OpenRow } from '../replay/model.ts';
import type { TreeNode } from '../tree/build.ts';
import type { NodeText } from './align.ts';
import { normalise } from './normalise.ts';
import { type ProcRef, procRef } from './process-ref.ts';

export interface OpenChange {
  /** The path as the failing run's first failed open resolved it (or as given). */
  path: string;
  /** The failing run's error: ENOENT, EACCES… */
  errno: string;
  /** Failed opens of the path in the failing run. */
  failures: number;
  /** The first process whose open failed, in the failing run. */
  where: ProcRef;
}

export interface OpenChanges {
  /** Found in A, failed in B (never found in B). */
  newFailures: OpenChange[];
  /** Failed in A (never found there), found in B. */
  fixed: OpenChange[];
}

interface PathSide {
  found: boolean;
  failures: number;
  first: { open: OpenRow; node: TreeNode } | null;
}

function pathsOf(nodes: Iterable<TreeNode>): Map<string, PathSide> {
  const out = new Map<string, PathSide>();
  for (const n of nodes) {
    for (const o of n.opens) {
      const key = normalise(o.resolved ?? o.path);
      let s = out.get(key);
      if (s === undefined) out.set(key, (s = { found: false, failures: 0, first: null }));
      if (o.fd !== null) s.found = true;
      else {
        s.failures++;
        s.first ??= { open: o, node: n };
      }
    }
  }
  return out;
}

function changes(from: Map<string, PathSide>, to: Map<string, PathSide>, text: NodeText): OpenChange[] {
  const out: OpenChange[] = [];
  for (const [key, t] of to) {
    if (t.found || t.first === null) continue;
    if (from.get(key)?.found !== true) continue;
    out.push({
      path: t.first.open.resolved ?? t.first.open.path,
      errno: t.first.open.errnoName ?? `errno ${t.first.open.errno}`,
      failures: t.failures,
      where: procRef(t.first.node, text),
    });
  }
  return out.sort((x, y) => x.where.startNs - y.where.startNs || (x.path < y.path ? -1 : 1));
}

export function openChanges(nodesA: Iterable<TreeNode>, nodesB: Iterable<TreeNode>, text: NodeText): OpenChanges {
  const a = pathsOf(nodesA);
  const b = pathsOf(nodesB);
  return { newFailures: changes(a, b, text), fixed: changes(b, a, text) };
}
