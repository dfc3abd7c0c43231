// The `stats` diagnose report: figures computed with SQL on the replay
// database (plus a concurrency sweep), rendered as cli-table3 tables or JSON.
// Later sections (network, DNS, files, CPU) add a field to StatsReport, a
// query in computeStats and a renderer in SECTIONS.

import Table from 'cli-table3';
import type { Db } from './db.ts';
import { basename, commandLine, formatDuration, formatOffset, isoTime, type Paint, statusText } from './format.ts';
import type { CaptureInfo, ProcInfo } from './replay.ts';

export const STATS_JSON_VERSION = 1;

export interface CommandStat {
  /** Executable path. */
  exe: string;
  /** Name shown: the exe's basename (the full path when two exes share it), after the usual argv[0] when that differs. */
  name: string;
  count: number;
  totalNs: number;
  maxNs: number;
  failed: number;
}

export interface ProcessStat {
  processId: number;
  pid: number;
  startNs: number;
  durationNs: number;
  status: string | null;
  argv: string[];
  /** For a process that never exec'd: the image it was forked from. */
  forkOf: string | null;
}

export interface FailureStat extends ProcessStat {
  exitCode: number | null;
  signal: string | null;
  coreDumped: boolean;
  /** Image names from the root down to the failing process's parent. */
  ancestors: string[];
  /** No process below this one failed: a likely cause rather than a consequence. */
  leaf: boolean;
}

export interface FailedExecStat {
  path: string;
  errno: string;
  count: number;
  /** Attempts not followed by a successful exec in the same process. */
  final: number;
}

export interface TimelineBucket {
  startNs: number;
  max: number;
  avg: number;
}

export interface Issue {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
}

export interface StatsReport {
  format: 'ptrace-stats';
  version: number;
  overview: {
    path: string;
    command: string[];
    startTime: string;
    wallTimeNs: number;
    complete: boolean;
    processes: number;
    execs: number;
    failures: number;
    failedExecs: number;
    lostRecords: number;
    peakConcurrency: number;
    peakAtNs: number;
    threads: number;
  };
  topByCount: CommandStat[];
  topByTime: CommandStat[];
  slowest: ProcessStat[];
  failures: FailureStat[];
  failedExecs: FailedExecStat[];
  timeline: { bucketNs: number; buckets: TimelineBucket[] };
  issues: Issue[];
}

const TOP = 10;
const BUCKETS = 30;

export function computeStats(db: Db, capture: CaptureInfo, processes: readonly ProcInfo[]): StatsReport {
  const t0 = capture.startNs;
  const end = t0 + BigInt(capture.end);
  const q = <T>(sql: string, params: Record<string, unknown> = {}): T[] => db.prepare(sql).all(params) as T[];
  const one = <T>(sql: string): T => db.prepare(sql).pluck().get() as T;

  const imagesCte = `
    WITH images AS (
      SELECT x.exe,
             coalesce(lead(x.time_ns) OVER (PARTITION BY x.process_id ORDER BY x.seq), p.end_ns, :end) - x.time_ns AS dur,
             (x.seq = p.exec_count - 1 AND p.state = 'exited'
              AND (p.signal IS NOT NULL OR coalesce(p.exit_code, 0) != 0)) AS failed
      FROM execs x JOIN processes p ON p.id = x.process_id
    )`;
  const commandRows = (order: string): CommandStat[] =>
    q<{ exe: string; count: number; totalNs: number; maxNs: number; failed: number }>(
      `${imagesCte}
       SELECT exe, count(*) AS count, sum(dur) AS totalNs, max(dur) AS maxNs, sum(failed) AS failed
       FROM images GROUP BY exe ORDER BY ${order}, exe LIMIT ${TOP}`,
      { end },
    ).map((r) => ({ ...r, name: basename(r.exe) }));
  // The argv[0] most used with each exe (cc for x86_64-linux-gnu-gcc-12).
  const argv0 = new Map<string, string>();
  for (const r of db
    .prepare(
      `SELECT exe, json_extract(argv_json, '$[0]') AS a0, count(*) AS n FROM execs
       GROUP BY exe, a0 ORDER BY n DESC, a0`,
    )
    .raw(true)
    .all() as [string, string | null, number][]) {
    if (!argv0.has(r[0]) && r[1] !== null) argv0.set(r[0], basename(r[1]));
  }
  const topByCount = commandRows('count DESC, totalNs DESC');
  const topByTime = commandRows('totalNs DESC, count DESC');
  for (const list of [topByCount, topByTime]) {
    const seen = new Map<string, number>();
    for (const c of list) seen.set(c.name, (seen.get(c.name) ?? 0) + 1);
    for (const c of list) {
      if (seen.get(c.name)! > 1) c.name = c.exe;
      const a0 = argv0.get(c.exe);
      if (a0 !== undefined && a0 !== '' && a0 !== basename(c.exe)) c.name = `${a0} (${c.name})`;
    }
  }

  type Row = {
    processId: number;
    pid: number;
    startNs: number;
    durationNs: number;
    state: string;
    exitCode: number | null;
    signal: number | null;
    signalName: string | null;
    coreDumped: number;
    argv: string | null;
  };
  const processSelect = `
    SELECT p.id AS processId, p.pid, p.start_ns - :t0 AS startNs, coalesce(p.end_ns, :end) - p.start_ns AS durationNs,
           p.state, p.exit_code AS exitCode, p.signal, p.signal_name AS signalName, p.core_dumped AS coreDumped,
           x.argv_json AS argv
    FROM processes p LEFT JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1`;
  const byId = new Map(processes.map((p) => [p.id, p]));
  const names = imageNames(db);
  const nameOf = (id: number): string => {
    const own = names.get(id);
    if (own !== undefined) return own;
    for (let a = byId.get(id)?.parentId ?? null, i = 0; a !== null && i < 1000; a = byId.get(a)?.parentId ?? null, i++) {
      const n = names.get(a);
      if (n !== undefined) return `(fork of ${n})`;
    }
    return `pid ${byId.get(id)?.pid ?? '?'}`;
  };
  const toStat = (r: Row): ProcessStat => ({
    processId: r.processId,
    pid: r.pid,
    startNs: r.startNs,
    durationNs: r.durationNs,
    status: statusText({ ...r, coreDumped: r.coreDumped === 1 }),
    argv: r.argv === null ? [] : (JSON.parse(r.argv) as string[]),
    forkOf: r.argv === null ? nameOf(r.processId).replace(/^\(fork of (.*)\)$/, '$1') : null,
  });
  const slowest = q<Row>(`${processSelect} ORDER BY durationNs DESC, p.start_ns, p.pid LIMIT ${TOP}`, { t0, end }).map(toStat);

  const failures = q<Row>(
    `${processSelect}
     WHERE p.state = 'exited' AND (p.signal IS NOT NULL OR coalesce(p.exit_code, 0) != 0)
     ORDER BY p.start_ns, p.pid, p.id`,
    { t0, end },
  ).map((r): FailureStat => {
    const ancestors: string[] = [];
    for (let a = byId.get(r.processId)?.parentId ?? null; a !== null; a = byId.get(a)?.parentId ?? null) {
      ancestors.unshift(nameOf(a));
      if (ancestors.length > 1000) break;
    }
    return {
      ...toStat(r),
      exitCode: r.exitCode,
      signal: r.signal === null ? null : (r.signalName ?? `signal ${r.signal}`),
      coreDumped: r.coreDumped === 1,
      ancestors,
      leaf: true,
    };
  });
  const failedIds = new Map(failures.map((f) => [f.processId, f]));
  for (const f of failures) {
    for (let a = byId.get(f.processId)?.parentId ?? null, i = 0; a !== null && i < 1000; a = byId.get(a)?.parentId ?? null, i++) {
      const up = failedIds.get(a);
      if (up !== undefined) up.leaf = false;
    }
  }

  const failedExecs = q<FailedExecStat>(
    `SELECT f.path, f.errno_name AS errno, count(*) AS count,
            sum(NOT EXISTS (SELECT 1 FROM execs x WHERE x.process_id = f.process_id AND x.time_ns >= f.time_ns)) AS final
     FROM exec_failures f GROUP BY f.path, f.errno_name ORDER BY final DESC, count DESC, f.path, f.errno_name`,
  );

  const { peak, peakAt, timeline } = concurrency(processes, capture.end);
  const overview: StatsReport['overview'] = {
    path: capture.path,
    command: capture.command,
    startTime: isoTime(capture.startNs),
    wallTimeNs: capture.end,
    complete: capture.complete,
    processes: processes.length,
    execs: one<number>('SELECT count(*) FROM execs'),
    failures: failures.length,
    failedExecs: one<number>('SELECT count(*) FROM exec_failures'),
    lostRecords: capture.lost,
    peakConcurrency: peak,
    peakAtNs: peakAt,
    threads: one<number>('SELECT coalesce(sum(threads - 1), 0) FROM processes'),
  };
  const truncation = db
    .prepare(
      `SELECT sum(argv_truncated) AS argv, sum(env_truncated) AS env,
              sum(exe_truncated OR filename_truncated OR cwd_truncated) AS paths FROM execs`,
    )
    .get() as { argv: number | null; env: number | null; paths: number | null };
  const lossByCategory = q<{ name: string; n: number }>(
    'SELECT category_name AS name, max(count) AS n FROM losses GROUP BY category ORDER BY category',
  );
  const unknown = processes.filter((p) => p.state === 'unknown').length;
  const running = processes.filter((p) => p.state === 'running').length;

  return {
    format: 'ptrace-stats',
    version: STATS_JSON_VERSION,
    overview,
    topByCount,
    topByTime,
    slowest,
    failures,
    failedExecs,
    timeline,
    issues: issues({ capture, failures, failedExecs, truncation, lossByCategory, running, unknown }),
  };
}

/** Name of each process's last image (argv[0] basename), for ancestor chains. */
function imageNames(db: Db): Map<number, string> {
  const out = new Map<number, string>();
  const rows = db
    .prepare(
      `SELECT p.id, json_extract(x.argv_json, '$[0]'), x.exe
       FROM processes p LEFT JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1`,
    )
    .raw(true)
    .all() as [number, string | null, string | null][];
  for (const [id, argv0, exe] of rows) {
    if (argv0 !== null || exe !== null) out.set(id, basename(argv0 || exe || '?'));
  }
  return out;
}

/** Live processes over time: the peak, and per-bucket max and time-weighted average. */
export function concurrency(
  processes: readonly Pick<ProcInfo, 'start' | 'end'>[],
  captureEnd: number,
  buckets = BUCKETS,
): { peak: number; peakAt: number; timeline: { bucketNs: number; buckets: TimelineBucket[] } } {
  const points: [number, number][] = [];
  for (const p of processes) {
    points.push([p.start, 1]);
    points.push([p.end ?? Math.max(captureEnd, p.start), -1]);
  }
  // Ends before starts at the same instant: a process replaced by another is not counted twice.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let live = 0;
  let peak = 0;
  let peakAt = 0;
  // Loops, not Math.min(...spread): a spread of 200,000 arguments overflows the stack.
  let first = 0;
  let last = captureEnd;
  for (const [at] of points) {
    if (at < first) first = at;
    if (at > last) last = at;
  }
  const span = Math.max(1, last - first);
  const bucketNs = Math.ceil(span / buckets);
  const out: TimelineBucket[] = Array.from({ length: buckets }, (_, i) => ({ startNs: first + i * bucketNs, max: 0, avg: 0 }));
  const weighted = new Float64Array(buckets);
  let t = first;
  const advance = (to: number): void => {
    // Time-weighted live count from t to `to`.
    while (t < to) {
      const b = Math.min(buckets - 1, Math.floor((t - first) / bucketNs));
      const bEnd = b === buckets - 1 ? to : Math.min(to, first + (b + 1) * bucketNs);
      weighted[b]! += live * (bEnd - t);
      if (live > out[b]!.max) out[b]!.max = live;
      t = bEnd;
    }
  };
  for (const [at, d] of points) {
    advance(at);
    live += d;
    if (live > peak) {
      peak = live;
      peakAt = at;
    }
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((at - first) / bucketNs)));
    if (live > out[b]!.max) out[b]!.max = live;
  }
  advance(last);
  out.forEach((b, i) => {
    const len = i === buckets - 1 ? Math.max(1, last - b.startNs) : bucketNs;
    b.avg = Math.round((weighted[i]! / len) * 100) / 100;
  });
  return { peak, peakAt, timeline: { bucketNs, buckets: out } };
}

function issues(x: {
  capture: CaptureInfo;
  failures: FailureStat[];
  failedExecs: FailedExecStat[];
  truncation: { argv: number | null; env: number | null; paths: number | null };
  lossByCategory: { name: string; n: number }[];
  running: number;
  unknown: number;
}): Issue[] {
  const out: Issue[] = [];
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
  if (!x.capture.complete) {
    out.push({ severity: 'warning', code: 'no-footer', message: 'the file has no footer: the capture did not finish (crash, SIGKILL or full disk); figures cover what was written' });
  }
  const signalled = x.failures.filter((f) => f.signal !== null);
  if (x.failures.length > 0) {
    const leaves = x.failures.filter((f) => f.leaf);
    const shown = leaves.slice(0, 3).map((f) => `${shortCmd(f)} (${f.status})`).join(', ');
    out.push({
      severity: 'error',
      code: 'failures',
      message: `${plural(x.failures.length, 'process')} failed${signalled.length > 0 ? ` (${signalled.length} by a signal)` : ''}; where it started: ${shown}${leaves.length > 3 ? `, and ${leaves.length - 3} more` : ''}`,
    });
  }
  for (const s of signalled.filter((f) => f.coreDumped)) {
    out.push({ severity: 'error', code: 'core-dumped', message: `pid ${s.pid} dumped core (${s.signal})` });
  }
  const finalFailed = x.failedExecs.reduce((s, f) => s + f.final, 0);
  const searchMisses = x.failedExecs.reduce((s, f) => s + f.count - f.final, 0);
  if (finalFailed > 0) {
    const f = x.failedExecs[0]!;
    out.push({
      severity: 'warning',
      code: 'failed-execs',
      message: `${plural(finalFailed, 'exec attempt')} failed with no successful exec after (e.g. ${f.path}: ${f.errno})`,
    });
  }
  if (searchMisses > 0) {
    out.push({ severity: 'info', code: 'exec-search', message: `${plural(searchMisses, 'failed exec attempt')} followed by a successful exec (PATH search)` });
  }
  for (const l of x.lossByCategory) {
    if (l.n > 0) out.push({ severity: 'warning', code: 'loss', message: `${l.n} ${l.name} records lost: the tree may miss processes or details` });
  }
  if (x.capture.lost > 0 && x.lossByCategory.length === 0) {
    out.push({ severity: 'warning', code: 'loss', message: `${x.capture.lost} records lost` });
  }
  const t = x.truncation;
  if ((t.argv ?? 0) > 0) out.push({ severity: 'warning', code: 'argv-truncated', message: `${plural(t.argv!, 'exec')} with argv cut at the capture's args limit` });
  if ((t.env ?? 0) > 0) out.push({ severity: 'warning', code: 'env-truncated', message: `${plural(t.env!, 'exec')} with the environment cut at the capture's args limit` });
  if ((t.paths ?? 0) > 0) out.push({ severity: 'warning', code: 'path-truncated', message: `${plural(t.paths!, 'exec')} with a truncated path` });
  if (x.running > 0) out.push({ severity: 'warning', code: 'still-running', message: `${plural(x.running, 'process')} still running when the capture stopped` });
  if (x.unknown > 0) out.push({ severity: 'warning', code: 'no-exit', message: `${plural(x.unknown, 'process')} without an exit record (lost, or the file ends early)` });
  for (const w of x.capture.warnings) {
    if (w.code === 'no-footer') continue;
    out.push({ severity: 'warning', code: `reader:${w.code}`, message: w.message });
  }
  return out;
}

// ---------------------------------------------------------------- text

function table(head: string[], paint: Paint, color: boolean, aligns?: ('left' | 'right')[]): Table.Table {
  return new Table({
    head: head.map((h) => paint('bold', h)),
    ...(aligns === undefined ? {} : { colAligns: aligns }),
    style: { head: [], border: color ? ['grey'] : [], compact: true },
  });
}

const cmd = (p: ProcessStat): string =>
  p.argv.length > 0 ? commandLine(p.argv, { full: false, max: 70 }) : p.forkOf !== null ? `(fork of ${p.forkOf})` : `(pid ${p.pid})`;

const shortCmd = (p: ProcessStat): string =>
  p.argv.length > 0 ? commandLine(p.argv, { full: false, max: 40, maxArg: 24 }) : cmd(p);

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
    ['failed execs', String(o.failedExecs)],
    ['lost records', o.lostRecords > 0 ? paint('yellow', String(o.lostRecords)) : '0'],
    ['peak concurrency', `${o.peakConcurrency} at ${formatOffset(o.peakAtNs)}`],
  );
  return [t.toString()];
};

const commandsSection = (title: string, pick: (r: StatsReport) => CommandStat[]): Section => (r, paint, color) => {
  const list = pick(r);
  if (list.length === 0) return [];
  const t = table([title, 'count', 'total', 'max', 'failed'], paint, color, ['left', 'right', 'right', 'right', 'right']);
  for (const c of list) {
    t.push([c.name, String(c.count), formatDuration(c.totalNs), formatDuration(c.maxNs), c.failed > 0 ? paint('red', String(c.failed)) : '']);
  }
  return [t.toString()];
};

const slowestSection: Section = (r, paint, color) => {
  if (r.slowest.length === 0) return [];
  const t = table(['Slowest processes', 'pid', 'start', 'duration', 'status'], paint, color, ['left', 'right', 'right', 'right', 'left']);
  for (const p of r.slowest) {
    t.push([cmd(p), String(p.pid), formatOffset(p.startNs), formatDuration(p.durationNs), p.status ?? '']);
  }
  return [t.toString()];
};

const failuresSection: Section = (r, paint, color) => {
  if (r.failures.length === 0) return [];
  const t = table(['Failures', 'pid', 'status', 'duration', 'ancestors'], paint, color, ['left', 'right', 'left', 'right', 'left']);
  for (const f of r.failures) {
    t.push([
      cmd(f),
      String(f.pid),
      paint(f.signal !== null ? ['magenta', 'bold'] : ['red', 'bold'], f.status ?? ''),
      formatDuration(f.durationNs),
      f.ancestors.length > 0 ? f.ancestors.join(' › ') : '(root)',
    ]);
  }
  return [t.toString()];
};

const failedExecsSection: Section = (r, paint, color) => {
  if (r.failedExecs.length === 0) return [];
  const t = table(['Failed exec attempts', 'errno', 'count', 'not retried'], paint, color, ['left', 'left', 'right', 'right']);
  for (const f of r.failedExecs.slice(0, TOP)) t.push([f.path, f.errno, String(f.count), f.final > 0 ? paint('red', String(f.final)) : '0']);
  const lines = [t.toString()];
  if (r.failedExecs.length > TOP) lines.push(paint('dim', `  … ${r.failedExecs.length - TOP} more paths`));
  return lines;
};

const BAR = 40;
const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

export function bar(value: number, max: number, width = BAR): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8];
}

const timelineSection: Section = (r, paint) => {
  const { bucketNs, buckets } = r.timeline;
  const max = Math.max(0, ...buckets.map((b) => b.max));
  if (max === 0) return [];
  const lines = [paint('bold', `Concurrency over time (live processes per ${formatDuration(bucketNs)}: bar = average, number = max)`)];
  for (const b of buckets) {
    lines.push(`  ${formatOffset(b.startNs).padStart(10)} │${paint('cyan', bar(b.avg, max).padEnd(BAR))}│ ${String(b.max).padStart(3)}`);
  }
  return lines;
};

const issuesSection: Section = (r, paint) => {
  const lines = [paint('bold', 'Potential issues')];
  if (r.issues.length === 0) lines.push('  none found');
  for (const i of r.issues) {
    const mark = i.severity === 'error' ? paint(['red', 'bold'], '✗') : i.severity === 'warning' ? paint('yellow', '!') : paint('dim', 'i');
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
  timelineSection,
  issuesSection,
];

/** The report as text lines (tables from cli-table3; no ANSI unless `color`). */
export function renderStats(r: StatsReport, paint: Paint, color: boolean): string[] {
  const out: string[] = [];
  for (const s of SECTIONS) {
    const lines = s(r, paint, color);
    if (lines.length === 0) continue;
    if (out.length > 0) out.push('');
    out.push(...lines.flatMap((l) => l.split('\n')));
  }
  return out;
}
