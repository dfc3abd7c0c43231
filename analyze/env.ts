// Compact storage of environments: every distinct environment is stored once,
// either in full or as a difference from a base environment (the environment
// of the image it replaced, or for a first exec the image of the parent that
// forked it), whichever holds fewer variables. SCHEMA.md documents the
// encoding; `env_full` (SQL view) and `resolveEnv` (below) give the full set.

export interface EnvRow {
  id: number;
  /** Environment this one is a difference from; null when stored in full. */
  baseId: number | null;
  /** Number of variables in the full environment. */
  size: number;
}

export interface EnvVarRow {
  envId: number;
  name: string;
  /** null: the variable is unset relative to the base environment. */
  value: string | null;
  /** Exact bytes of the `NAME=value` string when it is not valid UTF-8 or has no `=`; else null. */
  raw: Buffer | null;
}

interface Entry {
  name: string;
  value: string;
  raw: Buffer | null;
}

interface StoredEnv {
  /** Entry ids, sorted, one per name. */
  ids: Int32Array;
  /** The environment as received, concatenated, for the fast "same as base" check. */
  bytes: Buffer;
  /** End offset of each string within `bytes`. */
  ends: Uint32Array;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeEntry(buf: Buffer): Entry {
  let text: string | null;
  try {
    text = utf8.decode(buf);
  } catch {
    text = null;
  }
  const shown = text ?? buf.toString('utf8');
  const eq = shown.indexOf('=');
  const name = eq < 0 ? shown : shown.slice(0, eq);
  const value = eq < 0 ? '' : shown.slice(eq + 1);
  return { name, value, raw: text === null || eq < 0 ? Buffer.from(buf) : null };
}

/**
 * Interns environments as they are seen (streaming) and produces the env rows.
 * Ids are dense from 1 in order of first appearance.
 */
export class EnvInterner {
  private readonly entryIds = new Map<string, number>();
  private readonly entries: Entry[] = [];
  private readonly envByKey = new Map<string, number>();
  private readonly stored: StoredEnv[] = [];
  readonly envs: EnvRow[] = [];
  readonly vars: EnvVarRow[] = [];

  /** The id of `env`, creating it (as a difference from `baseId` when smaller) if it is new. */
  intern(env: Buffer[], baseId: number | null): number {
    if (baseId !== null && this.sameAs(env, this.stored[baseId - 1]!)) return baseId;
    const ids = this.entryIdsOf(env);
    const key = ids.join(',');
    const known = this.envByKey.get(key);
    if (known !== undefined) return known;

    const id = this.envs.length + 1;
    this.envByKey.set(key, id);
    this.stored.push({ ids, ...concat(env) });
    const base = baseId === null ? null : this.stored[baseId - 1]!;
    let diffSet: number[] | null = null;
    let diffUnset: string[] | null = null;
    if (base !== null) {
      const baseIds = new Set(base.ids);
      const names = new Set<string>();
      diffSet = [];
      for (const e of ids) {
        names.add(this.entries[e]!.name);
        if (!baseIds.has(e)) diffSet.push(e);
      }
      diffUnset = [];
      for (const b of base.ids) {
        const n = this.entries[b]!.name;
        if (!names.has(n)) diffUnset.push(n);
      }
      if (diffSet.length + diffUnset.length >= ids.length) diffSet = diffUnset = null;
    }
    if (diffSet !== null && diffUnset !== null) {
      this.envs.push({ id, baseId, size: ids.length });
      for (const e of diffSet) this.pushVar(id, e);
      for (const name of diffUnset) this.vars.push({ envId: id, name, value: null, raw: null });
    } else {
      this.envs.push({ id, baseId: null, size: ids.length });
      for (const e of ids) this.pushVar(id, e);
    }
    return id;
  }

  private pushVar(envId: number, entryId: number): void {
    const e = this.entries[entryId]!;
    this.vars.push({ envId, name: e.name, value: e.value, raw: e.raw });
  }

  private sameAs(env: Buffer[], s: StoredEnv): boolean {
    if (env.length !== s.ends.length) return false;
    let start = 0;
    for (let i = 0; i < env.length; i++) {
      const b = env[i]!;
      const end = s.ends[i]!;
      if (end - start !== b.length || s.bytes.compare(b, 0, b.length, start, end) !== 0) return false;
      start = end;
    }
    return true;
  }

  /** Sorted entry ids, one per variable name (the first occurrence of a name wins, as getenv(3) does). */
  private entryIdsOf(env: Buffer[]): Int32Array {
    const out: number[] = [];
    let names: Set<string> | null = null;
    for (const buf of env) {
      const key = buf.toString('latin1');
      let id = this.entryIds.get(key);
      if (id === undefined) {
        id = this.entries.length;
        this.entries.push(decodeEntry(buf));
        this.entryIds.set(key, id);
      }
      out.push(id);
    }
    // Duplicate names are rare: check cheaply, fall back to a filtered copy.
    if (out.length > 1) {
      names = new Set();
      for (const id of out) names.add(this.entries[id]!.name);
      if (names.size !== out.length) {
        const seen = new Set<string>();
        const kept: number[] = [];
        for (const id of out) {
          const n = this.entries[id]!.name;
          if (!seen.has(n)) {
            seen.add(n);
            kept.push(id);
          }
        }
        return Int32Array.from(kept).sort();
      }
    }
    return Int32Array.from(out).sort();
  }
}

function concat(env: Buffer[]): { bytes: Buffer; ends: Uint32Array } {
  const ends = new Uint32Array(env.length);
  let n = 0;
  for (let i = 0; i < env.length; i++) {
    n += env[i]!.length;
    ends[i] = n;
  }
  return { bytes: Buffer.concat(env, n), ends };
}

/** Full environment of `envId` (name → value, sorted by name) from the env rows. */
export function resolveEnv(
  envId: number,
  envs: ReadonlyMap<number, { baseId: number | null }>,
  varsByEnv: ReadonlyMap<number, readonly { name: string; value: string | null }[]>,
): [string, string][] {
  const out = new Map<string, string | null>();
  for (let id: number | null = envId; id !== null; id = envs.get(id)?.baseId ?? null) {
    for (const v of varsByEnv.get(id) ?? []) if (!out.has(v.name)) out.set(v.name, v.value);
  }
  const full: [string, string][] = [];
  for (const [k, v] of out) if (v !== null) full.push([k, v]);
  return full.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
