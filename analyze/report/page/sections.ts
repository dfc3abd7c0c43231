// The page's text sections, built with DOM calls and textContent only (every string
// comes from the capture: never markup). Figures come from the embedded `stats --json`.

import { commandText, formatBytes, formatDuration, formatKib, formatOffset, visible } from './format.ts';
import { execArgv, type PageModel, resolveEnv, rowCommand, str } from './model.ts';
import { Outcome, type ReportData } from './schema.ts';
import { OUTCOME_NAMES } from './timeline.ts';

type Stats = ReportData['stats'];

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(typeof c === 'string' ? document.createTextNode(visible(c)) : c);
  return e;
}

export interface Column<T> {
  title: string;
  cell: (row: T) => string;
  numeric?: boolean;
}

/** A table with a `data-table` name; rows with a process id get `data-process-id` (a click shows it). */
export function table<T>(name: string, columns: Column<T>[], rows: readonly T[], processId?: (row: T) => number): Node {
  if (rows.length === 0) return el('p', { class: 'empty', 'data-table': name }, '(none)');
  const head = el('tr', {}, ...columns.map((c) => el('th', c.numeric ? { class: 'num' } : {}, c.title)));
  const body = el('tbody');
  for (const r of rows) {
    const tr = el('tr', {}, ...columns.map((c) => el('td', c.numeric ? { class: 'num' } : {}, c.cell(r))));
    if (processId !== undefined) {
      tr.dataset.processId = String(processId(r));
      tr.classList.add('link');
    }
    body.append(tr);
  }
  return el('table', { 'data-table': name }, el('thead', {}, head), body);
}

export function section(id: string, title: string, ...children: Node[]): HTMLElement {
  return el('section', { id, 'data-section': id }, el('h2', {}, title), ...children);
}

function facts(pairs: [string, string][]): Node {
  const dl = el('dl', { class: 'facts' });
  for (const [k, v] of pairs) dl.append(el('dt', {}, k), el('dd', {}, v));
  return dl;
}

const num = (n: number): string => n.toLocaleString('en-US');
const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

// ---------------------------------------------------------------- header

export function headerSection(d: ReportData): HTMLElement {
  const h = d.header;
  const t = h.truncation;
  const out = el('header', { id: 'overview', 'data-section': 'overview' });
  out.append(el('h1', {}, commandText(h.command.length > 0 ? h.command : ['(unknown command)'])));
  const s = d.stats.overview;
  out.append(
    facts([
      ['host', h.host],
      ['kernel', h.kernel],
      ['start', h.start],
      ['duration', `${formatDuration(h.durationNs)}${h.complete ? '' : ' (capture did not finish)'}`],
      ['processes', num(s.processes)],
      ['execs', num(s.execs)],
      ['failures', num(s.failures)],
      ['peak concurrency', num(s.peakConcurrency)],
    ]),
  );
  const alerts: string[] = [];
  if (h.lossMessage !== null) alerts.push(h.lossMessage);
  else alerts.push('no records lost');
  if (t.argv + t.env + t.paths > 0) {
    alerts.push(
      `truncated: ${num(t.argv)} command lines, ${num(t.env)} environments, ${num(t.paths)} paths (over the capture's size limits)`,
    );
  } else alerts.push('nothing truncated');
  if (!h.complete) alerts.push('the file has no footer: the capture was cut short; the last events may be missing');
  if (h.stillRunning !== null && h.stillRunning > 0)
    alerts.push(`${num(h.stillRunning)} processes still running at the end`);
  for (const w of h.warnings) alerts.push(`warning: ${w}`);
  alerts.push(
    h.redacted
      ? 'command lines and environment values went through the secret rules (secrets masked)'
      : 'NOT redacted (--no-redact): command lines and environments as captured',
  );
  const lossy = h.lost > 0 || t.argv + t.env + t.paths > 0 || !h.complete;
  out.append(
    el('ul', { class: lossy ? 'alerts bad' : 'alerts', 'data-alerts': '' }, ...alerts.map((a) => el('li', {}, a))),
  );
  return out;
}

// ---------------------------------------------------------------- failures

export function failuresSection(d: ReportData): HTMLElement {
  const list = el('ol', { class: 'failures', 'data-table': 'failures' });
  for (const f of d.stats.failures) {
    const status = f.signal !== null ? `${f.signal}${f.coreDumped ? ' (core dumped)' : ''}` : `exit ${f.exitCode}`;
    const cmd = f.argv.length > 0 ? commandText(f.argv) : `(fork of ${f.forkOf ?? '?'})`;
    const li = el(
      'li',
      { class: f.leaf ? 'link leaf' : 'link' },
      el('span', { class: 'status' }, status),
      ' ',
      el('span', { class: 'cmd' }, cmd),
      el('div', { class: 'ancestry' }, [...f.ancestors, `pid ${f.pid}`].join(' › ')),
      el(
        'div',
        { class: 'when' },
        `at ${formatOffset(f.startNs)}, ran ${formatDuration(f.durationNs)}${f.leaf ? ', nothing below it failed: a likely cause' : ''}`,
      ),
    );
    li.dataset.processId = String(f.processId);
    list.append(li);
  }
  const children: Node[] = [d.stats.failures.length === 0 ? el('p', { class: 'empty' }, 'No process failed.') : list];
  if (d.stats.failedExecs.length > 0) {
    children.push(
      el('h3', {}, 'Failed execs'),
      table(
        'failed-execs',
        [
          { title: 'path', cell: (r) => r.path },
          { title: 'error', cell: (r) => r.errno },
          { title: 'attempts', cell: (r) => num(r.count), numeric: true },
          { title: 'final', cell: (r) => num(r.final), numeric: true },
        ],
        d.stats.failedExecs,
      ),
    );
  }
  if (d.stats.issues.length > 0) {
    children.push(
      el('h3', {}, 'Potential issues'),
      el(
        'ul',
        { class: 'issues', 'data-table': 'issues' },
        ...d.stats.issues.map((i) => el('li', { class: i.severity }, `${i.severity}: ${i.message}`)),
      ),
    );
  }
  return section('failures', `Failures (${num(d.stats.failures.length)})`, ...children);
}

// ---------------------------------------------------------------- stats sections

export function commandsSection(s: Stats): HTMLElement {
  const cols = [
    { title: 'command', cell: (r: Stats['topByTime'][number]) => r.name },
    { title: 'count', cell: (r: Stats['topByTime'][number]) => num(r.count), numeric: true },
    { title: 'total', cell: (r: Stats['topByTime'][number]) => formatDuration(r.totalNs), numeric: true },
    { title: 'max', cell: (r: Stats['topByTime'][number]) => formatDuration(r.maxNs), numeric: true },
    { title: 'failed', cell: (r: Stats['topByTime'][number]) => num(r.failed), numeric: true },
  ];
  return section(
    'commands',
    'Top commands',
    el('h3', {}, 'By total time'),
    table('top-by-time', cols, s.topByTime),
    el('h3', {}, 'By count'),
    table('top-by-count', cols, s.topByCount),
  );
}

export function slowestSection(s: Stats): HTMLElement {
  type P = Stats['slowest'][number];
  const cols = [
    { title: 'pid', cell: (r: P) => String(r.pid), numeric: true },
    { title: 'duration', cell: (r: P) => formatDuration(r.durationNs), numeric: true },
    { title: 'start', cell: (r: P) => formatOffset(r.startNs), numeric: true },
    { title: 'status', cell: (r: P) => r.status ?? 'ok' },
    { title: 'command', cell: (r: P) => (r.argv.length > 0 ? commandText(r.argv) : `(fork of ${r.forkOf ?? '?'})`) },
  ];
  const children: Node[] = [table('slowest', cols, s.slowest, (r) => r.processId)];
  if (s.cpu.processesWithUsage > 0) {
    children.push(
      el(
        'h3',
        {},
        `CPU: ${formatDuration(s.cpu.totalNs)} in all, ${s.cpu.averageCpus.toFixed(2)} CPUs busy on average`,
      ),
      table(
        'cpu-top',
        [
          { title: 'pid', cell: (r) => String(r.pid), numeric: true },
          { title: 'cpu', cell: (r) => formatDuration(r.cpuNs), numeric: true },
          { title: 'share', cell: (r) => pct(r.share), numeric: true },
          { title: 'command', cell: (r) => (r.argv.length > 0 ? commandText(r.argv) : `(fork of ${r.forkOf ?? '?'})`) },
        ],
        s.cpu.topProcesses,
        (r) => r.processId,
      ),
    );
  }
  if (s.memory.processesWithUsage > 0) {
    children.push(
      el('h3', {}, 'Peak memory'),
      table(
        'memory-top',
        [
          { title: 'pid', cell: (r) => String(r.pid), numeric: true },
          { title: 'max RSS', cell: (r) => formatKib(r.maxRssKib), numeric: true },
          { title: 'command', cell: (r) => (r.argv.length > 0 ? commandText(r.argv) : `(fork of ${r.forkOf ?? '?'})`) },
        ],
        s.memory.top,
        (r) => r.processId,
      ),
    );
  }
  return section('slowest', 'Slowest processes', ...children);
}

export function filesSection(s: Stats): HTMLElement {
  const f = s.files;
  if (!f.recorded)
    return section('files', 'Files', el('p', { class: 'empty' }, 'File opens were not recorded (capture --files).'));
  const paths = [
    { title: 'path', cell: (r: Stats['files']['topPaths'][number]) => r.path },
    { title: 'opens', cell: (r: Stats['files']['topPaths'][number]) => num(r.count), numeric: true },
    { title: 'processes', cell: (r: Stats['files']['topPaths'][number]) => num(r.processes), numeric: true },
  ];
  return section(
    'files',
    'Files',
    facts([
      ['opens', num(f.opens)],
      ['failed', num(f.failed)],
      ['distinct paths', num(f.distinctPaths)],
    ]),
    el('h3', {}, 'Most opened'),
    table('files-top', paths, f.topPaths),
    el('h3', {}, 'Written'),
    table('files-written', paths, f.written),
    el('h3', {}, 'Failed opens'),
    table(
      'files-failed',
      [
        { title: 'error', cell: (r) => r.errno },
        { title: 'count', cell: (r) => num(r.count), numeric: true },
        { title: 'examples', cell: (r) => r.examples.join(', ') },
      ],
      f.failedByErrno,
    ),
  );
}

export function networkSection(s: Stats): HTMLElement {
  const n = s.network;
  if (!n.recorded)
    return section(
      'network',
      'Network',
      el('p', { class: 'empty' }, 'TCP connections were not recorded (capture --net).'),
    );
  const lat = n.connectLatency;
  return section(
    'network',
    'Network',
    facts([
      ['connections', num(n.connections)],
      ['client / server', `${num(n.client)} / ${num(n.server)}`],
      ['failed', num(n.failed)],
      ['open at the end', num(n.openAtEnd)],
      ['sent / received', `${formatBytes(n.bytesSent)} / ${formatBytes(n.bytesReceived)}`],
      ['retransmits', num(n.retransmits)],
      [
        'connect latency p50 / p95 / max',
        [lat.p50Ns, lat.p95Ns, lat.maxNs].map((v) => (v === null ? '-' : formatDuration(v))).join(' / '),
      ],
    ]),
    el('h3', {}, 'Peers'),
    table(
      'net-peers',
      [
        { title: 'peer', cell: (r) => r.peer },
        { title: 'role', cell: (r) => r.role },
        { title: 'connections', cell: (r) => num(r.count), numeric: true },
        { title: 'failed', cell: (r) => num(r.failed), numeric: true },
        { title: 'processes', cell: (r) => num(r.processes), numeric: true },
        { title: 'sent', cell: (r) => formatBytes(r.bytesSent), numeric: true },
        { title: 'received', cell: (r) => formatBytes(r.bytesReceived), numeric: true },
      ],
      n.byPeer,
    ),
    el('h3', {}, 'Failed connects'),
    table(
      'net-failed',
      [
        { title: 'error', cell: (r) => r.errno },
        { title: 'count', cell: (r) => num(r.count), numeric: true },
        { title: 'examples', cell: (r) => r.examples.join(', ') },
      ],
      n.failedByErrno,
    ),
  );
}

export function dnsSection(s: Stats): HTMLElement {
  const d = s.dns;
  const w = d.wire;
  if (!d.recorded && !w.recorded)
    return section('dns', 'DNS', el('p', { class: 'empty' }, 'Name lookups were not recorded (capture --dns).'));
  const ms = (v: number | null): string => (v === null ? '-' : formatDuration(v));
  return section(
    'dns',
    'DNS',
    facts([
      ['lookups (getaddrinfo)', num(d.lookups)],
      ['failed', num(d.failed)],
      ['names', num(d.names)],
      ['latency p50 / p95 / max', `${ms(d.latency.p50Ns)} / ${ms(d.latency.p95Ns)} / ${ms(d.latency.maxNs)}`],
      ['queries on the wire', num(w.queries)],
      ['answered / failed', `${num(w.answered)} / ${num(w.failed)}`],
    ]),
    el('h3', {}, 'Names'),
    table(
      'dns-names',
      [
        { title: 'name', cell: (r) => r.name },
        { title: 'lookups', cell: (r) => num(r.count), numeric: true },
        { title: 'failed', cell: (r) => num(r.failed), numeric: true },
        { title: 'max latency', cell: (r) => formatDuration(r.maxLatencyNs), numeric: true },
      ],
      d.byName,
    ),
    el('h3', {}, 'Failed lookups'),
    table(
      'dns-failed',
      [
        { title: 'error', cell: (r) => r.error },
        { title: 'count', cell: (r) => num(r.count), numeric: true },
        { title: 'examples', cell: (r) => r.examples.join(', ') },
      ],
      d.failedByResult,
    ),
    el('h3', {}, 'DNS servers'),
    table(
      'dns-servers',
      [
        { title: 'server', cell: (r) => `${r.server}:${r.port}` },
        { title: 'queries', cell: (r) => num(r.queries), numeric: true },
        { title: 'failed', cell: (r) => num(r.failed), numeric: true },
        { title: 'max latency', cell: (r) => ms(r.maxLatencyNs), numeric: true },
      ],
      w.servers,
    ),
  );
}

export function criticalSection(m: PageModel): HTMLElement | null {
  const c = m.data.critical;
  if (c === null) return null;
  const wall = c.end - c.start;
  const rows = new Set<number>();
  for (let i = 0; i < c.segments.length; i += 2) rows.add(c.segments[i]!);
  const children: Node[] = [
    el(
      'p',
      {},
      `The root ran ${formatDuration(wall)}${c.rootEnded ? '' : ' (it had not ended when the capture stopped)'}; ` +
        `${rows.size.toLocaleString('en-US')} processes are on the chain that bounded it (outlined on the timeline). ` +
        'Own time on the path per image, largest first: making one of these faster shortens the run, making anything else faster does not.',
    ),
  ];
  if (c.unknownEnds > 0) {
    children.push(
      el(
        'p',
        { class: 'warn' },
        `${num(c.unknownEnds)} processes without an exit record could not be placed: the path may be incomplete.`,
      ),
    );
  }
  children.push(
    table(
      'critical',
      [
        { title: 'own time', cell: (r) => formatDuration(r.selfNs), numeric: true },
        { title: 'share', cell: (r) => (wall > 0 ? pct(r.selfNs / wall) : '-'), numeric: true },
        { title: 'pid', cell: (r) => String(m.data.processes.pid[r.row] ?? '?'), numeric: true },
        { title: 'image', cell: (r) => r.label },
      ],
      c.images,
      (r) => m.data.processes.id[r.row] ?? -1,
    ),
  );
  if (c.imagesTotal > c.images.length) {
    children.push(
      el('p', { class: 'empty' }, `… and ${num(c.imagesTotal - c.images.length)} more images with less own time.`),
    );
  }
  return section('critical', `Critical path (${formatDuration(wall)})`, ...children);
}

// ---------------------------------------------------------------- details of one process

export function processDetails(m: PageModel, r: number): Node {
  const p = m.data.processes;
  const end = m.end[r]!;
  const status = p.status[r]! >= 0 ? str(m, p.status[r]!) : 'exit 0';
  const parent = p.parent[r]!;
  const out = el('div', { class: 'details', 'data-row': String(r) });
  out.append(el('h3', {}, rowCommand(m, r)));
  const pairs: [string, string][] = [
    ['pid', String(p.pid[r])],
    ['parent', parent >= 0 ? `${p.pid[parent]} (${rowCommand(m, parent).slice(0, 120)})` : '(outside the capture)'],
    ['start', formatOffset(p.start[r]!)],
    ['duration', end >= 0 ? formatDuration(end - p.start[r]!) : `${formatDuration(m.timeEnd - p.start[r]!)}+ (no end)`],
    ['outcome', p.outcome[r] === Outcome.ok ? status : `${status} (${OUTCOME_NAMES[p.outcome[r]!] ?? '?'})`],
    ['CPU', p.cpu[r]! >= 0 ? formatDuration(p.cpu[r]!) : 'not recorded'],
    ['max RSS', p.rss[r]! >= 0 ? formatKib(p.rss[r]!) : 'not recorded'],
    ['file opens', `${num(p.opens[r]!)} (${num(p.failedOpens[r]!)} failed)`],
    ['connections', `${num(p.connections[r]!)} (${num(p.failedConnections[r]!)} failed)`],
    ['children', num(m.subtreeEnd[r]! - r - 1)],
  ];
  out.append(facts(pairs));
  const lists: [string, number[]][] = [
    ['Failed opens', p.failedOpenList[r]!],
    ['Network', p.netList[r]!],
  ];
  for (const [title, list] of lists) {
    if (list.length === 0) continue;
    out.append(el('h4', {}, title), el('ul', {}, ...list.map((i) => el('li', {}, str(m, i)))));
  }
  const execs = p.execs[r]!;
  execs.forEach((x, k) => {
    const box = el('div', { class: 'exec' });
    box.append(
      el('h4', {}, `exec ${k + 1} of ${execs.length} at ${formatOffset(p.start[r]! + x[0]!)}`),
      facts([
        ['argv', commandText(execArgv(m, x))],
        ['exe', str(m, x[1]!)],
        ['cwd', str(m, x[2]!)],
      ]),
    );
    if (x[3]! >= 0) {
      const env = resolveEnv(m, x[3]!);
      const details = el(
        'details',
        {},
        el('summary', {}, `environment (${env.length} variables${m.data.header.redacted ? ', secrets masked' : ''})`),
      );
      details.append(el('pre', {}, env.map(([k2, v]) => `${k2}=${v}`).join('\n')));
      box.append(details);
    }
    out.append(box);
  });
  return out;
}
