// The process tree of a replay: one node per exec'd image, nested under the
// image that forked it; filters; --dedup grouping. Pure: rows in, nodes out.

import { basename, ELLIPSIS } from './format.ts';
import type { ExecFailureInfo, ProcInfo, Replay } from './replay.ts';

export type NodeKind = 'exec' | 'fork' | 'process';

export interface ExitInfo {
  state: 'exited' | 'running' | 'unknown';
  exitCode: number | null;
  signal: number | null;
  signalName: string | null;
  coreDumped: boolean;
}

export interface TreeNode {
  /** exec: an exec'd image; fork: a process that forked without exec; process: a process seen without fork or exec. */
  kind: NodeKind;
  processId: number;
  pid: number;
  /** Position among the process's execs (exec nodes only). */
  execSeq: number | null;
  /** ns since capture start. */
  start: number;
  /** ns since capture start; null while running at the end or without an exit record. */
  end: number | null;
  /** Capture end, for the duration of nodes that did not end. */
  captureEnd: number;
  argv: string[];
  exe: string;
  cwd: string | null;
  envId: number | null;
  argvTruncated: boolean;
  /** For fork nodes: the image that forked it (argv[0] basename). */
  forkOf: string | null;
  /** Image replaced by a later exec of the same process: no exit of its own. */
  replaced: boolean;
  exit: ExitInfo;
  /** This node is where its process ended with a non-zero exit or a signal. */
  failed: boolean;
  failedExecs: ExecFailureInfo[];
  children: TreeNode[];
  /** Descendants removed by --depth. */
  hidden: number;
}

export function nodeDuration(n: TreeNode): number {
  return (n.end ?? n.captureEnd) - n.start;
}

/** Processes with a non-zero exit code or killed by a signal. */
export function processFailed(p: Pick<ProcInfo, 'state' | 'exitCode' | 'signal'>): boolean {
  return p.state === 'exited' && (p.signal !== null || (p.exitCode !== null && p.exitCode !== 0));
}

const byStart = (a: TreeNode, b: TreeNode): number =>
  a.start - b.start || a.pid - b.pid || a.processId - b.processId || (a.execSeq ?? -1) - (b.execSeq ?? -1);

/** Builds the image tree. Roots: processes whose parent is outside the capture. */
export function buildTree(r: Replay): TreeNode[] {
  const captureEnd = r.capture.end;
  const execsByProc = new Map<number, Replay['execs']>();
  for (const x of r.execs) {
    let l = execsByProc.get(x.processId);
    if (l === undefined) execsByProc.set(x.processId, (l = []));
    l.push(x);
  }
  const nodesByProc = new Map<number, TreeNode[]>();
  const procById = new Map<number, ProcInfo>();
  for (const p of r.processes) {
    procById.set(p.id, p);
    const execs = (execsByProc.get(p.id) ?? []).sort((a, b) => a.seq - b.seq);
    const exit: ExitInfo = {
      state: p.state,
      exitCode: p.exitCode,
      signal: p.signal,
      signalName: p.signalName,
      coreDumped: p.coreDumped,
    };
    const failed = processFailed(p);
    const replacedExit: ExitInfo = { state: 'exited', exitCode: null, signal: null, signalName: null, coreDumped: false };
    const nodes: TreeNode[] = [];
    if (execs.length === 0) {
      nodes.push({
        kind: p.parentId === null ? 'process' : 'fork',
        processId: p.id,
        pid: p.pid,
        execSeq: null,
        start: p.start,
        end: p.end,
        captureEnd,
        argv: [],
        exe: '',
        cwd: null,
        envId: null,
        argvTruncated: false,
        forkOf: null,
        replaced: false,
        exit,
        failed,
        failedExecs: [],
        children: [],
        hidden: 0,
      });
    } else {
      execs.forEach((x, i) => {
        const last = i === execs.length - 1;
        nodes.push({
          kind: 'exec',
          processId: p.id,
          pid: p.pid,
          execSeq: x.seq,
          start: x.time,
          end: last ? p.end : execs[i + 1]!.time,
          captureEnd,
          argv: x.argv,
          exe: x.exe,
          cwd: x.cwd,
          envId: x.envId,
          argvTruncated: x.argvTruncated,
          forkOf: null,
          replaced: !last,
          exit: last ? exit : replacedExit,
          failed: last && failed,
          failedExecs: [],
          children: [],
          hidden: 0,
        });
      });
      for (let i = 1; i < nodes.length; i++) nodes[i - 1]!.children.push(nodes[i]!);
    }
    nodesByProc.set(p.id, nodes);
  }

  // The node of a process current at time t: the last image exec'd at or before t, else the first.
  const nodeAt = (processId: number, t: number): TreeNode => {
    const nodes = nodesByProc.get(processId)!;
    let n = nodes[0]!;
    for (const c of nodes) if (c.kind === 'exec' && c.start <= t) n = c;
    return n;
  };

  const roots: TreeNode[] = [];
  for (const p of r.processes) {
    const first = nodesByProc.get(p.id)![0]!;
    if (p.parentId === null || !procById.has(p.parentId)) {
      roots.push(first);
      continue;
    }
    const parent = nodeAt(p.parentId, p.start);
    parent.children.push(first);
    if (first.kind === 'fork') first.forkOf = imageName(parent);
  }
  for (const f of r.execFailures) {
    if (nodesByProc.has(f.processId)) nodeAt(f.processId, f.time).failedExecs.push(f);
  }
  // Fork labels of forks of forks: the nearest exec'd ancestor.
  const sortRec = (nodes: TreeNode[]): void => {
    nodes.sort(byStart);
    for (const n of nodes) {
      if (n.kind === 'fork' && n.forkOf === null) n.forkOf = '?';
      sortRec(n.children);
    }
  };
  sortRec(roots);
  return roots;
}

/** The name of the image a node runs: argv[0]'s basename, else the exe's, else the fork's source. */
export function imageName(n: TreeNode): string {
  if (n.kind === 'exec') return basename(n.argv[0] ?? n.exe) || basename(n.exe);
  if (n.kind === 'fork') return n.forkOf ?? '?';
  return `pid ${n.pid}`;
}

/** The text that --match looks at: the full command line (arguments joined by spaces) and the exe path. */
export function matchText(n: TreeNode): string {
  if (n.kind === 'exec') return `${n.argv.join(' ')}\n${n.exe}`;
  return `(fork of ${n.forkOf ?? '?'})`;
}

export interface TreeFilters {
  pid?: number;
  match?: RegExp;
  failed?: boolean;
  depth?: number;
  /** ns */
  minDuration?: number;
}

export function hasSelection(f: TreeFilters): boolean {
  return f.pid !== undefined || f.match !== undefined || f.failed === true;
}

/**
 * Applies the filters, returning new nodes (the input is not changed).
 * --pid, --match, --failed select nodes (all must hold: within the subtree of
 * a process with that pid, matching, failed); selected nodes are kept with
 * their ancestors. --min-duration then drops shorter nodes that keep nothing
 * below them, but never a failed one; --depth cuts deeper levels, counting
 * what it hides.
 */
export function filterTree(roots: TreeNode[], f: TreeFilters): TreeNode[] {
  const select = hasSelection(f);
  if (!select && f.minDuration === undefined && f.depth === undefined) return roots;
  const walk = (n: TreeNode, inPid: boolean): TreeNode | null => {
    const underPid = inPid || (f.pid !== undefined && n.pid === f.pid);
    const kids: TreeNode[] = [];
    for (const c of n.children) {
      const k = walk(c, underPid);
      if (k !== null) kids.push(k);
    }
    let hit = true;
    if (select) {
      if (f.pid !== undefined && !underPid) hit = false;
      if (f.match !== undefined && !f.match.test(matchText(n))) hit = false;
      if (f.failed === true && !n.failed) hit = false;
    }
    if (f.minDuration !== undefined && nodeDuration(n) < f.minDuration && !n.failed) hit = false;
    if (!hit && kids.length === 0) return null;
    return { ...n, children: kids };
  };
  let out: TreeNode[] = [];
  for (const r of roots) {
    const k = walk(r, false);
    if (k !== null) out.push(k);
  }
  if (f.depth !== undefined) out = cutDepth(out, f.depth, 0);
  return out;
}

function countNodes(nodes: TreeNode[]): number {
  let n = 0;
  for (const c of nodes) n += 1 + countNodes(c.children);
  return n;
}

function cutDepth(nodes: TreeNode[], max: number, level: number): TreeNode[] {
  return nodes.map((n) =>
    level >= max
      ? { ...n, children: [], hidden: n.hidden + countNodes(n.children) }
      : { ...n, children: cutDepth(n.children, max, level + 1) },
  );
}

// ---------------------------------------------------------------- --dedup

/** A display item: one node, or a collapsed group of sibling subtrees of the same shape. */
export type DisplayItem = { type: 'node'; node: TreeNode; children: DisplayItem[] } | GroupItem;

export interface GroupItem {
  type: 'group';
  /** Members in start order; never a member whose subtree holds a failure. */
  members: TreeNode[];
  /** argv with the arguments that differ between members as null (or `--opt=…`). */
  pattern: (string | null)[];
  children: DisplayItem[];
}

/** Whether a node or anything below it failed. */
export function subtreeFailed(n: TreeNode, memo = new Map<TreeNode, boolean>()): boolean {
  let v = memo.get(n);
  if (v === undefined) {
    v = n.failed;
    for (const c of n.children) if (subtreeFailed(c, memo)) v = true;
    memo.set(n, v);
  }
  return v;
}

/**
 * The shape of an argument list: argv[0] and options (arguments starting
 * with `-`; `--name=value` up to the `=`) must be equal, operands may differ.
 */
export function argvShape(argv: readonly string[]): string {
  return argv
    .map((a, i) => {
      if (i === 0) return a;
      if (a.startsWith('-') && a.length > 1) {
        const eq = a.indexOf('=');
        return eq > 0 ? a.slice(0, eq + 1) + '\u0001' : a;
      }
      return '\u0001';
    })
    .join('\u0000');
}

/** Interns subtree shapes: same id ⇔ same label shape and same multiset of child shapes. */
export class ShapeTable {
  private readonly ids = new Map<string, number>();
  private readonly memo = new Map<TreeNode, number>();

  shape(n: TreeNode): number {
    let id = this.memo.get(n);
    if (id !== undefined) return id;
    const label =
      n.kind === 'exec'
        ? `x${n.execSeq === 0 ? 'f' : 's'}\u0002${n.exe}\u0002${argvShape(n.argv)}`
        : n.kind === 'fork'
          ? `f\u0002${n.forkOf ?? ''}`
          : 'p';
    const kids = n.children.map((c) => this.shape(c)).sort((a, b) => a - b);
    const key = `${label}\u0003${kids.join(',')}\u0003${n.hidden > 0 ? 'h' : ''}`;
    id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(key, id);
    }
    this.memo.set(n, id);
    return id;
  }
}

/** The argv pattern of a group: equal arguments as they are, differing ones as null (or `--opt=…`). */
export function groupPattern(members: readonly TreeNode[]): (string | null)[] {
  const first = members[0]!.argv;
  const varies = new Uint8Array(first.length);
  for (let k = 1; k < members.length; k++) {
    const argv = members[k]!.argv;
    for (let i = 0; i < first.length; i++) if (varies[i] === 0 && argv[i] !== first[i]) varies[i] = 1;
  }
  return first.map((a, i) => {
    if (varies[i] === 0) return a;
    const eq = a.indexOf('=');
    return a.startsWith('-') && eq > 0 ? a.slice(0, eq + 1) + ELLIPSIS : null;
  });
}

/**
 * Collapses repeated sibling subtrees of the same shape into groups (2 or
 * more members). Members whose subtree holds a failure are never grouped:
 * they stay individual items, and their own children are deduplicated.
 */
export function dedupTree(roots: TreeNode[]): DisplayItem[] {
  const shapes = new ShapeTable();
  const failedMemo = new Map<TreeNode, boolean>();
  const siblings = (nodes: readonly TreeNode[]): DisplayItem[] => {
    const buckets = new Map<number, TreeNode[]>();
    const order: (TreeNode | number)[] = [];
    for (const n of [...nodes].sort(byStart)) {
      if (subtreeFailed(n, failedMemo)) {
        order.push(n);
        continue;
      }
      const s = shapes.shape(n);
      let b = buckets.get(s);
      if (b === undefined) {
        buckets.set(s, (b = []));
        order.push(s);
      }
      b.push(n);
    }
    const out: DisplayItem[] = [];
    for (const o of order) {
      if (typeof o !== 'number') {
        out.push({ type: 'node', node: o, children: siblings(o.children) });
        continue;
      }
      const members = buckets.get(o)!;
      if (members.length === 1) {
        out.push({ type: 'node', node: members[0]!, children: siblings(members[0]!.children) });
      } else {
        out.push({
          type: 'group',
          members,
          pattern: groupPattern(members),
          children: siblings(members.flatMap((m) => m.children)),
        });
      }
    }
    return out;
  };
  return siblings(roots);
}

/** Plain items (no grouping), for the tree without --dedup. */
export function plainItems(roots: readonly TreeNode[]): DisplayItem[] {
  return roots.map((n) => ({ type: 'node', node: n, children: plainItems(n.children) }));
}
