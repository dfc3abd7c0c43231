// Environment variables added, removed or changed between matched images.
// Each difference is reported once, at the highest image where it appears:
// an image whose difference its parent image already had (inherited) adds
// nothing. The same difference appearing independently under several
// images is one finding with a count. Values equal once normalised
// (normalise.ts: temp names, pids, ports…) are not a difference; values are
// shown through the redactor (secrets masked).

import type { TreeNode } from '../tree/build.ts';
import type { Alignment, NodeText, Pair } from './align.ts';
import { normalise } from './normalise.ts';
import { type ProcRef, procRef } from './process-ref.ts';
import type { Run } from './side.ts';

export type EnvChangeKind = 'added' | 'removed' | 'changed';

export interface EnvChange {
  name: string;
  kind: EnvChangeKind;
  /** Masked for display (redact); null on the side without the variable. */
  a: string | null;
  b: string | null;
  /** The highest images (first found) where the difference appears. */
  whereA: ProcRef;
  whereB: ProcRef;
  /** Images where it appears without having been inherited from the parent image. */
  count: number;
}

export type Redact = (name: string, value: string) => string;

interface RawChange {
  name: string;
  kind: EnvChangeKind;
  a: string | null;
  b: string | null;
}

function diffEnvs(ea: ReadonlyMap<string, string>, eb: ReadonlyMap<string, string>): RawChange[] {
  const out: RawChange[] = [];
  for (const [name, va] of ea) {
    const vb = eb.get(name);
    if (vb === undefined) out.push({ name, kind: 'removed', a: va, b: null });
    else if (va !== vb && normalise(va) !== normalise(vb)) out.push({ name, kind: 'changed', a: va, b: vb });
  }
  for (const [name, vb] of eb) if (!ea.has(name)) out.push({ name, kind: 'added', a: null, b: vb });
  return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

const changeKey = (c: RawChange): string => `${c.kind}\u0000${c.name}\u0000${c.a ?? ''}\u0000${c.b ?? ''}`;

export function envChanges(
  al: Alignment,
  a: Run,
  b: Run,
  inScope: (na: TreeNode, nb: TreeNode) => boolean,
  text: NodeText,
  redact: Redact,
): EnvChange[] {
  // Differences of each (env A, env B) pair of ids, computed once.
  const cache = new Map<string, { raw: RawChange[]; keys: Set<string> }>();
  const diffOf = (idA: number, idB: number) => {
    const k = `${idA},${idB}`;
    let d = cache.get(k);
    if (d === undefined) {
      const raw = diffEnvs(a.env(idA), b.env(idB));
      d = { raw, keys: new Set(raw.map(changeKey)) };
      if (cache.size >= 4096) cache.clear();
      cache.set(k, d);
    }
    return d;
  };
  // The env ids in effect for each pair: its own, else (a fork) its parent pair's.
  const idsOf = new Map<Pair, [number, number] | null>();
  const found = new Map<string, EnvChange>();
  for (const p of al.pairs) {
    const inherited = p.parent === null ? null : (idsOf.get(p.parent) ?? null);
    const own: [number, number] | null = p.a.envId !== null && p.b.envId !== null ? [p.a.envId, p.b.envId] : inherited;
    idsOf.set(p, own);
    if (own === null || !inScope(p.a, p.b)) continue;
    if (inherited !== null && inherited[0] === own[0] && inherited[1] === own[1]) continue;
    const d = diffOf(own[0], own[1]);
    if (d.raw.length === 0) continue;
    const parentKeys = inherited === null ? null : diffOf(inherited[0], inherited[1]).keys;
    for (const c of d.raw) {
      const key = changeKey(c);
      if (parentKeys?.has(key)) continue;
      const seen = found.get(key);
      if (seen !== undefined) {
        seen.count++;
        continue;
      }
      found.set(key, {
        name: c.name,
        kind: c.kind,
        a: c.a === null ? null : redact(c.name, c.a),
        b: c.b === null ? null : redact(c.name, c.b),
        whereA: procRef(p.a, text),
        whereB: procRef(p.b, text),
        count: 1,
      });
    }
  }
  return [...found.values()].sort((x, y) => x.whereB.startNs - y.whereB.startNs || (x.name < y.name ? -1 : 1));
}
