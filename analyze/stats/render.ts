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
import type { CommandStat, ProcessStat, StatsReport } from './types.ts';

function table(head: string[], paint: Paint, color: boolean, aligns?: ('left' | 'right')[]): Table.Table {
  return new Table({
    head: head.map((h) => paint('bold', h)),
    ...(aligns === undefined ? {} : { colAligns: aligns }),
    style: { head: [], border: color ? ['grey'] : [], compact: true },
  });
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
    ['command', o.command.length > 0 ? commandLine(o.command, { full: false, max: 70 }) : '?'],
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
    const t = table(['Failed opens', 'count', 'e.g.'], paint, color, ['left', 'right', 'left']);
    for (const e of f.failedByErrno) t.push([paint('red', e.errno), String(e.count), e.examples.join(', ')]);
    out.push(t.toString());
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
  const q = (v: number | null): string => (v === null ? '?' : formatDuration(v));
  out.push(
    paint(
      'bold',
      `Network: ${n.connections} TCP connection${n.connections === 1 ? '' : 's'} (${n.client} client, ${n.server} server, ${n.failed} failed, ${n.openAtEnd} open at end), ` +
        `${formatNetBytes(n.bytesSent)} out / ${formatNetBytes(n.bytesReceived)} in, ${n.retransmits} retransmit${n.retransmits === 1 ? '' : 's'}`,
    ),
  );
  if (l.count > 0)
    out.push(
      `  connect latency: p50 ${q(l.p50Ns)}, p95 ${q(l.p95Ns)}, max ${q(l.maxNs)} (${l.count} connect${l.count === 1 ? '' : 's'})`,
    );
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
    const t = table(['Failed connects', 'count', 'e.g.'], paint, color, ['left', 'right', 'left']);
    for (const e of n.failedByErrno) t.push([paint('red', e.errno), String(e.count), e.examples.join(', ')]);
    out.push(t.toString());
  }
  return [out.join('\n')];
};

const dnsSection: Section = (r, paint, color) => {
  const d = r.dns;
  if (!d.recorded && d.lookups === 0 && !d.wire.recorded && d.wire.queries === 0) return [];
  const out: string[] = [];
  const l = d.latency;
  const q = (v: number | null): string => (v === null ? '?' : formatDuration(v));
  if (d.recorded || d.lookups > 0) {
    out.push(
      paint(
        'bold',
        `DNS: ${d.lookups} name lookup${d.lookups === 1 ? '' : 's'} of ${d.names} name${d.names === 1 ? '' : 's'} (${d.failed} failed)`,
      ),
    );
  }
  if (l.count > 0) out.push(`  lookup latency: p50 ${q(l.p50Ns)}, p95 ${q(l.p95Ns)}, max ${q(l.maxNs)}`);
  if (d.byName.length > 0) {
    const t = table(['Lookups by name', 'count', 'failed', 'max'], paint, color, ['left', 'right', 'right', 'right']);
    for (const n of d.byName)
      t.push([
        n.name,
        String(n.count),
        n.failed > 0 ? paint('red', String(n.failed)) : '',
        formatDuration(n.maxLatencyNs),
      ]);
    out.push(t.toString());
  }
  if (d.failedByResult.length > 0) {
    const t = table(['Failed lookups', 'count', 'e.g.'], paint, color, ['left', 'right', 'left']);
    for (const e of d.failedByResult) t.push([paint('red', e.error), String(e.count), e.examples.join(', ')]);
    out.push(t.toString());
  }
  if (d.unresolved.length > 0) {
    out.push(
      `  never resolved: ${d.unresolved.map((u) => `${u.name} (${u.error}${u.failed > 1 ? ` ×${u.failed}` : ''})`).join(', ')}`,
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
    if (wl.count > 0) out.push(`  reply latency: p50 ${q(wl.p50Ns)}, p95 ${q(wl.p95Ns)}, max ${q(wl.maxNs)}`);
    if (w.servers.length > 0) {
      const t = table(['Resolver', 'queries', 'failed', 'max'], paint, color, ['left', 'right', 'right', 'right']);
      for (const s of w.servers)
        t.push([
          `${s.server}${s.port === 53 ? '' : `:${s.port}`}`,
          String(s.queries),
          s.failed > 0 ? paint('red', String(s.failed)) : '',
          q(s.maxLatencyNs),
        ]);
      out.push(t.toString());
    }
    if (w.failedByOutcome.length > 0) {
      const t = table(['Failed queries', 'count', 'e.g.'], paint, color, ['left', 'right', 'left']);
      for (const e of w.failedByOutcome) t.push([paint('red', e.outcome), String(e.count), e.examples.join(', ')]);
      out.push(t.toString());
    }
    if (w.unresolved.length > 0) {
      out.push(
        `  never resolved on the wire: ${w.unresolved.map((u) => `${u.name || '(unparsed)'} (${u.outcome}${u.failed > 1 ? ` ×${u.failed}` : ''})`).join(', ')}`,
      );
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
const SECTIONS: Section[] = [
  overviewSection,
  commandsSection('Top commands by count', (r) => r.topByCount),
  commandsSection('Top commands by cumulative time', (r) => r.topByTime),
  slowestSection,
  failuresSection,
  failedExecsSection,
  filesSection,
  cpuSection,
  memorySection,
  histogramSection,
  networkSection,
  dnsSection,
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
