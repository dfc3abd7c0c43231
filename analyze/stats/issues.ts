// The issue finder: what in the report (and in the capture itself: losses,
// truncation, processes without an exit) is worth a look, most serious first.

import { formatDuration } from '../format.ts';
import type { ExecRow, LossRow } from '../replay/model.ts';
import type { StatsContext } from './context.ts';
import { shortCommandText } from './render.ts';
import type { Issue, StatsReport } from './types.ts';

/** A read/write/fsync p99 bucket reaching above 100 ms (bucket 26, [67 ms, 134 ms), or higher) is a slow-I/O issue. */
const SLOW_IO_NS = 100_000_000;

/** The parts of the report the issues are found in. */
export type IssueSources = Pick<StatsReport, 'failures' | 'failedExecs' | 'files' | 'histograms' | 'network' | 'dns'>;

export function findIssues(ctx: StatsContext, report: IssueSources): Issue[] {
  const { model, processes } = ctx;
  const x = {
    ...report,
    capture: ctx.capture,
    truncation: execTruncation(model.execs),
    lossByCategory: lossByCategory(model.losses),
    running: processes.filter((p) => p.state === 'running').length,
    unknown: processes.filter((p) => p.state === 'unknown').length,
  };
  const out: Issue[] = [];
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;
  const queries = (n: number): string => `${n} DNS quer${n === 1 ? 'y' : 'ies'}`;
  if (!x.capture.complete) {
    out.push({
      severity: 'warning',
      code: 'no-footer',
      message:
        'the file has no footer: the capture did not finish (crash, SIGKILL or full disk); figures cover what was written',
    });
  }
  const signalled = x.failures.filter((f) => f.signal !== null);
  if (x.failures.length > 0) {
    const leaves = x.failures.filter((f) => f.leaf);
    const shown = leaves
      .slice(0, 3)
      .map((f) => `${shortCommandText(f)} (${f.status})`)
      .join(', ');
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
    out.push({
      severity: 'info',
      code: 'exec-search',
      message: `${plural(searchMisses, 'failed exec attempt')} followed by a successful exec (PATH search)`,
    });
  }
  for (const l of x.lossByCategory) {
    if (l.n > 0)
      out.push({
        severity: 'warning',
        code: 'loss',
        message: `${l.n} ${l.name} records lost: the tree may miss processes or details`,
      });
  }
  if (x.capture.lost > 0 && x.lossByCategory.length === 0) {
    out.push({ severity: 'warning', code: 'loss', message: `${x.capture.lost} records lost` });
  }
  const t = x.truncation;
  if ((t.argv ?? 0) > 0)
    out.push({
      severity: 'warning',
      code: 'argv-truncated',
      message: `${plural(t.argv!, 'exec')} with argv cut at the capture's args limit`,
    });
  if ((t.env ?? 0) > 0)
    out.push({
      severity: 'warning',
      code: 'env-truncated',
      message: `${plural(t.env!, 'exec')} with the environment cut at the capture's args limit`,
    });
  if ((t.paths ?? 0) > 0)
    out.push({
      severity: 'warning',
      code: 'path-truncated',
      message: `${plural(t.paths!, 'exec')} with a truncated path`,
    });
  if (x.running > 0)
    out.push({
      severity: 'warning',
      code: 'still-running',
      message: `${plural(x.running, 'process')} still running when the capture stopped`,
    });
  if (x.unknown > 0)
    out.push({
      severity: 'warning',
      code: 'no-exit',
      message: `${plural(x.unknown, 'process')} without an exit record (lost, or the file ends early)`,
    });
  // Failed opens: ENOENT is routine (search paths, optional config files); other errors (EACCES…) rarely are.
  const serious = x.files.failedByErrno.filter((e) => e.errno !== 'ENOENT');
  const seriousCount = serious.reduce((s, e) => s + e.count, 0);
  if (seriousCount > 0) {
    out.push({
      severity: 'warning',
      code: 'failed-opens',
      message: `${plural(seriousCount, 'file open')} failed with ${serious.map((e) => e.errno).join(', ')} (e.g. ${serious[0]!.examples[0]}: ${serious[0]!.errno})`,
    });
  }
  const enoent = x.files.failedByErrno.find((e) => e.errno === 'ENOENT');
  if (enoent !== undefined && enoent.count >= 100 && enoent.count >= x.files.opens / 4) {
    out.push({
      severity: 'info',
      code: 'many-missing-files',
      message: `${enoent.count} of ${x.files.opens} file opens found no file (ENOENT; e.g. ${enoent.examples[0]}): search paths probed many times`,
    });
  }
  for (const h of x.histograms) {
    if (h.kind === 'offcpu' || h.p99UpperNs === null || h.p99UpperNs <= SLOW_IO_NS) continue;
    out.push({
      severity: 'warning',
      code: 'slow-io',
      message: `${h.kind} latency: 1% of ${h.count} calls took ${formatDuration(h.p99UpperNs / 2)} or more (max ${formatDuration(h.maxNs)}); most time in ${h.top[0]?.name ?? '?'} (pid ${h.top[0]?.pid ?? '?'})`,
    });
  }
  const net = x.network;
  if (net.failed > 0) {
    const e = net.failedByErrno[0]!;
    out.push({
      severity: 'warning',
      code: 'failed-connections',
      message: `${plural(net.failed, 'TCP connect')} failed with ${net.failedByErrno.map((f) => f.errno).join(', ')} (e.g. ${e.examples[0]}: ${e.errno})`,
    });
  }
  if (x.dns.failed > 0) {
    const d = x.dns;
    out.push({
      severity: 'warning',
      code: 'failed-lookups',
      message: `${plural(d.failed, 'name lookup')} failed with ${d.failedByResult.map((f) => f.error).join(', ')} (e.g. ${d.failedByResult[0]!.examples[0]}: ${d.failedByResult[0]!.error})`,
    });
  }
  if (x.dns.wire.failed > 0) {
    const w = x.dns.wire;
    out.push({
      severity: 'warning',
      code: 'failed-dns-queries',
      message: `${queries(w.failed)} failed with ${w.failedByOutcome.map((f) => f.outcome).join(', ')} (e.g. ${w.failedByOutcome[0]!.examples[0] || '?'}: ${w.failedByOutcome[0]!.outcome})`,
    });
  }
  if (x.dns.wire.malformed > 0) {
    out.push({
      severity: 'info',
      code: 'malformed-dns',
      message: `${queries(x.dns.wire.malformed)} with a message that did not parse whole (dns_queries.parse_error)`,
    });
  }
  if (net.retransmits > 0) {
    out.push({
      severity: net.retransmits >= 10 ? 'warning' : 'info',
      code: 'retransmits',
      message: `${plural(net.retransmits, 'TCP segment')} retransmitted over ${plural(net.connectionsWithRetransmits, 'connection')}: packet loss or congestion`,
    });
  }
  for (const w of x.capture.warnings) {
    if (w.code === 'no-footer') continue;
    out.push({ severity: 'warning', code: `reader:${w.code}`, message: w.message });
  }
  return out;
}

/** Execs with argv, environment or a path cut short (null counts with no execs at all, as SQL's sum()). */
export function execTruncation(execs: readonly ExecRow[]): {
  argv: number | null;
  env: number | null;
  paths: number | null;
} {
  if (execs.length === 0) return { argv: null, env: null, paths: null };
  let argv = 0;
  let env = 0;
  let paths = 0;
  for (const x of execs) {
    if (x.argvTruncated) argv++;
    if (x.envTruncated) env++;
    if (x.exeTruncated || x.filenameTruncated || x.cwdTruncated) paths++;
  }
  return { argv, env, paths };
}

/** Records lost per category (the counts are cumulative: the largest one), by category number. */
export function lossByCategory(losses: readonly LossRow[]): { name: string; n: number }[] {
  const largest = new Map<number, LossRow>();
  for (const l of losses) {
    const seen = largest.get(l.category);
    if (seen === undefined || l.count > seen.count) largest.set(l.category, l);
  }
  return [...largest.values()]
    .sort((a, b) => a.category - b.category)
    .map((l) => ({ name: l.categoryName, n: Number(l.count) }));
}
