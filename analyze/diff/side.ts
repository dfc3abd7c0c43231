// One of the two runs a diff compares: its capture figures, its process tree
// (with the opens, connections and lookups of each image), the exec rows
// behind the tree's nodes, and its environments, resolved on demand.

import { UserError } from '../../formats/errors.ts';
import type { CaptureHeader } from '../../formats/types.ts';
import { type CaptureInfo, captureInfo } from '../replay/capture-info.ts';
import { type LoadedCapture, load } from '../replay/load.ts';
import type { ExecRow, Model } from '../replay/model.ts';
import type { Progress } from '../replay/progress.ts';
import { buildTree, type TreeNode } from '../tree/build.ts';

export type Label = 'A' | 'B';

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
  const execsOf: (ExecRow[] | undefined)[] = [];
  for (const x of model.execs) (execsOf[x.processId] ??= []).push(x);
  const baseOf = new Map<number, number | null>();
  for (const e of model.envs) baseOf.set(e.id, e.baseId);
  const varsOf = new Map<number, { name: string; value: string | null }[]>();
  for (const v of model.envVars) {
    const l = varsOf.get(v.envId);
    if (l === undefined) varsOf.set(v.envId, [v]);
    else l.push(v);
  }
  const cache = new Map<number, ReadonlyMap<string, string>>();
  return {
    label,
    header,
    capture,
    model,
    roots,
    execOf: (n) => (n.execSeq === null ? undefined : execsOf[n.processId]?.find((x) => x.seq === n.execSeq)),
    env: (envId) => {
      let m = cache.get(envId);
      if (m !== undefined) return m;
      // Nearest first: a variable set or unset in a difference hides the base's.
      const seen = new Map<string, string | null>();
      const chain = new Set<number>();
      for (let id: number | null = envId; id !== null && !chain.has(id); id = baseOf.get(id) ?? null) {
        chain.add(id);
        for (const v of varsOf.get(id) ?? []) if (!seen.has(v.name)) seen.set(v.name, v.value);
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
