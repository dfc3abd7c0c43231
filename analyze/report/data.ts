// The model and the stats report → the report's embedded data (page/schema.ts). Pure:
// rows in, one compact document out; walks are iterative (trees can be 100,000s deep).

import { decodeStrings } from '../../formats/nul-area.ts';
import { commandLine, statusText } from '../format.ts';
import { type CaptureInfo, categoryIncomplete, lossWarning, processesIncomplete } from '../replay/capture-info.ts';
import type { CriticalPath } from '../replay/critical-path.ts';
import { execById, type Model } from '../replay/model.ts';
import { connectionText, lookupText, queryText } from '../replay/net.ts';
import type { StatsReport } from '../stats/types.ts';
import { argvOf, buildTree, dedupTree, type TreeNode } from '../tree/build.ts';
import { cpuNs, openDisplayPath } from '../tree/display.ts';
import { renderTreeText } from '../tree/text.ts';
import {
  type CriticalData,
  type EnvData,
  Outcome,
  type ProcessColumns,
  REPORT_DATA_VERSION,
  type ReportData,
} from './page/schema.ts';

/** Network lines and distinct failed opens listed per process in the details (the counts are always whole). */
export const MAX_DETAIL_LINES = 20;
export const MAX_FAILED_OPENS = 5;
/** Images listed with their own time on the critical path. */
export const MAX_CRITICAL_IMAGES = 30;

/** One table of distinct strings; a string's index is its id. */
class StringTable {
  readonly list: string[] = [];
  private readonly ids = new Map<string, number>();
  id(s: string): number {
    let i = this.ids.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      this.ids.set(s, i);
    }
    return i;
  }
}

export interface ReportInput {
  model: Model;
  capture: CaptureInfo;
  /** computeStats of the same model. */
  stats: StatsReport;
  /** The model's strings went through the secret rules (the page says so). */
  redacted: boolean;
  generatedBy: string;
  critical: CriticalPath | null;
}

/** Process rows (model ids, dense from 1) in pre-order: parents first, siblings in (start, pid) order. */
function treeOrder(model: Model): number[] {
  const n = model.processes.length;
  const children: number[][] = Array.from({ length: n + 1 }, () => []);
  const roots: number[] = [];
  for (const p of model.processes) {
    // processes are in (start, pid) order: children lists come out sorted
    if (p.parentId === null || p.parentId === p.id || p.parentId > n) roots.push(p.id);
    else children[p.parentId]!.push(p.id);
  }
  const order: number[] = [];
  const seen = new Uint8Array(n + 1);
  const stack = roots.reverse();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen[id]) continue;
    seen[id] = 1;
    order.push(id);
    const c = children[id]!;
    for (let i = c.length - 1; i >= 0; i--) stack.push(c[i]!);
  }
  // a parent cycle (bad data) leaves processes unreached: list them as roots
  for (const p of model.processes) if (!seen[p.id]) order.push(p.id);
  return order;
}

function outcomeOf(p: { state: string; exitCode: number | null; signal: number | null }): number {
  if (p.state === 'running') return Outcome.running;
  if (p.state === 'unknown') return Outcome.unknown;
  if (p.signal !== null) return Outcome.signalled;
  return p.exitCode !== null && p.exitCode !== 0 ? Outcome.failed : Outcome.ok;
}

export function reportData(input: ReportInput): ReportData {
  const { model, capture } = input;
  const strings = new StringTable();
  const t0 = capture.startNs;
  const rel = (ns: bigint): number => Number(ns - t0);

  const order = treeOrder(model);
  const rowOf = new Int32Array(model.processes.length + 1).fill(-1);
  order.forEach((id, row) => {
    rowOf[id] = row;
  });

  // Environments: each once, as the model stores them (a difference from a base).
  const envIndex = new Map<number, number>();
  const envs: EnvData[] = [];
  for (const e of model.envs) {
    envIndex.set(e.id, envs.length);
    envs.push({ base: -1, vars: [] });
  }
  for (const e of model.envs) envs[envIndex.get(e.id)!]!.base = e.baseId === null ? -1 : (envIndex.get(e.baseId) ?? -1);
  for (const v of model.envVars) {
    const env = envs[envIndex.get(v.envId)!]!;
    env.vars.push(strings.id(v.name), v.value === null ? -1 : strings.id(v.value));
  }

  const n = order.length;
  const cols: ProcessColumns = {
    id: [],
    pid: [],
    parent: [],
    start: [],
    duration: [],
    outcome: [],
    status: [],
    forkOf: [],
    execs: Array.from({ length: n }, () => []),
    cpu: new Array(n).fill(-1),
    rss: new Array(n).fill(-1),
    opens: new Array(n).fill(0),
    failedOpens: new Array(n).fill(0),
    failedOpenList: Array.from({ length: n }, () => []),
    connections: new Array(n).fill(0),
    failedConnections: new Array(n).fill(0),
    netList: Array.from({ length: n }, () => []),
  };
  for (const id of order) {
    const p = model.processes[id - 1]!;
    // A parent is always an earlier row (the page's walks up the tree rely on it): a forged cycle makes roots.
    const parentRow = p.parentId === null ? -1 : (rowOf[p.parentId] ?? -1);
    cols.parent.push(parentRow < cols.id.length ? parentRow : -1);
    cols.id.push(p.id);
    cols.pid.push(p.pid);
    cols.start.push(rel(p.start));
    cols.duration.push(p.end === null ? -1 : Number(p.end - p.start));
    cols.outcome.push(outcomeOf(p));
    const status = statusText(p);
    cols.status.push(status === null ? -1 : strings.id(status));
    cols.forkOf.push(-1);
  }
  const argvs = model.execs.map((x) => decodeStrings(x.argv));
  model.execs.forEach((x, k) => {
    const row = rowOf[x.processId]!;
    const argv = argvs[k]!;
    cols.execs[row]!.push([
      rel(x.time) - cols.start[row]!,
      strings.id(x.exe),
      strings.id(x.cwd),
      x.envId === null ? -1 : (envIndex.get(x.envId) ?? -1),
      ...argv.map((a) => strings.id(a)),
    ]);
  });
  // A process that never exec'd shows the image it was forked from (the nearest ancestor's last exec).
  for (let row = 0; row < n; row++) {
    if (cols.execs[row]!.length > 0) continue;
    const parent = cols.parent[row]!;
    if (parent < 0) continue;
    const pe = cols.execs[parent]!;
    if (pe.length > 0) {
      const last = pe[pe.length - 1]!;
      cols.forkOf[row] = last.length > 4 ? last[4]! : last[1]!;
    } else cols.forkOf[row] = cols.forkOf[parent]!; // parents come first: already set
  }
  for (const r of model.resources) {
    const row = rowOf[r.processId]!;
    cols.cpu[row] = cpuNs(r);
    cols.rss[row] = r.maxrssKb;
  }
  const failedOpenSeen = new Set<string>();
  for (const o of model.opens) {
    const row = rowOf[o.processId]!;
    cols.opens[row]!++;
    if (o.fd !== null) continue;
    cols.failedOpens[row]!++;
    const list = cols.failedOpenList[row]!;
    if (list.length >= MAX_FAILED_OPENS) continue;
    const text = `${openDisplayPath(o)}: ${o.errnoName ?? `errno ${o.errno}`}`;
    const key = `${row}\0${text}`;
    if (failedOpenSeen.has(key)) continue;
    failedOpenSeen.add(key);
    list.push(strings.id(text));
  }
  const netLine = (row: number, l: { mark: string; text: string; detail: string }): void => {
    const list = cols.netList[row]!;
    if (list.length < MAX_DETAIL_LINES)
      list.push(strings.id(`${l.mark} ${l.text}${l.detail === '' ? '' : ` (${l.detail})`}`));
  };
  for (const l of model.dnsLookups) netLine(rowOf[l.processId]!, lookupText(l));
  for (const q of model.dnsQueries) netLine(rowOf[q.processId]!, queryText(q));
  for (const c of model.connections) {
    const row = rowOf[c.processId]!;
    cols.connections[row]!++;
    if (c.state === 'failed') cols.failedConnections[row]!++;
    netLine(row, connectionText(c));
  }

  let argvTrunc = 0;
  let envTrunc = 0;
  let pathTrunc = 0;
  for (const x of model.execs) {
    if (x.argvTruncated) argvTrunc++;
    if (x.envTruncated) envTrunc++;
    if (x.exeTruncated || x.filenameTruncated || x.cwdTruncated) pathTrunc++;
  }

  return {
    version: REPORT_DATA_VERSION,
    header: {
      command: capture.command,
      host: capture.hostname,
      kernel: capture.kernelRelease,
      start: input.stats.overview.startTime,
      durationNs: capture.end,
      complete: capture.complete,
      lost: capture.lost,
      lossMessage: lossWarning(capture)?.message ?? null,
      truncation: { argv: argvTrunc, env: envTrunc, paths: pathTrunc },
      warnings: capture.warnings.map((w) => w.message),
      stillRunning: capture.stillRunning,
      redacted: input.redacted,
      generatedBy: input.generatedBy,
    },
    strings: strings.list,
    processes: cols,
    envs,
    stats: input.stats,
    dedup: dedupLines(model, capture, argvs),
    critical: input.critical === null ? null : criticalData(input.critical, model, rowOf, argvs),
  };
}

function criticalData(path: CriticalPath, model: Model, rowOf: Int32Array, argvs: readonly string[][]): CriticalData {
  // The stretches are contiguous from the root's start: a row and a duration each say it all.
  const segments: number[] = [];
  for (const g of path.segments) segments.push(rowOf[g.processId]!, g.end - g.start);
  const label = (processId: number, execId: number | null): string => {
    const x = execById(model.execs, execId);
    if (x === undefined) return `(pid ${model.processes[processId - 1]?.pid ?? '?'}, before its exec)`;
    const argv = argvs[x.id - 1]!;
    return commandLine(argv.length > 0 ? argv : [x.exe], { full: false, max: 160 });
  };
  return {
    start: path.start,
    end: path.end,
    rootEnded: path.rootEnded,
    unknownEnds: path.unknownEnds,
    segments,
    images: path.images.slice(0, MAX_CRITICAL_IMAGES).map((i) => ({
      row: rowOf[i.processId]!,
      label: label(i.processId, i.execId),
      selfNs: i.selfNs,
    })),
    imagesTotal: path.images.length,
  };
}

/** `tree --dedup` as it prints to a file, without its loss line (the header has it); `argvs`: of model.execs, decoded. */
function dedupLines(model: Model, capture: CaptureInfo, argvs: readonly string[][]): string[] {
  const roots = buildTree({
    capture,
    processes: model.processes,
    execs: model.execs,
    execFailures: model.execFailures,
  });
  // argvs[i] are the strings of model.execs[i], decoded already
  const argvOfNode = (n: TreeNode): string[] => {
    const x = execById(model.execs, n.execId);
    return x === undefined ? argvOf(n) : argvs[x.id - 1]!;
  };
  return renderTreeText(dedupTree(roots, argvOfNode), {
    full: false,
    width: 120, // as `tree --dedup` prints to a file
    paint: (_style, text) => text,
    envs: null,
    dedup: true,
    incomplete: {
      processes: processesIncomplete(capture),
      files: categoryIncomplete(capture, 'files'),
      execFailed: categoryIncomplete(capture, 'exec_failed'),
    },
  });
}
