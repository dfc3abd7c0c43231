// The `stats` report as terminal text: one renderer per section (cli-table3
// tables, bars), in print order in SECTIONS. Every string of the report is shown
// through terminalText.

import Table from 'cli-table3';
import {
  commandLine,
  formatDuration,
  formatKib,
  formatNetBytes,
  formatOffset,
  type Paint,
  terminalText,
} from '../format.ts';
import { TOP } from './context.ts';
import type { CommandStat, LatencySummary, ProcessStat, StatsReport } from './types.ts';

function table(head: string[], paint: Paint, color: boolean, aligns?: ('left' | 'right')[]): Table.Table {
  return new Table({
    head: head.map((h) => paint('bold', h)),
    ...(aligns === undefined ? {} : { colAligns: aligns }),
    style: { head: [], border: color ? ['grey'] : [], compact: true },
  });
}

/** A duration that may be unknown (`?`). */
const durationOrUnknown = (v: number | null): string => (v === null ? '?' : formatDuration(v));

/** `p50 1.2ms, p95 3.4ms, max 5.6ms` */
const latencyText = (l: LatencySummary): string =>
  `p50 ${durationOrUnknown(l.p50Ns)}, p95 ${durationOrUnknown(l.p95Ns)}, max ${durationOrUnknown(l.maxNs)}`;

/** Failures by cause (errno, EAI error, DNS outcome), with up to 3 examples each. */
function causesTable(
  title: string,
  rows: readonly [cause: string, count: number, examples: readonly string[]][],
  paint: Paint,
  color: boolean,
): string {
  const t = table([title, 'count', 'e.g.'], paint, color, ['left', 'right', 'left']);
  for (const [cause, count, examples] of rows) t.push([paint('red', cause), String(count), examples.join(', ')]);
  return t.toString();
}

/** A process's command line for a table cell (or what it was forked from). */
export const commandText = (p: ProcessStat): string =>
  p.argv.length > 0
    ? commandLine(p.argv, { full: false, max: 70 })
    : p.forkOf !== null
      ? `(fork of ${p.forkOf})`
      : `(pid ${p.pid})`;

/** A shorter command line, for issue messages. */
export const shortCommandText = (p: ProcessStat): string =>
  p.argv.length > 0 ? commandLine(p.argv, { full: false, max: 40, maxArg: 24 }) : commandText(p);

type Section = (r: StatsReport, paint: Paint, color: boolean) => string[];

const overviewSection: Section = (r, paint, color) => {
  const o = r.overview;
  const t = table(['Overview', ''], paint, color);
  t.push(
    o.attachedTo !== null
      ? ['attached to', o.attachedTo]
      : ['command', o.command.length > 0 ? commandLine(o.command, { full: false, max: 70 }) : '?'],
    ['file', o.path + (o.complete ? '' : paint('yellow', ' (no footer)'))],
    ['started', o.startTime],
    ['wall time', formatDuration(o.wallTimeNs)],
    ['processes', String(o.processes)],
    ['execs', String(o.execs)],
    ['threads created', String(o.threads)],
    ['failures', o.failures > 0 ? paint(['red', 'bold'], String(o.failures)) : '0'],
    ['failed execs', failedExecsText(o.failedExecs, o.failedExecSearchMisses)],
    ['lost records', o.lostRecords > 0 ? paint('yellow', String(o.lostRecords)) : '0'],
    ['peak concurrency', `${o.peakConcurrency} at ${formatOffset(o.peakAtNs)}`],
    [
      'CPU time',
      r.cpu.processesWithUsage > 0
        ? `${formatDuration(r.cpu.totalNs)} (${r.cpu.averageCpus} CPUs on average)`
        : paint('dim', 'not recorded'),
    ],
    [
      'max RSS',
      r.memory.top.length > 0
        ? `${formatKib(r.memory.top[0]!.maxRssKib)} (pid ${r.memory.top[0]!.pid})`
        : paint('dim', 'not recorded'),
    ],
    [
      'file opens',
      r.files.recorded
        ? `${r.files.opens} (${r.files.failed} failed, ${r.files.distinctPaths} paths)`
        : paint('dim', 'not recorded'),
    ],
  );
  return [t.toString()];
};

const commandsSection =
  (title: string, pick: (r: StatsReport) => CommandStat[]): Section =>
  (r, paint, color) => {
    const list = pick(r);
    if (list.length === 0) return [];
    const t = table([title, 'count', 'total', 'max', 'failed'], paint, color, [
      'left',
      'right',
      'right',
      'right',
      'right',
    ]);
    for (const c of list) {
      t.push([
        c.name,
        String(c.count),
        formatDuration(c.totalNs),
        formatDuration(c.maxNs),
        c.failed > 0 ? paint('red', String(c.failed)) : '',
      ]);
    }
    return [t.toString()];
  };

const slowestSection: Section = (r, paint, color) => {
  if (r.slowest.length === 0) return [];
  const t = table(['Slowest processes', 'pid', 'start', 'duration', 'status'], paint, color, [
    'left',
    'right',
    'right',
    'right',
    'left',
  ]);
  for (const p of r.slowest) {
    t.push([commandText(p), String(p.pid), formatOffset(p.startNs), formatDuration(p.durationNs), p.status ?? '']);
  }
  return [t.toString()];
};

/** The critical path: the images with the most own time on it (docs/critical-path.md). */
const criticalPathSection: Section = (r, paint, color) => {
  const c = r.criticalPath;
  if (c === null || c.images.length === 0) return [];
  const t = table(['Critical path: own time', 'pid', 'own', 'share', 'on the path'], paint, color, [
    'left',
    'right',
    'right',
    'right',
    'left',
  ]);
  const windows = new Map(c.steps.map((s) => [s.processId, s]));
  for (const i of c.images) {
    const w = windows.get(i.processId);
    t.push([
      i.argv.length > 0 ? commandLine(i.argv, { full: false, max: 70 }) : `(fork of ${i.forkOf ?? '?'})`,
      String(i.pid),
      formatDuration(i.ownNs),
      `${(i.share * 100).toFixed(1)}%`,
      w === undefined ? '' : `${formatOffset(w.windowStartNs)} – ${formatOffset(w.windowEndNs)}`,
    ]);
  }
  const lines = [t.toString()];
  const about = [
    `${formatDuration(c.endNs - c.startNs)} of the root`,
    `${c.processes} process${c.processes === 1 ? '' : 'es'} on the path, ${c.depth} level${c.depth === 1 ? '' : 's'} deep`,
  ];
  if (!c.rootEnded) about.push('the root did not end: up to the capture’s end');
  lines.push(paint('dim', `  ${about.join('; ')} (every process on the path in --json; tree --critical)`));
  if (c.unknownEnds > 0) {
    lines.push(
      paint(
        'yellow',
        `  may be incomplete: ${c.unknownEnds} process${c.unknownEnds === 1 ? '' : 'es'} with no exit record could not be placed`,
      ),
    );
  }
  return lines;
};

const failuresSection: Section = (r, paint, color) => {
  if (r.failures.length === 0) return [];
  const t = table(['Failures', 'pid', 'status', 'duration', 'ancestors'], paint, color, [
    'left',
    'right',
    'left',
    'right',
    'left',
  ]);
  // A bounded table (cli-table3's layout is quadratic in rows): leaf failures (likely causes) first, in start order.
  const shown = new Set(
    [...r.failures.filter((f) => f.leaf), ...r.failures.filter((f) => !f.leaf)].slice(0, FAILURES_SHOWN),
  );
  for (const f of r.failures) {
    if (!shown.has(f)) continue;
    t.push([
      commandText(f),
      String(f.pid),
      paint(f.signal !== null ? ['magenta', 'bold'] : ['red', 'bold'], f.status ?? ''),
      formatDuration(f.durationNs),
      f.ancestors.length > 0 ? f.ancestors.join(' › ') : '(root)',
    ]);
  }
  const lines = [t.toString()];
  if (r.failures.length > shown.size)
    lines.push(
      paint(
        'dim',
        `  … ${r.failures.length - shown.size} more failures (all in --json; ptrace tree --failed shows where)`,
      ),
    );
  return lines;
};

function failedExecsText(total: number, searchMisses: number): string {
  if (searchMisses === 0) return String(total);
  return `${total} (${searchMisses} PATH-search ${searchMisses === 1 ? 'miss' : 'misses'}, ${total - searchMisses} real)`;
}

const failedExecsSection: Section = (r, paint, color) => {
  if (r.failedExecs.length === 0) return [];
  const t = table(['Failed exec attempts', 'errno', 'count', 'not retried'], paint, color, [
    'left',
    'left',
    'right',
    'right',
  ]);
  for (const f of r.failedExecs.slice(0, TOP))
    t.push([f.path, f.errno, String(f.count), f.final > 0 ? paint('red', String(f.final)) : '0']);
  const lines = [t.toString()];
  if (r.failedExecs.length > TOP) lines.push(paint('dim', `  … ${r.failedExecs.length - TOP} more paths`));
  return lines;
};

/** Rows of the failures table (the JSON report lists every failure). */
const FAILURES_SHOWN = 50;

const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

const filesSection: Section = (r, paint, color) => {
  const f = r.files;
  if (!f.recorded || f.opens === 0) return [];
  const out: string[] = [];
  if (f.topPaths.length > 0) {
    const t = table(['Most opened files', 'opens', 'processes'], paint, color, ['left', 'right', 'right']);
    for (const p of f.topPaths) t.push([p.path, String(p.count), String(p.processes)]);
    out.push(t.toString());
  }
  if (f.written.length > 0) {
    const t = table(['Files written (O_WRONLY/O_RDWR/O_CREAT)', 'opens', 'processes'], paint, color, [
      'left',
      'right',
      'right',
    ]);
    for (const p of f.written) t.push([p.path, String(p.count), String(p.processes)]);
    out.push(t.toString());
  }
  if (f.failedByErrno.length > 0) {
    out.push(
      causesTable(
        'Failed opens',
        f.failedByErrno.map((e) => [e.errno, e.count, e.examples]),
        paint,
        color,
      ),
    );
  }
  return out.length === 0 ? [] : [out.join('\n\n')];
};

const cpuSection: Section = (r, paint, color) => {
  const c = r.cpu;
  if (c.processesWithUsage === 0) return [];
  const out: string[] = [];
  const head = `CPU: ${formatDuration(c.totalNs)} over ${c.processesWithUsage} processes (user ${formatDuration(c.userNs)}, system ${formatDuration(c.systemNs)}), ${c.averageCpus} CPUs busy on average; share = of that total`;
  out.push(paint('bold', head));
  if (c.topCommands.length > 0) {
    const t = table(['Top commands by CPU', 'processes', 'cpu', 'share'], paint, color, [
      'left',
      'right',
      'right',
      'right',
    ]);
    for (const x of c.topCommands) t.push([x.name, String(x.processes), formatDuration(x.cpuNs), pct(x.share)]);
    out.push(t.toString());
  }
  if (c.topProcesses.length > 0) {
    const t = table(['Top processes by CPU', 'pid', 'cpu', 'user', 'system', 'share'], paint, color, [
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
    ]);
    for (const p of c.topProcesses)
      t.push([
        commandText(p),
        String(p.pid),
        formatDuration(p.cpuNs),
        formatDuration(p.userNs),
        formatDuration(p.systemNs),
        pct(p.share),
      ]);
    out.push(t.toString());
  }
  return [out.join('\n')];
};

const memorySection: Section = (r, paint, color) => {
  if (r.memory.top.length === 0) return [];
  const t = table(['Top processes by max RSS', 'pid', 'max RSS', 'major faults'], paint, color, [
    'left',
    'right',
    'right',
    'right',
  ]);
  for (const p of r.memory.top) t.push([commandText(p), String(p.pid), formatKib(p.maxRssKib), String(p.majorFaults)]);
  return [t.toString()];
};

const HIST_TITLES: Record<string, string> = {
  read: 'read latency',
  write: 'write latency',
  fsync: 'fsync latency',
  offcpu: 'off-CPU time',
};

const histogramSection: Section = (r, paint) => {
  const out: string[] = [];
  for (const h of r.histograms) {
    if (out.length > 0) out.push('');
    const title = HIST_TITLES[h.kind] ?? h.kind;
    const q = (upper: number | null): string => (upper === null ? '?' : `< ${formatDuration(upper)}`);
    out.push(
      paint(
        'bold',
        `${title[0]!.toUpperCase()}${title.slice(1)}: ${h.count} over ${h.processes} process${h.processes === 1 ? '' : 'es'}, total ${formatDuration(h.totalNs)}, p50 ${q(h.p50UpperNs)}, p99 ${q(h.p99UpperNs)}, max ${formatDuration(h.maxNs)}`,
      ),
    );
    let lo = -1;
    let hi = -1;
    let max = 0;
    h.buckets.forEach((n, i) => {
      if (n > 0) {
        if (lo < 0) lo = i;
        hi = i;
        if (n > max) max = n;
      }
    });
    for (let i = lo; i >= 0 && i <= hi; i++) {
      const n = h.buckets[i]!;
      const range = `${formatDuration(i === 0 ? 0 : 2 ** i)}–${formatDuration(2 ** (i + 1))}`;
      out.push(`  ${range.padStart(15)} │${paint('cyan', bar(n, max).padEnd(BAR))}│ ${String(n).padStart(7)}`);
    }
    for (const p of h.top) {
      out.push(
        `  ${paint('dim', `${p.name} (pid ${p.pid}): ${p.count}, total ${formatDuration(p.totalNs)}, p99 ${q(p.p99UpperNs)}, max ${formatDuration(p.maxNs)}`)}`,
      );
    }
  }
  return out;
};

const BAR = 40;
const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

export function bar(value: number, max: number, width = BAR): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8];
}

const networkSection: Section = (r, paint, color) => {
  const n = r.network;
  if (!n.recorded && n.connections === 0) return [];
  const out: string[] = [];
  const l = n.connectLatency;
  out.push(
    paint(
      'bold',
      `Network: ${n.connections} TCP connection${n.connections === 1 ? '' : 's'} (${n.client} client, ${n.server} server, ${n.failed} failed, ${n.openAtEnd} open at end), ` +
        `${formatNetBytes(n.bytesSent)} out / ${formatNetBytes(n.bytesReceived)} in, ${n.retransmits} retransmit${n.retransmits === 1 ? '' : 's'}`,
    ),
  );
  if (l.count > 0) out.push(`  connect latency: ${latencyText(l)} (${l.count} connect${l.count === 1 ? '' : 's'})`);
  if (n.byPeer.length > 0) {
    const t = table(['Connections by peer', 'role', 'count', 'failed', 'out', 'in', 'retrans'], paint, color, [
      'left',
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
    ]);
    for (const p of n.byPeer) {
      t.push([
        p.peer,
        p.role,
        String(p.count),
        p.failed > 0 ? paint('red', String(p.failed)) : '',
        formatNetBytes(p.bytesSent),
        formatNetBytes(p.bytesReceived),
        p.retransmits > 0 ? paint('yellow', String(p.retransmits)) : '',
      ]);
    }
    out.push(t.toString());
  }
  if (n.failedByErrno.length > 0) {
    out.push(
      causesTable(
        'Failed connects',
        n.failedByErrno.map((e) => [e.errno, e.count, e.examples]),
        paint,
        color,
      ),
    );
  }
  return [out.join('\n')];
};

/** A table of names (or resolvers) with their count, failures and largest latency, as the DNS section shows both. */
function countsTable(
  [title, counted]: [string, string],
  rows: readonly { label: string; count: number; failed: number; max: string }[],
  paint: Paint,
  color: boolean,
): string {
  const t = table([title, counted, 'failed', 'max'], paint, color, ['left', 'right', 'right', 'right']);
  for (const r of rows) t.push([r.label, String(r.count), r.failed > 0 ? paint('red', String(r.failed)) : '', r.max]);
  return t.toString();
}

/** `never resolved: a (EAI_NONAME), b (NXDOMAIN ×3)`. */
function neverResolved(what: string, list: readonly { name: string; cause: string; failed: number }[]): string {
  return `  ${what}: ${list.map((u) => `${u.name} (${u.cause}${u.failed > 1 ? ` ×${u.failed}` : ''})`).join(', ')}`;
}

const dnsSection: Section = (r, paint, color) => {
  const d = r.dns;
  if (!d.recorded && d.lookups === 0 && !d.wire.recorded && d.wire.queries === 0) return [];
  const out: string[] = [];
  const l = d.latency;
  if (d.recorded || d.lookups > 0) {
    out.push(
      paint(
        'bold',
        `DNS: ${d.lookups} name lookup${d.lookups === 1 ? '' : 's'} of ${d.names} name${d.names === 1 ? '' : 's'} (${d.failed} failed)`,
      ),
    );
  }
  if (l.count > 0) out.push(`  lookup latency: ${latencyText(l)}`);
  if (d.byName.length > 0) {
    const rows = d.byName.map((n) => ({ label: n.name, ...n, max: formatDuration(n.maxLatencyNs) }));
    out.push(countsTable(['Lookups by name', 'count'], rows, paint, color));
  }
  if (d.failedByResult.length > 0) {
    out.push(
      causesTable(
        'Failed lookups',
        d.failedByResult.map((e) => [e.error, e.count, e.examples]),
        paint,
        color,
      ),
    );
  }
  if (d.unresolved.length > 0) {
    out.push(
      neverResolved(
        'never resolved',
        d.unresolved.map((u) => ({ ...u, cause: u.error })),
      ),
    );
  }
  const w = d.wire;
  if (w.recorded || w.queries > 0) {
    const wl = w.latency;
    out.push(
      paint(
        'bold',
        `DNS on the wire: ${w.queries} quer${w.queries === 1 ? 'y' : 'ies'} (UDP port 53), ${w.answered} answered, ${w.failed} failed`,
      ),
    );
    if (wl.count > 0) out.push(`  reply latency: ${latencyText(wl)}`);
    if (w.servers.length > 0) {
      const rows = w.servers.map((s) => ({
        label: `${s.server}${s.port === 53 ? '' : `:${s.port}`}`,
        count: s.queries,
        failed: s.failed,
        max: durationOrUnknown(s.maxLatencyNs),
      }));
      out.push(countsTable(['Resolver', 'queries'], rows, paint, color));
    }
    if (w.failedByOutcome.length > 0) {
      out.push(
        causesTable(
          'Failed queries',
          w.failedByOutcome.map((e) => [e.outcome, e.count, e.examples]),
          paint,
          color,
        ),
      );
    }
    if (w.unresolved.length > 0) {
      const list = w.unresolved.map((u) => ({ name: u.name || '(unparsed)', cause: u.outcome, failed: u.failed }));
      out.push(neverResolved('never resolved on the wire', list));
    }
    if (w.truncated + w.malformed > 0) out.push(`  ${w.truncated} truncated, ${w.malformed} not parsed whole`);
  }
  return [out.join('\n')];
};

const timelineSection: Section = (r, paint) => {
  const { bucketNs, buckets } = r.timeline;
  const max = Math.max(0, ...buckets.map((b) => b.max));
  if (max === 0) return [];
  const lines = [
    paint(
      'bold',
      `Concurrency over time (live processes per ${formatDuration(bucketNs)}: bar = average, number = max)`,
    ),
  ];
  for (const b of buckets) {
    lines.push(
      `  ${formatOffset(b.startNs).padStart(10)} │${paint('cyan', bar(b.avg, max).padEnd(BAR))}│ ${String(b.max).padStart(3)}`,
    );
  }
  return lines;
};

const issuesSection: Section = (r, paint) => {
  const lines = [paint('bold', 'Potential issues')];
  if (r.issues.length === 0) lines.push('  none found');
  for (const i of r.issues) {
    const mark =
      i.severity === 'error'
        ? paint(['red', 'bold'], '✗')
        : i.severity === 'warning'
          ? paint('yellow', '!')
          : paint('dim', 'i');
    lines.push(`  ${mark} ${i.message}`);
  }
  return lines;
};

/** Sections in print order; network, DNS, files and CPU sections go before the timeline. */
const containersSection: Section = (r, paint, color) => {
  const c = r.containers;
  if (!c.recorded) return [];
  const ns = c.namespaces;
  const out = [
    paint(
      'bold',
      `Containers: ${c.containers.filter((x) => x.id !== null).length} container${c.containers.filter((x) => x.id !== null).length === 1 ? '' : 's'}, ${c.cgroups} cgroup${c.cgroups === 1 ? '' : 's'}; namespaces: ${ns.pid} pid, ${ns.mnt} mnt, ${ns.net} net, ${ns.uts} uts`,
    ),
  ];
  const t = table(['Container', 'processes', 'failed', 'attached', 'cgroup'], paint, color, [
    'left',
    'right',
    'right',
    'right',
    'left',
  ]);
  for (const x of c.containers) {
    t.push([
      x.id === null ? '(none)' : `${x.runtime ?? '?'} ${x.id.slice(0, 12)}`,
      String(x.processes),
      String(x.failed),
      String(x.attached),
      x.cgroup ?? '?',
    ]);
  }
  out.push(t.toString());
  return out;
};

const SECTIONS: Section[] = [
  overviewSection,
  commandsSection('Top commands by count', (r) => r.topByCount),
  commandsSection('Top commands by cumulative time', (r) => r.topByTime),
  slowestSection,
  criticalPathSection,
  failuresSection,
  failedExecsSection,
  filesSection,
  cpuSection,
  memorySection,
  histogramSection,
  networkSection,
  dnsSection,
  containersSection,
  timelineSection,
  issuesSection,
];

/** Keys whose string arrays are command lines: commandLine quotes them (with $'…' escapes). */
const COMMAND_LINE_KEYS = new Set(['argv', 'command']);

/**
 * A copy of the report with every string passed through terminalText, so no
 * cell, heading or issue can carry a control, format or bidi character to the
 * terminal (the report's shape is fixed by code: the recursion depth is bounded).
 */
export function terminalReport<T>(value: T): T {
  if (typeof value === 'string') return terminalText(value) as T;
  if (Array.isArray(value)) return value.map((v) => terminalReport(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = COMMAND_LINE_KEYS.has(k) ? v : terminalReport(v);
  return out as T;
}

/** The report as text lines (tables from cli-table3; no ANSI unless `color`). Every string of the report is shown through terminalText. */
export function renderStats(report: StatsReport, paint: Paint, color: boolean): string[] {
  const r = terminalReport(report);
  const out: string[] = [];
  for (const s of SECTIONS) {
    const lines = s(r, paint, color);
    if (lines.length === 0) continue;
    if (out.length > 0) out.push('');
    out.push(...lines.flatMap((l) => l.split('\n')));
  }
  return out;
}
