// Model rows → the figures the renderers work on. Times become numbers of ns
// relative to the capture start (exact below 104 days), so renderers never
// handle bigints.

import { EnvResolver } from './env.ts';
import type { Model, ProcessRow, ProcessState } from './model.ts';

export interface CaptureInfo {
  path: string;
  /** Wall clock ns of the capture start (header). */
  startNs: bigint;
  /** End of the capture relative to its start: footer stop time, else the last event. */
  end: number;
  /** The file had a footer. */
  complete: boolean;
  rootPid: number;
  command: string[];
  /** An attached capture (format 1.8): what it attached to (`pid 17608`, `cgroup /system.slice/x.service`); null for a command's capture. */
  attachedTo: string | null;
  hostname: string;
  kernelRelease: string;
  envCaptured: boolean;
  /** Sum over the loss categories (footer, else the last loss records). */
  lost: number;
  /** Records lost per category name (the last, cumulative count of each), in category order; only categories with losses. */
  losses: { category: string; count: number }[];
  warnings: { code: string; message: string }[];
  /** footer.still_running, or null without a footer. */
  stillRunning: number | null;
}

export interface ProcInfo {
  id: number;
  pid: number;
  parentId: number | null;
  ppid: number | null;
  start: number;
  /** null: still running or no exit record. */
  end: number | null;
  exitCode: number | null;
  signal: number | null;
  signalName: string | null;
  coreDumped: boolean;
  state: ProcessState;
  isRoot: boolean;
  execCount: number;
}

/** The processes (times relative to the capture start), in the model's (start, pid) order. */
export function procInfosOfModel(processes: readonly ProcessRow[], capture: CaptureInfo): ProcInfo[] {
  const t0 = capture.startNs;
  return processes.map((p) => ({
    id: p.id,
    pid: p.pid,
    parentId: p.parentId,
    ppid: p.ppid,
    // a process the capture attached to is seen from then (its start is its real start, earlier)
    start: Number((p.attachedAt ?? p.start) - t0),
    end: p.end === null ? null : Number(p.end - t0),
    exitCode: p.exitCode,
    signal: p.signal,
    signalName: p.signalName,
    coreDumped: p.coreDumped,
    state: p.state,
    isRoot: p.isRoot,
    execCount: p.execCount,
  }));
}

// ---------------------------------------------------------------- straight from the rows

/**
 * The capture's figures, from the model's typed header and footer (the one
 * place they are read) and its loss and warning rows.
 */
export function captureInfo(m: Model): CaptureInfo {
  const { path, header: h, footer: f, lastEventNs } = m.source;
  const startNs = h.start.realtime;
  const stop = f !== null ? h.start.realtime + (f.stop.boottime - h.start.boottime) : (lastEventNs ?? startNs);
  const maxByCategory = new Map<number, bigint>();
  const names = new Map<number, string>();
  for (const l of m.losses) {
    if (l.count > (maxByCategory.get(l.category) ?? -1n)) maxByCategory.set(l.category, l.count);
    names.set(l.category, l.categoryName);
  }
  let lostFromRecords = 0n;
  for (const v of maxByCategory.values()) lostFromRecords += v;
  const footerLost = f?.lost ?? null;
  return {
    path,
    startNs,
    end: Number(stop - startNs),
    complete: f !== null,
    rootPid: h.rootPid,
    command: [...h.commandArgv],
    attachedTo: !h.options.attach
      ? null
      : h.attachCgroup
        ? `cgroup ${h.attachCgroup}`
        : `pid ${h.attachPids.join(', ')}`,
    hostname: h.hostname,
    kernelRelease: h.kernelRelease,
    envCaptured: h.options.env,
    lost: Number(footerLost !== null && footerLost > lostFromRecords ? footerLost : lostFromRecords),
    losses: [...maxByCategory]
      .filter(([, n]) => n > 0n)
      .sort((a, b) => a[0] - b[0])
      .map(([c, n]) => ({ category: names.get(c)!, count: Number(n) })),
    warnings: m.warnings.map((w) => ({ code: w.code, message: w.message })),
    stillRunning: f === null ? null : f.stillRunning,
  };
}

/** Full environments of the given env ids, from the model's rows. */
export function envsOfModel(m: Model, ids: Iterable<number>): Map<number, [string, string][]> {
  const resolver = EnvResolver.ofRows(m.envs, m.envVars);
  const out = new Map<number, [string, string][]>();
  for (const id of new Set(ids)) out.set(id, resolver.entries(id));
  return out;
}

// ---------------------------------------------------------------- incomplete data

/** What each loss category leaves incomplete, in the words of the outputs. */
const LOST_WHAT: Readonly<Record<string, string>> = {
  process: 'processes (forks, exits)',
  exec: 'execs',
  exec_failed: 'failed execs',
  tracking: 'processes (not followed)',
  files: 'file opens',
  hist: 'latency histograms',
  net: 'TCP connections',
  dns: 'name lookups and DNS queries',
};

/**
 * The one statement of lost records every output makes (tree text and JSON,
 * export), from the same figures as info, stats, db and the otel root span:
 * how many, in which categories, and what is incomplete. null without losses.
 */
export function lossWarning(c: Pick<CaptureInfo, 'lost' | 'losses'>): { code: 'records-lost'; message: string } | null {
  if (c.lost <= 0) return null;
  const byCat = c.losses.map((l) => `${l.category} ${l.count}`).join(', ');
  const what = [...new Set(c.losses.map((l) => LOST_WHAT[l.category] ?? l.category))];
  return {
    code: 'records-lost',
    message:
      `${c.lost} records lost${byCat === '' ? '' : ` (${byCat})`}: ` +
      `${what.length > 0 ? what.join(', ') : 'events'} may be incomplete; counts are lower bounds`,
  };
}

/** Loss categories that can hide processes or execs (tree nodes, group sizes). */
export function processesIncomplete(c: Pick<CaptureInfo, 'lost' | 'losses'>): boolean {
  if (c.lost > 0 && c.losses.length === 0) return true; // the footer's sum only: assume anything
  return c.losses.some(
    (l) =>
      l.category === 'process' ||
      l.category === 'exec' ||
      l.category === 'tracking' ||
      l.category.startsWith('category'),
  );
}

/** Whether losses of `category` (files, exec_failed, net, dns…) may have hidden events. */
export function categoryIncomplete(c: Pick<CaptureInfo, 'lost' | 'losses'>, category: string): boolean {
  if (c.lost > 0 && c.losses.length === 0) return true;
  return c.losses.some((l) => l.category === category || l.category.startsWith('category'));
}
