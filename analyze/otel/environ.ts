// Full environments of execs from the model's compact rows (every env stored
// once, in full or as a difference from a base env; see analyze/replay/env.ts).
// Resolved lazily with a bounded cache: only spans that need an environment
// (--env, -a expressions using `env`, the root's TRACEPARENT) pay for it.

import type { EnvRow, EnvVarRow } from '../replay/env.ts';

const EMPTY: ReadonlyMap<string, string> = new Map();

export class EnvResolver {
  readonly #base = new Map<number, number | null>();
  readonly #rows: readonly EnvVarRow[];
  #vars: Map<number, EnvVarRow[]> | null = null;
  readonly #cache = new Map<number, ReadonlyMap<string, string>>();
  readonly #limit: number;

  constructor(envs: readonly EnvRow[], vars: readonly EnvVarRow[], cacheLimit = 4096) {
    for (const e of envs) this.#base.set(e.id, e.baseId);
    this.#rows = vars;
    this.#limit = cacheLimit;
  }

  #varsOf(id: number): readonly EnvVarRow[] {
    if (this.#vars === null) {
      const m = new Map<number, EnvVarRow[]>();
      for (const v of this.#rows) {
        let l = m.get(v.envId);
        if (l === undefined) m.set(v.envId, (l = []));
        l.push(v);
      }
      this.#vars = m;
    }
    return this.#vars.get(id) ?? [];
  }

  /** name → value of environment `id` (empty for null or an unknown id). */
  get(id: number | null): ReadonlyMap<string, string> {
    if (id === null || !this.#base.has(id)) return EMPTY;
    const hit = this.#cache.get(id);
    if (hit !== undefined) {
      this.#cache.delete(id);
      this.#cache.set(id, hit);
      return hit;
    }
    // Walk down to a cached or full env, then apply the differences back up (no recursion: chains can be long).
    const chain: number[] = [];
    let start: ReadonlyMap<string, string> = EMPTY;
    for (let e: number | null = id; e !== null && e !== undefined; e = this.#base.get(e) ?? null) {
      const c = e === id ? undefined : this.#cache.get(e);
      if (c !== undefined) {
        start = c;
        break;
      }
      chain.push(e);
      if (chain.length > this.#base.size) break; // a cycle would be a bug in the rows: stop rather than spin
    }
    const full = new Map(start);
    for (let i = chain.length - 1; i >= 0; i--) {
      for (const v of this.#varsOf(chain[i]!)) {
        if (v.value === null) full.delete(v.name);
        else full.set(v.name, v.value);
      }
    }
    this.#cache.set(id, full);
    if (this.#cache.size > this.#limit) this.#cache.delete(this.#cache.keys().next().value!);
    return full;
  }
}
