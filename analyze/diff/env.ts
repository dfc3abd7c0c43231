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
    const c = changeOf(name, va, eb.get(name) ?? null);
    if (c !== null) out.push(c);
  }
  for (const [name, vb] of eb) if (!ea.has(name)) out.push({ name, kind: 'added', a: null, b: vb });
  return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

function sameVars(
  x: readonly { name: string; value: string | null }[],
  y: readonly { name: string; value: string | null }[],
): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i]!.name !== y[i]!.name || x[i]!.value !== y[i]!.value) return false;
  return true;
}

const changeKey = (c: RawChange): string => `${c.kind}\u0000${c.name}\u0000${c.a ?? ''}\u0000${c.b ?? ''}`;

/** The difference of one variable between two values (null: unset), or null when there is none. */
function changeOf(name: string, a: string | null, b: string | null): RawChange | null {
  if (a === b) return null;
  if (a === null) return { name, kind: 'added', a: null, b };
  if (b === null) return { name, kind: 'removed', a, b: null };
  return normalise(a) === normalise(b) ? null : { name, kind: 'changed', a, b };
}

export function envChanges(
  al: Alignment,
  a: Run,
  b: Run,
  inScope: (na: TreeNode, nb: TreeNode) => boolean,
  text: NodeText,
  redact: Redact,
): EnvChange[] {
  // Whole differences of an (env A, env B) pair of ids, for roots and for images whose
  // environments are not stored as differences from their parents' (computed once, cached).
  const cache = new Map<string, Set<string>>();
  const fullDiff = (idA: number, idB: number): { raw: RawChange[]; keys: Set<string> } => {
    const raw = diffEnvs(a.env(idA), b.env(idB));
    const keys = new Set(raw.map(changeKey));
    if (cache.size >= 4096) cache.clear();
    cache.set(`${idA},${idB}`, keys);
    return { raw, keys };
  };
  const keysOf = (idA: number, idB: number): Set<string> => cache.get(`${idA},${idB}`) ?? fullDiff(idA, idB).keys;
  // The env ids in effect for each pair: its own, else (a fork) its parent pair's.
  const idsOf = new Map<Pair, [number, number] | null>();
  const found = new Map<string, EnvChange>();
  const record = (c: RawChange, p: Pair): void => {
    const key = changeKey(c);
    const seen = found.get(key);
    if (seen !== undefined) {
      seen.count++;
      return;
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
  };
  for (const p of al.pairs) {
    const inherited = p.parent === null ? null : (idsOf.get(p.parent) ?? null);
    const own: [number, number] | null = p.a.envId !== null && p.b.envId !== null ? [p.a.envId, p.b.envId] : inherited;
    idsOf.set(p, own);
    if (own === null || !inScope(p.a, p.b)) continue;
    if (inherited !== null && inherited[0] === own[0] && inherited[1] === own[1]) continue;
    const [idA, idB] = own;
    if (inherited !== null && a.envBase(idA) === inherited[0] && b.envBase(idB) === inherited[1]) {
      // Both stored as differences from the parents' environments: only the variables those
      // differences touch can hold a new difference; the others are the parent's (already reported).
      // The same differences on both sides (a rerun) hold none.
      const ownA = a.envOwnVars(idA);
      const ownB = b.envOwnVars(idB);
      if (sameVars(ownA, ownB)) continue;
      const names = new Set([...ownA.map((v) => v.name), ...ownB.map((v) => v.name)]);
      for (const name of [...names].sort()) {
        const c = changeOf(name, a.envValue(idA, name), b.envValue(idB, name));
        if (c === null) continue;
        const before = changeOf(name, a.envValue(inherited[0], name), b.envValue(inherited[1], name));
        if (before !== null && changeKey(before) === changeKey(c)) continue;
        record(c, p);
      }
      continue;
    }
    const d = fullDiff(idA, idB);
    if (d.raw.length === 0) continue;
    const parentKeys = inherited === null ? null : keysOf(inherited[0], inherited[1]);
    for (const c of d.raw) if (!parentKeys?.has(changeKey(c))) record(c, p);
  }
  return [...found.values()].sort((x, y) => x.whereB.startNs - y.whereB.startNs || (x.name < y.name ? -1 : 1));
}
