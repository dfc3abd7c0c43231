// Two runs → the differences between them (DiffReport): the trees aligned
// (align.ts), then each kind of finding by its own module. Pure once both
// runs are loaded; the renderers (render.ts, json.ts) only present it.

import { filterTree, type TreeFilters, type TreeNode } from '../tree/build.ts';
import { type Alignment, alignTrees, NodeText, subtreeNodes, type Unmatched } from './align.ts';
import { type EnvChange, envChanges, type Redact } from './env.ts';
import { type OpenChanges, openChanges } from './files.ts';
import { type ImageChange, imageChanges, type OnlyGroup, onlyGroups } from './images.ts';
import { type NetChanges, netChanges } from './net.ts';
import { type Divergence, type OutcomeChange, outcomeChanges } from './outcome.ts';
import { formatVersion, type Run } from './side.ts';
import { THRESHOLDS, type UsageChange, usageChanges } from './usage.ts';

/** The report's sections, for --only. */
export const SECTIONS = ['failures', 'processes', 'env', 'files', 'net', 'timing'] as const;
export type Section = (typeof SECTIONS)[number];

export interface RunInfo {
  path: string;
  hostname: string;
  kernelRelease: string;
  format: string;
  /** Wall clock ns of the capture start. */
  startNs: bigint;
  /** ns from capture start to stop. */
  durationNs: number;
  processes: number;
  complete: boolean;
  lostRecords: number;
  command: string[];
}

export interface DiffOptions {
  /** Shared with `tree`: --pid, --match, --depth (a finding is kept when its image is kept in either run). */
  filters: TreeFilters;
  /** Sections to compare (all when empty). */
  only: readonly Section[];
  /** How environment values are shown (secrets masked). */
  redact: Redact;
  /** How command lines are shown (secrets masked); the comparisons use them as captured. Default: as captured. */
  redactArgv?: (argv: readonly string[]) => string[];
}

export interface DiffReport {
  a: RunInfo;
  b: RunInfo;
  /** What differs between the captures themselves (hosts, kernels, formats, what was recorded). */
  notes: string[];
  sections: Section[];
  /** Matched images, and images of each run. */
  matched: number;
  /** The earliest outcome change (outcomes[0]) with its ancestry in both runs, or null. */
  firstDivergence: Divergence | null;
  outcomes: OutcomeChange[];
  onlyA: OnlyGroup[];
  onlyB: OnlyGroup[];
  /** Processes in onlyA / onlyB. */
  processesOnlyA: number;
  processesOnlyB: number;
  images: ImageChange[];
  env: EnvChange[];
  /** null: not compared (a run without file opens). */
  files: OpenChanges | null;
  net: NetChanges | null;
  usage: UsageChange[];
  thresholds: typeof THRESHOLDS;
}

function runInfo(r: Run): RunInfo {
  return {
    path: r.capture.path,
    hostname: r.capture.hostname,
    kernelRelease: r.capture.kernelRelease,
    format: formatVersion(r.header),
    startNs: r.capture.startNs,
    durationNs: r.capture.end,
    processes: r.model.processes.length,
    complete: r.capture.complete,
    lostRecords: r.capture.lost,
    command: r.capture.command,
  };
}

const nodeKey = (n: TreeNode): string => `${n.processId}:${n.execSeq ?? -1}`;

/** The images `tree` would show with these filters (null: no filter, every image). */
function keptBy(roots: TreeNode[], f: TreeFilters): Set<string> | null {
  if (f.pid === undefined && f.match === undefined && f.depth === undefined) return null;
  const kept = new Set<string>();
  for (const n of subtreeNodes(filterTree(roots, { pid: f.pid, match: f.match, depth: f.depth }))) kept.add(nodeKey(n));
  return kept;
}

export function compareRuns(a: Run, b: Run, opts: DiffOptions): DiffReport {
  const sections: Section[] = opts.only.length === 0 ? [...SECTIONS] : SECTIONS.filter((s) => opts.only.includes(s));
  const on = (s: Section): boolean => sections.includes(s);
  const text = new NodeText(opts.redactArgv);
  const al: Alignment = alignTrees(a.roots, b.roots, text);

  const keptA = keptBy(a.roots, opts.filters);
  const keptB = keptBy(b.roots, opts.filters);
  const inA = (n: TreeNode): boolean => keptA === null || keptA.has(nodeKey(n));
  const inB = (n: TreeNode): boolean => keptB === null || keptB.has(nodeKey(n));
  // A pair is in scope when either of its images is; an image of one run only, when it is.
  const filtered = keptA !== null || keptB !== null;
  const pairIn = new Set<TreeNode>();
  if (filtered) for (const p of al.pairs) if (inA(p.a) || inB(p.b)) pairIn.add(p.a).add(p.b);
  const scopedA = filtered ? subtreeNodes(a.roots).filter((n) => pairIn.has(n) || inA(n)) : subtreeNodes(a.roots);
  const scopedB = filtered ? subtreeNodes(b.roots).filter((n) => pairIn.has(n) || inB(n)) : subtreeNodes(b.roots);
  const inPair = (na: TreeNode, nb: TreeNode): boolean => !filtered || pairIn.has(na) || pairIn.has(nb);
  const inSide = (n: TreeNode, s: 'A' | 'B'): boolean => !filtered || (s === 'A' ? inA(n) : inB(n)) || pairIn.has(n);

  const notes: string[] = [];
  const ha = a.header;
  const hb = b.header;
  if (ha.hostname !== hb.hostname) notes.push(`different hosts: ${ha.hostname} (A), ${hb.hostname} (B)`);
  if (ha.kernelRelease !== hb.kernelRelease)
    notes.push(`different kernels: ${ha.kernelRelease} (A), ${hb.kernelRelease} (B)`);
  if (formatVersion(ha) !== formatVersion(hb))
    notes.push(`different format versions: ${formatVersion(ha)} (A), ${formatVersion(hb)} (B)`);
  const both = (what: string, x: boolean, y: boolean): boolean => {
    if (x && y) return true;
    if (x || y) notes.push(`${what} recorded in ${x ? 'A' : 'B'} only: not compared`);
    return false;
  };
  const envBoth = on('env') && both('environments', ha.options.env, hb.options.env);
  const filesBoth = on('files') && both('file opens', ha.options.files, hb.options.files);
  const netBoth =
    on('net') &&
    both('TCP connections', ha.options.net, hb.options.net) &&
    both('name lookups', ha.options.dns || ha.options.dnsMessages, hb.options.dns || hb.options.dnsMessages);
  for (const [r, label] of [
    [a, 'A'],
    [b, 'B'],
  ] as const) {
    if (r.capture.lost > 0) notes.push(`${label} lost ${r.capture.lost} records: it may lack what the other has`);
    if (!r.capture.complete) notes.push(`${label} has no footer (the capture did not end cleanly)`);
  }

  const unmatchedNodes = (list: readonly Unmatched[]): TreeNode[] => subtreeNodes(list.map((u) => u.node));
  const outcomes = on('failures') ? outcomeChanges(al, inSide, text, unmatchedNodes) : { changes: [], first: null };
  const onlyA = on('processes') ? onlyGroups(al.onlyA, 'A', inA, text) : [];
  const onlyB = on('processes') ? onlyGroups(al.onlyB, 'B', inB, text) : [];
  return {
    a: runInfo(a),
    b: runInfo(b),
    notes,
    sections,
    matched: al.pairs.length,
    firstDivergence: outcomes.first,
    outcomes: outcomes.changes,
    onlyA,
    onlyB,
    processesOnlyA: onlyA.reduce((s, g) => s + g.processes, 0),
    processesOnlyB: onlyB.reduce((s, g) => s + g.processes, 0),
    images: on('processes') ? imageChanges(al, a, b, inPair, text) : [],
    env: envBoth ? envChanges(al, a, b, inPair, text, opts.redact) : [],
    files: filesBoth ? openChanges(scopedA, scopedB, text) : null,
    net: netBoth ? netChanges(scopedA, scopedB, text) : null,
    usage: on('timing') ? usageChanges(scopedA, scopedB) : [],
    thresholds: THRESHOLDS,
  };
}

/** Whether the report holds any difference (notes about the captures themselves are not differences). */
export function hasDifferences(r: DiffReport): boolean {
  return (
    r.outcomes.length > 0 ||
    r.onlyA.length > 0 ||
    r.onlyB.length > 0 ||
    r.images.length > 0 ||
    r.env.length > 0 ||
    (r.files !== null && (r.files.newFailures.length > 0 || r.files.fixed.length > 0)) ||
    (r.net !== null &&
      (r.net.newFailedConnects.length > 0 ||
        r.net.fixedConnects.length > 0 ||
        r.net.lookups.length > 0 ||
        r.net.peersOnlyA.length > 0 ||
        r.net.peersOnlyB.length > 0)) ||
    r.usage.length > 0
  );
}
