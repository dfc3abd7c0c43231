// The terminal tree: display items → text lines (one per process, group,
// connection, lookup, open…). Pure; every string goes through terminalText.

import { commandLine, ELLIPSIS, formatDuration, formatKib, type Paint, statusText, terminalText } from '../format.ts';
import { openFlagsShort } from '../replay/files.ts';
import type {
  ConnectionRow,
  DnsLookupRow,
  DnsQueryRow,
  ExecFailureRow,
  OpenRow,
  ResourceRow,
} from '../replay/model.ts';
import {
  connectionText,
  groupConnections,
  groupLookups,
  groupQueries,
  groupText,
  lookupGroupText,
  lookupText,
  queryGroupText,
  queryText,
} from '../replay/net.ts';
import { argvOf, type DisplayItem, type GroupItem, nodeDuration, type TreeNode } from './build.ts';
import { cpuNs, maxOf, openCounts, openDisplayPath, PATH_LOST, Seen, type TreeRenderOptions } from './display.ts';

/** `N`, or `≥N` when records of its kind were lost. */
const atLeast = (n: number, lost: boolean | undefined): string => (lost === true ? `≥${n}` : String(n));

const NOT_RECORDED = 'usage not recorded';

function resourceText(rows: readonly (ResourceRow | null)[]): string {
  let cpu = 0;
  let rss = 0;
  let any = false;
  for (const r of rows) {
    if (r === null) continue;
    any = true;
    cpu += cpuNs(r);
    if (r.maxrssKb > rss) rss = r.maxrssKb;
  }
  return any ? `cpu ${formatDuration(cpu)}, rss ${formatKib(rss)}` : NOT_RECORDED;
}

/**
 * Levels drawn with their own indentation; deeper ones stay at this
 * indentation and show `[depth N]`, so a chain of 100,000 processes prints
 * lines of bounded width (output linear in the tree).
 */
export const MAX_INDENT_DEPTH = 64;

function trailer(
  items: {
    pid: number | null;
    durationText: string;
    status: string | null;
    failed: boolean;
    signal: boolean;
    usage?: string | null;
    critical?: string | null;
  },
  paint: Paint,
): { text: string; plainLength: number } {
  const parts: string[] = [];
  const plain: string[] = [];
  if (items.pid !== null) {
    parts.push(paint('dim', String(items.pid)));
    plain.push(String(items.pid));
  }
  parts.push(paint('dim', items.durationText));
  plain.push(items.durationText);
  if (items.status !== null) {
    const style = items.signal
      ? (['magenta', 'bold'] as const)
      : items.failed
        ? (['red', 'bold'] as const)
        : (['yellow'] as const);
    parts.push(paint([...style], items.status));
    plain.push(items.status);
  }
  if (items.usage != null) {
    parts.push(paint('dim', items.usage));
    plain.push(items.usage);
  }
  if (items.critical != null) {
    parts.push(paint(['cyan', 'bold'], items.critical));
    plain.push(items.critical);
  }
  const sep = paint('dim', ', ');
  return {
    text: `${paint('dim', '(')}${parts.join(sep)}${paint('dim', ')')}`,
    plainLength: plain.join(', ').length + 2,
  };
}

function nodeDurationText(n: TreeNode): string {
  return formatDuration(nodeDuration(n)) + (n.end === null ? '+' : '');
}

/** A failed exec's path, or PATH_LOST. */
function failedExecPath(f: ExecFailureRow): string {
  return f.path === '' && f.pathTruncated ? PATH_LOST : f.path;
}

function nodeLabel(n: TreeNode, maxLen: number, opts: TreeRenderOptions): string {
  if (n.kind === 'exec') {
    const argv = argvOf(n);
    if (argv.length === 0 && n.exe === '')
      return `${n.execSeq !== null && n.execSeq > 0 ? '↳ ' : ''}(exec, command line lost)`;
    const cmd = commandLine(argv.length > 0 ? argv : [n.exe], { full: opts.full, max: maxLen });
    return (
      (n.execSeq !== null && n.execSeq > 0 ? '↳ ' : '') + cmd + (n.argvTruncated ? ` ${ELLIPSIS}[argv truncated]` : '')
    );
  }
  if (n.kind === 'fork') return `(fork of ${terminalText(n.forkOf ?? '?')})`;
  return `(pid ${n.pid}, no exec seen)`;
}

/** Text lines of the tree. */
export function renderTreeText(items: readonly DisplayItem[], opts: TreeRenderOptions): string[] {
  const { paint } = opts;
  const out: string[] = [];
  const seen = new Seen();

  const counts = opts.files === true && opts.dedup ? openCounts(items) : null;
  const fileLines = (prefix: string, opens: readonly OpenRow[]): void => {
    if (opts.files !== true || opens.length === 0) return;
    // Failed opens always shown (with dedup, each path+errno once per line here, ×count); successful ones at their first occurrence.
    const failed = new Map<string, { o: OpenRow; n: number }>();
    let repeated = 0;
    for (const o of opens) {
      const path = openDisplayPath(o);
      if (o.fd === null) {
        const key = `${path}\u0000${o.errnoName}`;
        const f = opts.dedup ? failed.get(key) : undefined;
        if (f !== undefined) {
          f.n++;
          continue;
        }
        if (opts.dedup) failed.set(key, { o, n: 1 });
        else
          out.push(
            `${prefix}${paint('red', '✗')} open ${terminalText(path)}: ${terminalText(o.errnoName ?? '')} ${paint('dim', `(${openFlagsShort(o.flags)})`)}`,
          );
        continue;
      }
      if (counts !== null) {
        if (!seen.first(`open\u0000${path}`)) {
          repeated++;
          continue;
        }
        const later = counts.get(path)! - 1;
        out.push(
          `${prefix}${paint('dim', '·')} open ${terminalText(path)} ${paint('dim', `(${openFlagsShort(o.flags)})`)}${later > 0 ? paint('dim', ` +${atLeast(later, opts.incomplete?.files)} later`) : ''}`,
        );
      } else {
        out.push(
          `${prefix}${paint('dim', '·')} open ${terminalText(path)} ${paint('dim', `(${openFlagsShort(o.flags)})`)}`,
        );
      }
    }
    for (const { o, n } of failed.values()) {
      out.push(
        `${prefix}${paint('red', '✗')} open ${terminalText(openDisplayPath(o))}: ${terminalText(o.errnoName ?? '')} ${paint('dim', `(${openFlagsShort(o.flags)})`)}${n > 1 ? ` ×${atLeast(n, opts.incomplete?.files)}` : ''}`,
      );
    }
    if (repeated > 0)
      out.push(`${prefix}${paint('dim', `· ${repeated} open${repeated > 1 ? 's' : ''} of paths shown above`)}`);
  };

  const netLines = (
    prefix: string,
    conns: readonly ConnectionRow[],
    lookups: readonly DnsLookupRow[],
    queries: readonly DnsQueryRow[],
  ): void => {
    if (opts.net !== true || (conns.length === 0 && lookups.length === 0 && queries.length === 0)) return;
    // Without --dedup every lookup, query and connection; with it one line per name and outcome, one per peer
    // (failures per peer and errno: never hidden). In time order; at equal times lookups, then queries, then connections.
    const timed: { t: bigint; line: { mark: string; text: string; detail: string } }[] = opts.dedup
      ? [
          ...groupLookups(lookups).map((g) => ({ t: g.start, line: lookupGroupText(g, opts.incomplete?.dns) })),
          ...groupQueries(queries).map((g) => ({ t: g.start, line: queryGroupText(g, opts.incomplete?.dns) })),
          ...groupConnections(conns).map((g) => ({ t: g.start, line: groupText(g, opts.incomplete?.net) })),
        ]
      : [
          ...lookups.map((l) => ({ t: l.time, line: lookupText(l) })),
          ...queries.map((q) => ({ t: q.time, line: queryText(q) })),
          ...conns.map((c) => ({ t: c.start, line: connectionText(c) })),
        ];
    timed.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    for (const { line: l } of timed) {
      const mark = l.mark === '✗' ? paint('red', '✗') : paint('cyan', l.mark);
      const detail = l.detail === '' ? '' : ` ${paint('dim', `(${terminalText(l.detail)})`)}`;
      out.push(`${prefix}${mark} ${terminalText(l.text)}${detail}`);
    }
  };

  const annotate = (
    prefix: string,
    n: {
      failedExecs: readonly ExecFailureRow[];
      envId: number | null;
      hidden: number;
      opens: readonly OpenRow[];
      connections?: readonly ConnectionRow[];
      lookups?: readonly DnsLookupRow[];
      queries?: readonly DnsQueryRow[];
    },
    extraFailed: readonly ExecFailureRow[] = [],
    extraOpens: readonly OpenRow[] = [],
  ): void => {
    // Failed exec attempts, in time order; with dedup each path+errno once.
    const attempts = [...n.failedExecs, ...extraFailed];
    if (opts.dedup) {
      const counts = new Map<string, { f: ExecFailureRow; n: number }>();
      let repeated = 0;
      for (const f of attempts) {
        const key = `${f.path}\u0000${f.errnoName}`;
        const c = counts.get(key);
        if (c !== undefined) c.n++;
        else if (seen.first(`exec-failed\u0000${key}`)) counts.set(key, { f, n: 1 });
        else repeated++;
      }
      for (const { f, n: k } of counts.values()) {
        out.push(
          `${prefix}${paint('red', '✗')} exec ${terminalText(failedExecPath(f))}: ${terminalText(f.errnoName)}${k > 1 ? ` ×${atLeast(k, opts.incomplete?.execFailed)}` : ''}`,
        );
      }
      if (repeated > 0)
        out.push(`${prefix}${paint('dim', `✗ ${repeated} failed exec attempt${repeated > 1 ? 's' : ''} as above`)}`);
    } else {
      for (const f of attempts)
        out.push(`${prefix}${paint('red', '✗')} exec ${terminalText(failedExecPath(f))}: ${terminalText(f.errnoName)}`);
    }
    fileLines(prefix, extraOpens.length === 0 ? n.opens : [...n.opens, ...extraOpens]);
    netLines(prefix, n.connections ?? [], n.lookups ?? [], n.queries ?? []);
    if (opts.envs !== null && n.envId !== null) {
      const env = opts.envs.get(n.envId) ?? [];
      let repeated = 0;
      for (const [name, value] of env) {
        if (opts.dedup && !seen.first(`env\u0000${name}=${value}`)) {
          repeated++;
          continue;
        }
        out.push(`${prefix}${paint('dim', terminalText(`${name}=${value}`))}`);
      }
      if (repeated > 0)
        out.push(`${prefix}${paint('dim', `(${repeated} env var${repeated > 1 ? 's' : ''} as above)`)}`);
    }
    if (n.hidden > 0) out.push(`${prefix}${paint('dim', `${ELLIPSIS} ${n.hidden} more below`)}`);
  };

  // Pre-order without recursion: a frame per level being listed.
  interface Frame {
    list: readonly DisplayItem[];
    next: number;
    prefix: string;
    depth: number;
  }
  const stack: Frame[] = [{ list: items, next: 0, prefix: '', depth: 0 }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.next >= frame.list.length) {
      stack.pop();
      continue;
    }
    const i = frame.next++;
    const { list, prefix, depth } = frame;
    const item = list[i]!;
    const root = depth === 0;
    const last = i === list.length - 1;
    const capped = depth > MAX_INDENT_DEPTH;
    const lead = root ? '' : prefix + (last ? '└─ ' : '├─ ') + (capped ? `[depth ${depth}] ` : '');
    const childPrefix = root ? '' : depth >= MAX_INDENT_DEPTH ? prefix : prefix + (last ? '   ' : '│  ');
    const notePrefix = childPrefix + (item.children.length > 0 ? '│ ' : '  ');
    if (item.type === 'node') {
      const n = item.node;
      const status = n.replaced ? null : statusText(n.exit);
      const usage = opts.resources === true && !n.replaced ? resourceText([n.resources]) : null;
      const own = opts.critical?.ownNs(n) ?? null;
      const t = trailer(
        {
          pid: n.pid,
          durationText: nodeDurationText(n),
          status,
          failed: n.failed,
          signal: n.exit.signal !== null,
          usage,
          critical: own === null ? null : `◆ ${formatDuration(own)} on the critical path`,
        },
        paint,
      );
      const marks = marksText(n.marks);
      const label = nodeLabel(n, Math.max(30, opts.width - lead.length - t.plainLength - marks.length - 2), opts);
      out.push(
        `${lead}${n.failed ? paint('bold', label) : label}${marks === '' ? '' : paint('cyan', marks)}  ${t.text}`,
      );
      annotate(notePrefix, n);
    } else {
      out.push(`${lead}${groupLine(item, opts, Math.max(30, opts.width - lead.length - 40))}`);
      const first = item.members[0]!;
      annotate(
        notePrefix,
        {
          failedExecs: first.failedExecs,
          envId: first.envId,
          hidden: item.members.reduce((s, m) => s + m.hidden, 0),
          opens: first.opens,
          connections: opts.net === true ? item.members.flatMap((m) => m.connections) : [],
          lookups: opts.net === true ? item.members.flatMap((m) => m.lookups) : [],
          queries: opts.net === true ? item.members.flatMap((m) => m.queries) : [],
        },
        item.members.slice(1).flatMap((m) => m.failedExecs),
        opts.files === true ? item.members.slice(1).flatMap((m) => m.opens) : [],
      );
    }
    if (item.children.length > 0) stack.push({ list: item.children, next: 0, prefix: childPrefix, depth: depth + 1 });
  }
  return out;
}

/** ` [attached, container docker 3f4e1c0a9b8d]`, terminal-safe; '' without marks. */
function marksText(marks: readonly string[]): string {
  return marks.length > 0 ? terminalText(` [${marks.join(', ')}]`) : '';
}

function groupLine(g: GroupItem, opts: TreeRenderOptions, maxLen: number): string {
  const { paint } = opts;
  const first = g.members[0]!;
  const marks = marksText(first.marks); // the same on every member (ShapeTable)
  let label: string;
  if (first.kind === 'exec') {
    label =
      (first.execSeq !== null && first.execSeq > 0 ? '↳ ' : '') +
      commandLine(g.pattern, { full: opts.full, max: Math.max(30, maxLen - marks.length) });
  } else if (first.kind === 'fork') label = `(fork of ${terminalText(first.forkOf ?? '?')})`;
  else label = '(no exec seen)';
  const durations = g.members.map(nodeDuration);
  const total = durations.reduce((s, d) => s + d, 0);
  const max = maxOf(durations);
  const running = g.members.some((m) => m.end === null);
  const usage =
    opts.resources === true ? `, ${resourceText(g.members.map((m) => (m.replaced ? null : m.resources)))}` : '';
  const stats = `total ${formatDuration(total)}${running ? '+' : ''}, max ${formatDuration(max)}${usage}`;
  return `${label}${marks === '' ? '' : paint('cyan', marks)} ${paint(['cyan', 'bold'], `×${atLeast(g.members.length, opts.incomplete?.processes)}`)}  ${paint('dim', `(${stats})`)}`;
}
