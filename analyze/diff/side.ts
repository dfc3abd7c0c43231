// One of the two runs a diff compares: its capture figures, its process tree
// (with the opens, connections and lookups of each image), the exec rows
// behind the tree's nodes, and its environments, resolved on demand.

import { UserError } from '../../formats/errors.ts';
import type { CaptureHeader } from '../../formats/types.ts';
import { type CaptureInfo, captureInfo } from '../replay/capture-info.ts';
import type { EnvVarRow } from '../replay/env.ts';
import { type LoadedCapture, load } from '../replay/load.ts';
import { type ExecRow, execById, type Model } from '../replay/model.ts';
import type { Progress } from '../replay/progress.ts';
import { buildTree, type TreeNode } from '../tree/build.ts';

export type Label = 'A' | 'B';

/**
 * Environments are stored as differences from a base (analyze/replay/env.ts);
 * a file can chain them as deep as its process tree. Lookups follow at most
 * this many bases (a deeper chain reads as unset beyond it).
 */
export const MAX_ENV_CHAIN = 4096;

export interface Run {
  label: Label;
  header: CaptureHeader;
  capture: CaptureInfo;
  model: Model;
  roots: TreeNode[];
  /** The exec row of an exec node (uid, gid…). */
  execOf(n: TreeNode): ExecRow | undefined;
  /** The full environment of an env id (name → value); cached. */
  env(envId: number): ReadonlyMap<string, string>;
  /** The environment an env id is stored as a difference from (null: stored in full). */
  envBase(envId: number): number | null;
  /** The variables an env id sets or unsets over its base (all of its variables when stored in full). */
  envOwnVars(envId: number): readonly EnvVarRow[];
  /** One variable of an env id (null: not set), following its bases. */
  envValue(envId: number, name: string): string | null;
}

/** Reads `path` with the one loader; a file that cannot be read is one line naming the run, exit 2 (diff's "trouble"). */
export function loadRun(path: string, label: Label, opts: { env: boolean; progress?: Progress }): Run {
  let loaded: LoadedCapture;
  try {
    loaded = load(path, { env: opts.env, progress: opts.progress });
  } catch (err) {
    if (err instanceof UserError) throw new UserError(err.message, 2);
    throw err;
  }
  return runOf(loaded, label);
}

export function runOf(loaded: Pick<LoadedCapture, 'header' | 'model'>, label: Label): Run {
  const { model, header } = loaded;
  const capture = captureInfo(model);
  const roots = buildTree({
    capture,
    processes: model.processes,
    execs: model.execs,
    execFailures: model.execFailures,
    opens: model.opens,
    resources: model.resources,
    connections: model.connections,
    lookups: model.dnsLookups,
    queries: model.dnsQueries,
  });
  const baseOf = new Map<number, number | null>();
  for (const e of model.envs) baseOf.set(e.id, e.baseId);
  // The rows of one environment are consecutive in envVars: [start, end) per env id.
  const vars = model.envVars;
  const rangeOf = new Map<number, { start: number; end: number; index: Map<string, number> | null }>();
  for (let i = 0; i < vars.length; ) {
    const id = vars[i]!.envId;
    let j = i + 1;
    while (j < vars.length && vars[j]!.envId === id) j++;
    if (!rangeOf.has(id)) rangeOf.set(id, { start: i, end: j, index: null });
    i = j;
  }
  /** The row of `name` in env id's own variables, or -1 (an index for big environments, built on first use). */
  const ownRow = (id: number, name: string): number => {
    const r = rangeOf.get(id);
    if (r === undefined) return -1;
    if (r.end - r.start <= 16) {
      for (let k = r.start; k < r.end; k++) if (vars[k]!.name === name) return k;
      return -1;
    }
    if (r.index === null) {
      r.index = new Map();
      for (let k = r.end - 1; k >= r.start; k--) r.index.set(vars[k]!.name, k);
    }
    return r.index.get(name) ?? -1;
  };
  const envOwnVars = (id: number): readonly EnvVarRow[] => {
    const r = rangeOf.get(id);
    return r === undefined ? [] : vars.slice(r.start, r.end);
  };
  const envBase = (id: number): number | null => baseOf.get(id) ?? null;
  const cache = new Map<number, ReadonlyMap<string, string>>();
  return {
    label,
    header,
    capture,
    model,
    roots,
    execOf: (n) => execById(model.execs, n.execId),
    envBase,
    envOwnVars,
    envValue: (envId, name) => {
      // A chain of differences as long as the file makes it: walked at most MAX_ENV_CHAIN levels.
      let steps = 0;
      for (let id: number | null = envId; id !== null && steps < MAX_ENV_CHAIN; id = envBase(id), steps++) {
        const k = ownRow(id, name);
        if (k >= 0) return vars[k]!.value;
      }
      return null;
    },
    env: (envId) => {
      let m = cache.get(envId);
      if (m !== undefined) return m;
      // Nearest first: a variable set or unset in a difference hides the base's.
      const seen = new Map<string, string | null>();
      let steps = 0;
      for (let id: number | null = envId; id !== null && steps < MAX_ENV_CHAIN; id = envBase(id), steps++) {
        const r = rangeOf.get(id);
        if (r === undefined) continue;
        for (let k = r.start; k < r.end; k++) if (!seen.has(vars[k]!.name)) seen.set(vars[k]!.name, vars[k]!.value);
      }
      const full = new Map<string, string>();
      for (const [k, v] of seen) if (v !== null) full.set(k, v);
      if (cache.size >= 512) cache.clear();
      cache.set(envId, full);
      m = full;
      return m;
    },
  };
}

/** The format version of a run's file: `1.6`. */
export function formatVersion(h: CaptureHeader): string {
  return `${h.versionMajor}.${h.versionMinor}`;
}
