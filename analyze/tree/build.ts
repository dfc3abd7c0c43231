// The process tree of a replay: one node per exec'd image, nested under the
// image that forked it; filters; --dedup grouping. Pure: rows in, nodes out.

import { UserError } from '../../formats/errors.ts';
import { decodeStrings } from '../../formats/nul-area.ts';
import { basename, ELLIPSIS } from '../format.ts';
import type { CaptureInfo } from '../replay/capture-info.ts';
import {
  type ConnectionRow,
  type DnsLookupRow,
  type DnsQueryRow,
  type ExecFailureRow,
  type ExecRow,
  type OpenRow,
  type ProcessRow,
  processFailed,
  type ResourceRow,
} from '../replay/model.ts';
import { queryOutcome } from '../replay/net.ts';

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
  /** The exec row's id (exec nodes only). */
  execId: number | null;
  /** ns since capture start. */
  start: number;
  /** ns since capture start; null while running at the end or without an exit record. */
  end: number | null;
  /** Capture end, for the duration of nodes that did not end. */
  captureEnd: number;
  /** Exact argv bytes (the model's); argvOf() decodes them: strings are not kept for 100,000s of nodes. */
  argvBlob: Buffer;
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
  /** Failed exec attempts of this image's process while it was current (times: wall clock ns). */
  failedExecs: readonly ExecFailureRow[];
  /** File opens of this image's process while it was current, in time order (empty unless the input had opens). */
  opens: readonly OpenRow[];
  /** Resource usage of the process, on its last image only; null when not recorded (or not the last image). */
  resources: ResourceRow | null;
  /** TCP connections of this image's process that started while it was current, in start order (empty unless --net). */
  connections: readonly ConnectionRow[];
  /** Name lookups of this image's process made while it was current, in time order (empty unless --net). */
  lookups: readonly DnsLookupRow[];
  /** DNS queries on the wire sent while this image was current, in time order (empty unless --net). */
  queries: readonly DnsQueryRow[];
  children: TreeNode[];
  /** Descendants removed by --depth. */
  hidden: number;
  /**
   * On a process's first node: `attached` (running when the capture attached:
   * not seen starting), and where it enters another container or namespaces
   * than its parent's (`container docker 3f4e1c0a9b8d`, `pid+mnt ns`).
   */
  marks: readonly string[];
  /** Memo for --dedup: shape id (0: not computed yet). Copies made by filterTree reset it. */
  shapeId: number;
  /** Memo for --dedup: a failure in this subtree (-1: not computed yet, 0 no, 1 yes). */
  failedBelow: number;
}

const NO_ARGV = Buffer.alloc(0);

/** The node's argv as strings (decoded on each call). */
export function argvOf(n: Pick<TreeNode, 'argvBlob'>): string[] {
  return decodeStrings(n.argvBlob);
}

export function nodeDuration(n: TreeNode): number {
  return (n.end ?? n.captureEnd) - n.start;
}

const byStart = (a: TreeNode, b: TreeNode): number =>
  a.start - b.start || a.pid - b.pid || a.processId - b.processId || (a.execSeq ?? -1) - (b.execSeq ?? -1);

/** What the tree is built from: the model's rows and the capture's start and end. */
export interface TreeInput {
  capture: Pick<CaptureInfo, 'startNs' | 'end'>;
  processes: readonly ProcessRow[];
  execs: readonly ExecRow[];
  execFailures: readonly ExecFailureRow[];
  /** File opens (for --files). */
  opens?: readonly OpenRow[];
  /** Resource usage rows (for --resources). */
  resources?: readonly ResourceRow[];
  /** TCP connections (for --net). */
  connections?: readonly ConnectionRow[];
  /** Name lookups (for --net). */
  lookups?: readonly DnsLookupRow[];
  /** DNS queries on the wire (for --net). */
  queries?: readonly DnsQueryRow[];
}

const NO_OPENS: readonly OpenRow[] = Object.freeze([]);
const NO_MARKS: readonly string[] = Object.freeze([]);
const NAMESPACES = [
  ['pid', 'pidNs'],
  ['mnt', 'mntNs'],
  ['net', 'netNs'],
  ['uts', 'utsNs'],
] as const;

/**
 * What the tree says where a process starts: `attached` for one the capture
 * attached to, and the container or namespaces it enters: a container other
 * than its parent's (or, for a root, the one it is in), else the namespaces
 * that differ from its parent's. Both sides must be recorded to differ.
 */
export function placeMarks(
  p: Pick<ProcessRow, 'attached' | 'containerId' | 'containerRuntime' | 'pidNs' | 'mntNs' | 'netNs' | 'utsNs'>,
  parent: Pick<ProcessRow, 'containerId' | 'pidNs' | 'mntNs' | 'netNs' | 'utsNs'> | undefined,
): string[] {
  const marks: string[] = [];
  if (p.attached !== null) marks.push(p.attached === 'running' ? 'attached' : p.attached);
  if (p.containerId !== null && p.containerId !== parent?.containerId) {
    marks.push(`container ${p.containerRuntime ?? '?'} ${p.containerId.slice(0, 12)}`);
  } else if (parent !== undefined) {
    const changed = NAMESPACES.filter(([, k]) => p[k] !== null && parent[k] !== null && p[k] !== parent[k]).map(
      ([name]) => name,
    );
    if (changed.length > 0) marks.push(`${changed.join('+')} ns`);
  }
  return marks;
}
const NO_FAILURES: readonly ExecFailureRow[] = Object.freeze([]);
const NO_CONNECTIONS: readonly ConnectionRow[] = Object.freeze([]);
const NO_LOOKUPS: readonly DnsLookupRow[] = Object.freeze([]);
const NO_QUERIES: readonly DnsQueryRow[] = Object.freeze([]);

/** The row lists of a node, filled by buildTree from the rows of its process. */
type RowList = 'failedExecs' | 'opens' | 'connections' | 'lookups' | 'queries';
const EXIT_OK: ExitInfo = Object.freeze({
  state: 'exited',
  exitCode: 0,
  signal: null,
  signalName: null,
  coreDumped: false,
});
const REPLACED: ExitInfo = Object.freeze({
  state: 'exited',
  exitCode: null,
  signal: null,
  signalName: null,
  coreDumped: false,
});

/** Builds the image tree. Roots: processes whose parent is outside the capture. */
export function buildTree(r: TreeInput): TreeNode[] {
  const captureEnd = r.capture.end;
  const t0 = r.capture.startNs;
  const rel = (ns: bigint): number => Number(ns - t0);
  // Process ids are dense from 1: arrays instead of maps.
  const n = r.processes.length;
  const execsOf: (ExecRow[] | undefined)[] = new Array(n + 1);
  for (const x of r.execs) (execsOf[x.processId] ??= []).push(x);
  const nodesOf: TreeNode[][] = new Array(n + 1);
  const known = new Uint8Array(n + 1);
  const usage: (ResourceRow | undefined)[] = new Array(n + 1);
  for (const u of r.resources ?? []) usage[u.processId] = u;
  for (const p of r.processes) {
    known[p.id] = 1;
    const execs = execsOf[p.id];
    if (execs !== undefined && execs.length > 1) execs.sort((a, b) => a.seq - b.seq);
    const exit: ExitInfo =
      p.state === 'exited' && p.exitCode === 0 && p.signal === null
        ? EXIT_OK
        : {
            state: p.state,
            exitCode: p.exitCode,
            signal: p.signal,
            signalName: p.signalName,
            coreDumped: p.coreDumped,
          };
    const failed = processFailed(p);
    const end = p.end === null ? null : rel(p.end);
    if (execs === undefined) {
      nodesOf[p.id] = [
        {
          kind: p.parentId === null ? 'process' : 'fork',
          processId: p.id,
          pid: p.pid,
          execSeq: null,
          execId: null,
          start: rel(p.start),
          end,
          captureEnd,
          argvBlob: NO_ARGV,
          exe: '',
          cwd: null,
          envId: null,
          argvTruncated: false,
          forkOf: null,
          replaced: false,
          exit,
          failed,
          failedExecs: NO_FAILURES,
          opens: NO_OPENS,
          resources: usage[p.id] ?? null,
          connections: NO_CONNECTIONS,
          lookups: NO_LOOKUPS,
          queries: NO_QUERIES,
          children: [],
          hidden: 0,
          marks: NO_MARKS,
          shapeId: 0,
          failedBelow: -1,
        },
      ];
      continue;
    }
    const nodes: TreeNode[] = new Array(execs.length);
    let next: number | null = end;
    for (let i = execs.length - 1; i >= 0; i--) {
      const x = execs[i]!;
      const last = i === execs.length - 1;
      const start = rel(x.time);
      nodes[i] = {
        kind: 'exec',
        processId: p.id,
        pid: p.pid,
        execSeq: x.seq,
        execId: x.id,
        start,
        end: next,
        captureEnd,
        argvBlob: x.argv,
        exe: x.exe,
        cwd: x.cwd,
        envId: x.envId,
        argvTruncated: x.argvTruncated,
        forkOf: null,
        replaced: !last,
        exit: last ? exit : REPLACED,
        failed: last && failed,
        failedExecs: NO_FAILURES,
        opens: NO_OPENS,
        resources: last ? (usage[p.id] ?? null) : null,
        connections: NO_CONNECTIONS,
        lookups: NO_LOOKUPS,
        queries: NO_QUERIES,
        children: [],
        hidden: 0,
        marks: NO_MARKS,
        shapeId: 0,
        failedBelow: -1,
      };
      next = start;
    }
    for (let i = 1; i < nodes.length; i++) nodes[i - 1]!.children.push(nodes[i]!);
    nodesOf[p.id] = nodes;
  }

  // The node of a process current at time t: the last image exec'd at or before t, else the first.
  const nodeAt = (processId: number, t: number): TreeNode => {
    const nodes = nodesOf[processId]!;
    let found = nodes[0]!;
    for (let i = 1; i < nodes.length; i++) if (nodes[i]!.start <= t) found = nodes[i]!;
    return found;
  };

  const roots: TreeNode[] = [];
  const rowOf: (ProcessRow | undefined)[] = new Array(n + 1);
  for (const p of r.processes) rowOf[p.id] = p;
  for (const p of r.processes) {
    const first = nodesOf[p.id]![0]!;
    const parentRow = p.parentId === null || known[p.parentId] !== 1 ? undefined : rowOf[p.parentId];
    const marks = placeMarks(p, parentRow);
    if (marks.length > 0) first.marks = marks;
    if (parentRow === undefined) {
      roots.push(first);
      continue;
    }
    const parent = nodeAt(parentRow.id, rel(p.start));
    parent.children.push(first);
    if (first.kind === 'fork') first.forkOf = imageName(parent);
  }
  /** Hangs each row on the node of its process that was current at the row's time. */
  const hang = <K extends RowList>(
    key: K,
    rows: readonly TreeNode[K][number][],
    timeOf: (row: TreeNode[K][number]) => bigint,
  ): void => {
    for (const row of rows) {
      if (known[row.processId] !== 1) continue;
      const node = nodeAt(row.processId, rel(timeOf(row)));
      // The shared empty list stays on every node without rows; a node's first row gets it a list of its own.
      if (node[key].length === 0) node[key] = [] as unknown[] as TreeNode[K];
      (node[key] as (typeof row)[]).push(row);
    }
  };
  hang('failedExecs', r.execFailures, (f) => f.time);
  hang('opens', r.opens ?? NO_OPENS, (o) => o.time);
  hang('connections', r.connections ?? NO_CONNECTIONS, (c) => c.start);
  hang('lookups', r.lookups ?? NO_LOOKUPS, (l) => l.time);
  hang('queries', r.queries ?? NO_QUERIES, (q) => q.time);
  // Children in (start, pid) order; fork labels not set yet (a fork of a fork seen first) become '?'.
  const stack: TreeNode[][] = [roots];
  while (stack.length > 0) {
    const list = stack.pop()!;
    if (list.length > 1) list.sort(byStart);
    for (const c of list) {
      if (c.kind === 'fork' && c.forkOf === null) c.forkOf = '?';
      if (c.children.length > 0) stack.push(c.children);
    }
  }
  return roots;
}

/** The name of the image a node runs: argv[0]'s basename, else the exe's, else the fork's source. */
export function imageName(n: TreeNode): string {
  if (n.kind === 'exec') return basename(argvOf(n)[0] ?? n.exe) || basename(n.exe);
  if (n.kind === 'fork') return n.forkOf ?? '?';
  return `pid ${n.pid}`;
}

/** The text that --match looks at: the full command line (arguments joined by spaces) and the exe path. */
export function matchText(n: TreeNode): string {
  if (n.kind === 'exec') return `${argvOf(n).join(' ')}\n${n.exe}`;
  return `(fork of ${n.forkOf ?? '?'})`;
}

export interface TreeFilters {
  pid?: number;
  match?: RegExp;
  failed?: boolean;
  depth?: number;
  /** ns */
  minDuration?: number;
  /** --critical: the process ids on the critical path. */
  critical?: ReadonlySet<number>;
}

/** The regex of --match (tree, diff); a bad one is the user's error. */
export function matchRegex(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new UserError(`bad --match regex: ${(err as Error).message}`);
  }
}

export function hasSelection(f: TreeFilters): boolean {
  return f.pid !== undefined || f.match !== undefined || f.failed === true || f.critical !== undefined;
}

/**
 * Applies the filters, returning new nodes (the input is not changed).
 * --pid, --match, --failed, --critical select nodes (all must hold: within the subtree of
 * a process with that pid, matching, failed: with --net a failed connect,
 * lookup or DNS query counts too, on the critical path); selected nodes are kept with
 * their ancestors. --min-duration then drops shorter nodes that keep nothing
 * below them, but never a failed one; --depth cuts deeper levels, counting
 * what it hides.
 */
export function filterTree(roots: TreeNode[], f: TreeFilters): TreeNode[] {
  const select = hasSelection(f);
  if (!select && f.minDuration === undefined && f.depth === undefined) return roots;
  const keep = (n: TreeNode, underPid: boolean, kids: TreeNode[]): TreeNode | null => {
    let hit = true;
    if (select) {
      if (f.pid !== undefined && !underPid) hit = false;
      if (f.match !== undefined && !f.match.test(matchText(n))) hit = false;
      if (f.failed === true && !n.failed && !netFailed(n)) hit = false;
      if (f.critical !== undefined && !f.critical.has(n.processId)) hit = false;
    }
    if (f.minDuration !== undefined && nodeDuration(n) < f.minDuration && !n.failed) hit = false;
    if (!hit && kids.length === 0) return null;
    return { ...n, children: kids, shapeId: 0, failedBelow: -1 };
  };
  // Post-order without recursion (trees can be 100,000s of levels deep): a frame collects its kept children.
  interface Frame {
    node: TreeNode;
    underPid: boolean;
    next: number;
    kids: TreeNode[];
    out: TreeNode[];
  }
  let out: TreeNode[] = [];
  const stack: Frame[] = [];
  for (const r of roots) {
    stack.push({ node: r, underPid: f.pid !== undefined && r.pid === f.pid, next: 0, kids: [], out });
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.node.children.length) {
        const c = top.node.children[top.next++]!;
        stack.push({
          node: c,
          underPid: top.underPid || (f.pid !== undefined && c.pid === f.pid),
          next: 0,
          kids: [],
          out: top.kids,
        });
        continue;
      }
      stack.pop();
      const k = keep(top.node, top.underPid, top.kids);
      if (k !== null) top.out.push(k);
    }
  }
  if (f.depth !== undefined) out = cutDepth(out, f.depth);
  return out;
}

/** A failed connect, name lookup or DNS query under the node (only attached with --net). */
function netFailed(n: TreeNode): boolean {
  return (
    n.connections.some((c) => c.state === 'failed') ||
    n.lookups.some((l) => l.result !== 0) ||
    n.queries.some((q) => queryOutcome(q) !== null)
  );
}

function countNodes(nodes: readonly TreeNode[]): number {
  let n = 0;
  const stack: (readonly TreeNode[])[] = [nodes];
  while (stack.length > 0) {
    const list = stack.pop()!;
    n += list.length;
    for (const c of list) if (c.children.length > 0) stack.push(c.children);
  }
  return n;
}

/** Copies of the nodes down to level `max`; the nodes there keep no children, counting them as hidden. */
function cutDepth(roots: readonly TreeNode[], max: number): TreeNode[] {
  const copy = (n: TreeNode, level: number): TreeNode =>
    level >= max
      ? { ...n, children: [], hidden: n.hidden + countNodes(n.children), shapeId: 0, failedBelow: -1 }
      : { ...n, children: [], shapeId: 0, failedBelow: -1 };
  const out = roots.map((n) => copy(n, 0));
  const stack: { source: TreeNode; copy: TreeNode; level: number }[] = roots.map((n, i) => ({
    source: n,
    copy: out[i]!,
    level: 0,
  }));
  while (stack.length > 0) {
    const { source, copy: c, level } = stack.pop()!;
    if (level >= max) continue;
    for (const child of source.children) {
      const k = copy(child, level + 1);
      c.children.push(k);
      stack.push({ source: child, copy: k, level: level + 1 });
    }
  }
  return out;
}

/** The nodes of the subtree of `root` that are not `done` (nor below a done one), children before their parent. */
function postOrder(root: TreeNode, done: (n: TreeNode) => boolean): TreeNode[] {
  const pre: TreeNode[] = [];
  const stack: TreeNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (done(n)) continue;
    pre.push(n);
    for (const c of n.children) stack.push(c);
  }
  return pre.reverse();
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
export function subtreeFailed(n: TreeNode): boolean {
  if (n.failedBelow === -1) {
    for (const m of postOrder(n, (x) => x.failedBelow !== -1)) {
      let v = m.failed;
      for (const c of m.children) if (c.failedBelow === 1) v = true;
      m.failedBelow = v ? 1 : 0;
    }
  }
  return n.failedBelow === 1;
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
        return eq > 0 ? `${a.slice(0, eq + 1)}\u0001` : a;
      }
      return '\u0001';
    })
    .join('\u0000');
}

/** Shape ids of the process: nodes cache theirs (shapeId), so the ids must not depend on a table instance. */
const SHAPE_IDS = new Map<string, number>();

/** A node's argv as strings: argvOf, or a caller's copy of the same strings decoded once. */
export type ArgvOf = (n: TreeNode) => string[];

/** Interns subtree shapes: same id ⇔ same label shape, marks and multiset of child shapes. */
export class ShapeTable {
  private readonly ids = SHAPE_IDS;
  private readonly argv: ArgvOf;

  constructor(argv: ArgvOf = argvOf) {
    this.argv = argv;
  }

  shape(n: TreeNode): number {
    if (n.shapeId !== 0) return n.shapeId;
    // Children first, without recursion; each node's own id then only reads its children's.
    for (const m of postOrder(n, (x) => x.shapeId !== 0)) this.own(m);
    return n.shapeId;
  }

  private own(n: TreeNode): void {
    let id: number | undefined;
    const label =
      n.kind === 'exec'
        ? `x${n.execSeq === 0 ? 'f' : 's'}\u0002${n.exe}\u0002${argvShape(this.argv(n))}`
        : n.kind === 'fork'
          ? `f\u0002${n.forkOf ?? ''}`
          : 'p';
    const kids = n.children.map((c) => c.shapeId).sort((a, b) => a - b);
    // Marks (attached, a container entered) are part of the shape: a group's members all have the same.
    const marks = n.marks.length > 0 ? JSON.stringify(n.marks) : '';
    const key = `${label}\u0003${kids.join(',')}\u0003${n.hidden > 0 ? 'h' : ''}\u0003${marks}`;
    id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(key, id);
    }
    n.shapeId = id;
  }
}

/** The argv pattern of a group: equal arguments as they are, differing ones as null (or `--opt=…`). */
export function groupPattern(members: readonly TreeNode[], argv: ArgvOf = argvOf): (string | null)[] {
  const first = argv(members[0]!);
  const varies = new Uint8Array(first.length);
  for (let k = 1; k < members.length; k++) {
    const other = argv(members[k]!);
    for (let i = 0; i < first.length; i++) if (varies[i] === 0 && other[i] !== first[i]) varies[i] = 1;
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
 * `argv`: where the nodes' argv strings come from (argvOf decodes them).
 */
export function dedupTree(roots: TreeNode[], argv: ArgvOf = argvOf): DisplayItem[] {
  const shapes = new ShapeTable(argv);
  // Levels are grouped without recursion: each item's children are filled from this work list.
  const work: { nodes: readonly TreeNode[]; into: DisplayItem[] }[] = [];
  const pending = (nodes: readonly TreeNode[]): DisplayItem[] => {
    const into: DisplayItem[] = [];
    if (nodes.length > 0) work.push({ nodes, into });
    return into;
  };
  const siblings = (nodes: readonly TreeNode[]): DisplayItem[] => {
    const buckets = new Map<number, TreeNode[]>();
    const order: (TreeNode | number)[] = [];
    for (const n of [...nodes].sort(byStart)) {
      if (subtreeFailed(n)) {
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
        out.push({ type: 'node', node: o, children: pending(o.children) });
        continue;
      }
      const members = buckets.get(o)!;
      if (members.length === 1) {
        out.push({ type: 'node', node: members[0]!, children: pending(members[0]!.children) });
      } else {
        out.push({
          type: 'group',
          members,
          pattern: groupPattern(members, argv),
          children: pending(members.flatMap((m) => m.children)),
        });
      }
    }
    return out;
  };
  const top = siblings(roots);
  while (work.length > 0) {
    const { nodes, into } = work.pop()!;
    for (const item of siblings(nodes)) into.push(item);
  }
  return top;
}

/** Plain items (no grouping), for the tree without --dedup. */
export function plainItems(roots: readonly TreeNode[]): DisplayItem[] {
  const item = (n: TreeNode): DisplayItem => ({ type: 'node', node: n, children: [] });
  const top = roots.map(item);
  const stack = top.slice();
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (i.type !== 'node') continue;
    for (const c of i.node.children) {
      const k = item(c);
      i.children.push(k);
      stack.push(k);
    }
  }
  return top;
}
