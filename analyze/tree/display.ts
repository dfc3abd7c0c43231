// What both tree renderers (text.ts, json.ts) share: their options, walks over
// the display items, the --dedup memory, the path shown for an open, the CPU time
// of a usage row. Pure.

import type { Paint } from '../format.ts';
import type { OpenRow, ResourceRow } from '../replay/model.ts';
import type { DisplayItem } from './build.ts';
import type { CriticalMarks } from './critical.ts';

export interface TreeRenderOptions {
  /** Whole command lines instead of shortened ones. */
  full: boolean;
  /** Target line width for shortening. */
  width: number;
  paint: Paint;
  /** Show environments (resolved, by env id). */
  envs: ReadonlyMap<number, [string, string][]> | null;
  /** Show repeated values (env vars, failed exec attempts, opened paths) only at their first occurrence. */
  dedup: boolean;
  /** Show file opens (--files). */
  files?: boolean;
  /** Show CPU time and max RSS (--resources). */
  resources?: boolean;
  /** Show TCP connections (--net). */
  net?: boolean;
  /** --critical: own time on the critical path of each image shown. */
  critical?: CriticalMarks;
  /** Records were lost: which counts may be too low (shown as ×≥N, +≥N). */
  incomplete?: { processes: boolean; files: boolean; execFailed: boolean; net?: boolean; dns?: boolean };
}

/** Shown for a path whose bytes were lost (the record arrived, its string did not). */
export const PATH_LOST = '(path lost)';

/** The path shown for an open: resolved, else as given (prefixed by its dirfd when not AT_FDCWD). */
export function openDisplayPath(o: OpenRow): string {
  if (o.resolved !== null) return o.resolved;
  if (o.path === '' && o.pathTruncated) return PATH_LOST;
  return o.dirfd === -100 ? o.path : `<fd ${o.dirfd}>/${o.path}`;
}

/** CPU time of a usage row: the scheduler's runtime (precise), else user + system. */
export function cpuNs(r: ResourceRow): number {
  return r.runtimeNs > 0 ? r.runtimeNs : r.utimeNs + r.stimeNs;
}

/** Every item of the display tree, in no particular order (without recursion: trees can be 100,000s of levels deep). */
export function allItems(items: readonly DisplayItem[]): DisplayItem[] {
  const out: DisplayItem[] = [];
  const stack: (readonly DisplayItem[])[] = [items];
  while (stack.length > 0) {
    for (const i of stack.pop()!) {
      out.push(i);
      if (i.children.length > 0) stack.push(i.children);
    }
  }
  return out;
}

/** Successful opens per display path over the whole tree (for "+N later" under --dedup). */
export function openCounts(items: readonly DisplayItem[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of allItems(items)) {
    const members = i.type === 'node' ? [i.node] : i.members;
    for (const m of members)
      for (const o of m.opens)
        if (o.fd !== null) {
          const k = openDisplayPath(o);
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
  }
  return counts;
}

/**
/** Values already shown, for --dedup. */
export class Seen {
  private readonly set = new Set<string>();
  /** true the first time. */
  first(key: string): boolean {
    if (this.set.has(key)) return false;
    this.set.add(key);
    return true;
  }
}

/** Math.max without a spread (groups can have 100,000 members: too many arguments for one call). */
export function maxOf(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of values) if (v > m) m = v;
  return m;
}

/** Env ids the renderers will need (each node's, each group's first member's). */
export function envIds(items: readonly DisplayItem[]): Set<number> {
  const out = new Set<number>();
  for (const i of allItems(items)) {
    const n = i.type === 'node' ? i.node : i.members[0]!;
    if (n.envId !== null) out.add(n.envId);
  }
  return out;
}
