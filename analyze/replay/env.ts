// Compact storage of environments: every distinct environment is stored once,
// either in full or as a difference from a base environment (the environment
// of the image it replaced, or for a first exec the image of the parent that
// forked it), whichever holds fewer variables. SCHEMA.md documents the
// encoding; `env_full` (SQL view) and `EnvResolver` (below) give the full set.
//
// Speed matters here (every exec goes through `intern`): most environments
// are byte-for-byte the base's or a recent one's, which one memcmp finds;
// new ones are compared string by string with the base, so only the strings
// that changed are decoded.

import { stringArea, stringStarts } from '../../formats/nul-area.ts';

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
  /** Interned name: duplicate names are found without hashing strings. */
  nameId: number;
  value: string;
  raw: Buffer | null;
}

interface StoredEnv {
  id: number;
  /** Entry ids, sorted, one per name. */
  ids: Int32Array;
  /** The strings as received, each followed by a NUL (AreaRing: null once overwritten). */
  area: Buffer | null;
  /** Where the ring wrote `area` (bytes written before it); -1: a copy of its own, kept for good. */
  written: number;
  /** Start of each string in `area`, plus a final entry = area.length. */
  starts: Uint32Array;
  /** Entry id of each string, in received order (-1: a later duplicate of a name). */
  order: Int32Array;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeEntry(buf: Buffer): Omit<Entry, 'nameId'> {
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
  return { name, value, raw: text === null || eq < 0 ? Buffer.from(Uint8Array.prototype.slice.call(buf)) : null };
}

/**
 * Copies of byte strings kept for the life of a model, packed into large
 * slabs of their own: a small Buffer.allocUnsafe copy would come from Node's
 * shared 8 KiB pool and keep a whole pool slab (full of the reader's
 * short-lived buffers) alive per copy.
 */
export class ByteArena {
  private slab: Buffer = Buffer.alloc(0);
  private pos = 0;
  private readonly slabSize: number;

  constructor(slabSize = 1 << 20) {
    this.slabSize = slabSize;
  }

  copy(src: Buffer): Buffer {
    const n = src.length;
    if (n > this.slabSize >> 2) {
      const own = Buffer.allocUnsafeSlow(n);
      src.copy(own);
      return own;
    }
    if (this.pos + n > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(this.slabSize);
      this.pos = 0;
    }
    const out = this.slab.subarray(this.pos, this.pos + n);
    src.copy(out);
    this.pos += n;
    return out;
  }
}

/**
 * The byte strings of recent environments, in a ring that is overwritten as
 * it wraps. An environment's strings are only compared again when it is a
 * recent one or the base of a new one, and most environments (those of leaf
 * processes: one per compile in a build) never are: keeping all of them would
 * copy every distinct environment (tens of MB in a big build, all of it fresh
 * memory to fault in) for nothing. An environment used as a base is kept for
 * good (keep()); one whose bytes are gone is found by its entry ids instead.
 */
export class AreaRing {
  private ring: Buffer | null = null;
  /** Bytes written so far, laps included. */
  private written = 0;
  private readonly size: number;
  private readonly arena: ByteArena;

  constructor(arena: ByteArena, size = 4 << 20) {
    this.arena = arena;
    this.size = size;
  }

  store(env: StoredEnv, area: Buffer): void {
    const n = area.length;
    if (n > this.size >> 2) {
      env.area = this.arena.copy(area);
      env.written = -1;
      return;
    }
    const ring = (this.ring ??= Buffer.allocUnsafeSlow(this.size));
    let at = this.written % this.size;
    if (at + n > this.size) {
      this.written += this.size - at;
      at = 0;
    }
    area.copy(ring, at);
    env.area = ring.subarray(at, at + n);
    env.written = this.written;
    this.written += n;
  }

  /** env's strings, or null when the ring has written over them since. */
  areaOf(env: StoredEnv): Buffer | null {
    if (env.written >= 0 && this.written - env.written > this.size) env.area = null;
    return env.area;
  }

  /** Keeps env's strings for good (when they are still there). */
  keep(env: StoredEnv): Buffer | null {
    const area = this.areaOf(env);
    if (area !== null && env.written >= 0) {
      env.area = this.arena.copy(area);
      env.written = -1;
    }
    return env.area;
  }
}

const RECENT = 4;

/**
 * Interns environments as they are seen (streaming) and produces the env rows.
 * Ids are dense from 1 in order of first appearance.
 */
export class EnvInterner {
  private readonly entryIds = new Map<string, number>();
  private readonly entries: Entry[] = [];
  private readonly nameIds = new Map<string, number>();
  /** nameStamp[nameId] === stamp: the name was seen in the environment being interned. */
  private nameStamp = new Int32Array(64);
  private stamp = 0;
  /** Hash of the sorted entry ids → envs with that hash. */
  private readonly envsByHash = new Map<number, StoredEnv[]>();
  private readonly stored: StoredEnv[] = [];
  private readonly recent: StoredEnv[] = [];
  readonly envs: EnvRow[] = [];
  readonly vars: EnvVarRow[] = [];
  private readonly areas: AreaRing;

  /** `ringBytes`: the size of the AreaRing (tests make it tiny). */
  constructor(arena = new ByteArena(), ringBytes?: number) {
    this.areas = new AreaRing(arena, ringBytes);
  }

  /** The id of the environment `env` (its strings), new or known; `baseId`: the environment it inherits from. */
  intern(env: readonly Buffer[], baseId: number | null): number {
    return this.internArea(stringArea(env), baseId);
  }

  /** Like intern(), for the strings' area: every string followed by one NUL. */
  internArea(area: Buffer, baseId: number | null): number {
    const base = baseId === null ? null : this.stored[baseId - 1]!;
    const baseArea = base === null ? null : this.areas.keep(base);
    if (baseArea !== null && sameBytes(area, baseArea)) return base!.id;
    for (const r of this.recent) {
      const ra = this.areas.areaOf(r);
      if (ra !== null && sameBytes(area, ra)) return r.id;
    }

    // Entry ids in received order. Strings in the longest common prefix and
    // suffix (by string) with the base reuse its ids and its string starts,
    // found with a few memcmp calls (binary search over the base's starts);
    // only the strings in between are looked for (a byte loop) and decoded.
    let starts: Uint32Array;
    let order: Int32Array;
    if (base === null || baseArea === null) {
      starts = stringStarts(area);
      order = new Int32Array(starts.length - 1);
      for (let i = 0; i < order.length; i++) order[i] = this.entryId(area, starts[i]!, starts[i + 1]! - 1);
    } else {
      const len = area.length;
      const baseLen = baseArea.length;
      const nb = base.order.length;
      const bs = base.starts;
      // prefix: largest k with the base's first k strings (bytes [0, bs[k])) also at the start of area.
      let lo = 0;
      let hi = nb;
      while (lo < hi) {
        const k = (lo + hi + 1) >> 1;
        if (bs[k]! <= len && area.compare(baseArea, 0, bs[k]!, 0, bs[k]!) === 0) lo = k;
        else hi = k - 1;
      }
      const prefix = lo;
      const from = bs[prefix]!;
      // suffix: largest j with the base's last j strings at the end of area, where a string starts
      // (after a NUL), not overlapping the prefix.
      const shift = len - baseLen;
      lo = 0;
      hi = nb - prefix;
      while (lo < hi) {
        const j = (lo + hi + 1) >> 1;
        const b0 = bs[nb - j]!;
        const a0 = b0 + shift;
        if (a0 >= from && (a0 === 0 || area[a0 - 1] === 0) && area.compare(baseArea, b0, baseLen, a0, len) === 0)
          lo = j;
        else hi = j - 1;
      }
      const suffix = lo;
      const to = suffix === 0 ? len : bs[nb - suffix]! + shift;
      let middle = 0;
      for (let i = from; i < to; i++) if (area[i] === 0) middle++;
      const n = prefix + middle + suffix;
      starts = new Uint32Array(n + 1);
      order = new Int32Array(n);
      starts.set(bs.subarray(0, prefix + 1));
      order.set(base.order.subarray(0, prefix));
      let k = prefix;
      for (let i = from; i < to; i++) if (area[i] === 0) starts[++k] = i + 1;
      for (let i = prefix; i < prefix + middle; i++) order[i] = this.entryId(area, starts[i]!, starts[i + 1]! - 1);
      for (let j = suffix; j >= 1; j--) {
        starts[n - j + 1] = bs[nb - j + 1]! + shift;
        order[n - j] = base.order[nb - j]!;
      }
    }
    // A base string marked -1 (a duplicate name there) is looked up like any other.
    for (let i = 0; i < order.length; i++)
      if (order[i] === -1) order[i] = this.entryId(area, starts[i]!, starts[i + 1]! - 1);
    const ids = this.uniqueByName(order);
    const hash = hashIds(ids);
    let bucket = this.envsByHash.get(hash);
    if (bucket !== undefined) {
      for (const s of bucket) {
        if (sameIds(s.ids, ids)) {
          this.remember(s);
          return s.id;
        }
      }
    } else {
      this.envsByHash.set(hash, (bucket = []));
    }

    const id = this.stored.length + 1;
    const stored: StoredEnv = { id, ids, area: null, written: -1, starts, order: markDuplicates(order, ids) };
    this.areas.store(stored, area);
    this.stored.push(stored);
    bucket.push(stored);
    this.remember(stored);
    this.store(stored, base);
    return id;
  }

  private remember(s: StoredEnv): void {
    if (this.recent.includes(s)) return;
    if (this.recent.length >= RECENT) this.recent.shift();
    this.recent.push(s);
  }

  /** The entry of the string area[from .. to). */
  private entryId(area: Buffer, from: number, to: number): number {
    const key = area.toString('latin1', from, to);
    let id = this.entryIds.get(key);
    if (id === undefined) {
      id = this.entries.length;
      const e = decodeEntry(area.subarray(from, to));
      let nameId = this.nameIds.get(e.name);
      if (nameId === undefined) {
        nameId = this.nameIds.size;
        this.nameIds.set(e.name, nameId);
        if (nameId >= this.nameStamp.length) {
          const grown = new Int32Array(this.nameStamp.length * 2);
          grown.set(this.nameStamp);
          this.nameStamp = grown;
        }
      }
      this.entries.push({ ...e, nameId });
      this.entryIds.set(key, id);
    }
    return id;
  }

  /** Sorted entry ids, one per variable name: the first occurrence of a name wins, as getenv(3) does. */
  private uniqueByName(order: Int32Array): Int32Array {
    const stamp = ++this.stamp;
    const seen = this.nameStamp;
    let dup = false;
    for (let i = 0; i < order.length; i++) {
      const n = this.entries[order[i]!]!.nameId;
      if (seen[n] === stamp) dup = true;
      else seen[n] = stamp;
    }
    if (!dup) return Int32Array.from(order).sort();
    const again = ++this.stamp;
    const kept: number[] = [];
    for (let i = 0; i < order.length; i++) {
      const id = order[i]!;
      const n = this.entries[id]!.nameId;
      if (seen[n] !== again) {
        seen[n] = again;
        kept.push(id);
      }
    }
    return Int32Array.from(kept).sort();
  }

  /** Rows for a new environment: the difference from `base` when that is smaller, else every variable. */
  private store(env: StoredEnv, base: StoredEnv | null): void {
    const ids = env.ids;
    if (base !== null) {
      // Merge walk over the two sorted id lists: ids only in env are set, ids only in base are candidates for unset.
      const added: number[] = [];
      const removed: number[] = [];
      const b = base.ids;
      let i = 0;
      let j = 0;
      while (i < ids.length || j < b.length) {
        if (j >= b.length || (i < ids.length && ids[i]! < b[j]!)) added.push(ids[i++]!);
        else if (i >= ids.length || b[j]! < ids[i]!) removed.push(b[j++]!);
        else {
          i++;
          j++;
        }
      }
      // A base variable is unset unless the environment has the name with another value (an added entry).
      const addedNames = new Set(added.map((e) => this.entries[e]!.name));
      const unset = removed.map((e) => this.entries[e]!.name).filter((name) => !addedNames.has(name));
      if (added.length + unset.length < ids.length) {
        this.envs.push({ id: env.id, baseId: base.id, size: ids.length });
        for (const e of added) this.pushVar(env.id, e);
        for (const name of unset) this.vars.push({ envId: env.id, name, value: null, raw: null });
        return;
      }
    }
    this.envs.push({ id: env.id, baseId: null, size: ids.length });
    for (const e of ids) this.pushVar(env.id, e);
  }

  private pushVar(envId: number, entryId: number): void {
    const e = this.entries[entryId]!;
    this.vars.push({ envId, name: e.name, value: e.value, raw: e.raw });
  }
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.equals(b);
}

function sameIds(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hashIds(ids: Int32Array): number {
  let h = 0x811c9dc5 ^ ids.length;
  for (let i = 0; i < ids.length; i++) h = Math.imul(h ^ ids[i]!, 0x01000193);
  return h >>> 0;
}

/** `order` with the entries dropped by uniqueByName marked -1 (they never match a base string). */
function markDuplicates(order: Int32Array, ids: Int32Array): Int32Array {
  if (ids.length === order.length) return order;
  const keep = new Set(ids);
  const seen = new Set<number>();
  return order.map((id) => {
    if (!keep.has(id) || seen.has(id)) return -1;
    seen.add(id);
    return id;
  });
}

/** Where an EnvResolver finds the compact rows (the model's, or SQLite's). */
export interface EnvSource {
  /** Number of environments: no chain of bases is longer (a walk stops there, should the rows hold a cycle). */
  readonly size: number;
  /** The env's base (null: stored in full); undefined for an unknown env. */
  baseOf(id: number): number | null | undefined;
  /** The env's own rows: its variables in full, or its differences from its base. */
  varsOf(id: number): readonly { name: string; value: string | null }[];
}

const NO_ENV: ReadonlyMap<string, string> = new Map();

/**
 * Full environments from the compact rows, the one resolver for every command:
 * a chain of differences is walked down to a full (or cached) environment and
 * applied back up, without recursion (chains can be long). A bounded cache
 * keeps the recent results, so that a chain is rarely walked twice.
 */
export class EnvResolver {
  readonly #source: EnvSource;
  readonly #cache = new Map<number, ReadonlyMap<string, string>>();
  readonly #limit: number;

  constructor(source: EnvSource, cacheLimit = 4096) {
    this.#source = source;
    this.#limit = cacheLimit;
  }

  /** A resolver over the rows of a model (its envs and envVars). */
  static ofRows(
    envs: readonly EnvRow[] | readonly Pick<EnvRow, 'id' | 'baseId'>[],
    vars: readonly EnvVarRow[] | readonly Pick<EnvVarRow, 'envId' | 'name' | 'value'>[],
    cacheLimit?: number,
  ): EnvResolver {
    const base = new Map<number, number | null>();
    for (const e of envs) base.set(e.id, e.baseId);
    let byEnv: Map<number, Pick<EnvVarRow, 'envId' | 'name' | 'value'>[]> | null = null;
    return new EnvResolver(
      {
        size: base.size,
        baseOf: (id) => base.get(id),
        varsOf: (id) => {
          if (byEnv === null) {
            byEnv = new Map();
            for (const v of vars) {
              let l = byEnv.get(v.envId);
              if (l === undefined) byEnv.set(v.envId, (l = []));
              l.push(v);
            }
          }
          return byEnv.get(id) ?? [];
        },
      },
      cacheLimit,
    );
  }

  /** name → value of environment `id` (empty for null or an unknown id). */
  get(id: number | null): ReadonlyMap<string, string> {
    if (id === null || this.#source.baseOf(id) === undefined) return NO_ENV;
    const hit = this.#cache.get(id);
    if (hit !== undefined) {
      this.#cache.delete(id);
      this.#cache.set(id, hit);
      return hit;
    }
    const chain: number[] = [];
    let start: ReadonlyMap<string, string> = NO_ENV;
    for (let e: number | null = id; e !== null; e = this.#source.baseOf(e) ?? null) {
      const c = e === id ? undefined : this.#cache.get(e);
      if (c !== undefined) {
        start = c;
        break;
      }
      chain.push(e);
      if (chain.length > this.#source.size) break; // a cycle would be a bug in the rows: stop rather than spin
    }
    const full = new Map(start);
    for (let i = chain.length - 1; i >= 0; i--) {
      for (const v of this.#source.varsOf(chain[i]!)) {
        if (v.value === null) full.delete(v.name);
        else full.set(v.name, v.value);
      }
    }
    this.#cache.set(id, full);
    if (this.#cache.size > this.#limit) this.#cache.delete(this.#cache.keys().next().value!);
    return full;
  }

  /**
   * The full environment `id` as [name, value] pairs sorted by name. Not
   * cached: for reading each environment once (tree --env, readEnvs), the walk
   * from the top (first value of a name wins) costs less than building and
   * keeping the Map of every environment on the way.
   */
  entries(id: number): [string, string][] {
    const out = new Map<string, string | null>();
    for (
      let e: number | null = id, n = 0;
      e !== null && n <= this.#source.size;
      e = this.#source.baseOf(e) ?? null, n++
    ) {
      for (const v of this.#source.varsOf(e)) if (!out.has(v.name)) out.set(v.name, v.value);
    }
    const full: [string, string][] = [];
    for (const [k, v] of out) if (v !== null) full.push([k, v]);
    return full.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
