import { Args, Flags } from '@oclif/core';
import { shellQuote, terminalText } from '../../analyze/format.ts';
import { printWarnings, writeStdout } from '../../analyze/output.ts';
import type { HistogramSummary, InfoReport } from '../../formats/summary.ts';
import { infoReport } from '../../formats/summary.ts';
import { PtraceCommand } from '../base.ts';
import { maskFlags, redactorFor } from '../redaction.ts';

export default class Info extends PtraceCommand {
  static override summary =
    'Describe a raw capture file: header, time span, record counts, losses, file opens, latency histograms, and whether it ended cleanly.';
  static override description =
    `Reads the whole file once (streaming). Warnings about damage (no footer, a cut-short record, garbage after the footer…) go to stderr as "ptrace: warning: …" lines; with --json they are in the "warnings" array instead. The JSON shape is documented in docs/info-json.md.`;
  static override examples = ['<%= config.bin %> info run.raw', '<%= config.bin %> info run.raw --json | jq .time'];
  static override args = {
    file: Args.string({ description: 'raw capture file', required: true }),
  };
  static override flags = {
    json: Flags.boolean({ description: 'print a JSON object (see docs/info-json.md)' }),
    ...maskFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Info);
    const redact = redactorFor(!flags['show-secrets'], flags.rules, 'plain');
    const report = infoReport(args.file);
    if (redact !== null) {
      // The command lines and the host name are the strings of the header that can hold secrets.
      report.capture.captureArgv = redact.argv(report.capture.captureArgv);
      report.capture.commandArgv = redact.argv(report.capture.commandArgv);
      report.capture.traceparent = redact.text(report.capture.traceparent);
      report.host.hostname = redact.text(report.host.hostname);
    }
    if (flags.json) {
      writeStdout(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    printWarnings(report.warnings);
    writeStdout(renderInfo(report));
  }
}

/** An argv as a shell would need it typed (control, format and bidi characters as $'…' escapes). */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

function bytes(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n / (1 << 10)} KiB`;
  return `${n} bytes`;
}

function duration(ns: string): string {
  const total = BigInt(ns);
  const neg = total < 0n;
  const abs = neg ? -total : total;
  const secs = `${abs / 1_000_000_000n}.${((abs % 1_000_000_000n) / 1000n).toString().padStart(6, '0')} s`;
  if (abs < 60_000_000_000n) return `${neg ? '-' : ''}${secs}`;
  const s = Number(abs / 1_000_000_000n);
  const parts = [
    Math.floor(s / 3600) && `${Math.floor(s / 3600)}h`,
    `${Math.floor((s % 3600) / 60)}m`,
    `${s % 60}s`,
  ].filter(Boolean);
  return `${neg ? '-' : ''}${secs} (${parts.join(' ')})`;
}

const orNone = (s: string): string => s || '(not recorded)';

/** A nanosecond amount with a unit that keeps 3 significant digits: 512 ns, 1.50 µs, 12.3 ms, 2.00 s. */
export function nanos(ns: string | bigint): string {
  const n = Number(ns);
  if (n < 1000) return `${n} ns`;
  const [v, unit] = n < 1e6 ? [n / 1e3, 'µs'] : n < 1e9 ? [n / 1e6, 'ms'] : [n / 1e9, 's'];
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;
}

/** The log2 bucket holding the given quantile of a histogram, as its range, e.g. `1.02 µs–2.05 µs`; null when empty. */
export function quantileBucket(buckets: readonly number[], q: number): string | null {
  let total = 0;
  for (const n of buckets) total += n;
  if (total === 0) return null;
  const want = Math.max(1, Math.ceil(total * q));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i]!;
    if (seen >= want) return `${i === 0 ? '0 ns' : nanos(1n << BigInt(i))}–${nanos(1n << BigInt(i + 1))}`;
  }
  return null;
}

const HIST_LABELS: Record<string, string> = {
  read: 'read latency',
  write: 'write latency',
  fsync: 'fsync latency',
  offcpu: 'off-CPU time',
};

function histogramLine(h: HistogramSummary): string {
  const parts = [`${h.count} in ${h.processes} process${h.processes === 1 ? '' : 'es'}`];
  if (BigInt(h.count) > 0n) {
    parts.push(`total ${nanos(h.totalNs)}`, `mean ${nanos(BigInt(h.totalNs) / BigInt(h.count))}`);
    const median = quantileBucket(h.buckets, 0.5);
    const p99 = quantileBucket(h.buckets, 0.99);
    if (median) parts.push(`median ${median}`);
    if (p99) parts.push(`p99 ${p99}`);
    parts.push(`max ${nanos(h.maxNs)}`);
  }
  return parts.join(', ');
}

/** The plain-text report: aligned `key: value` lines. */
export function renderInfo(r: InfoReport): string {
  const rows: [string, string][] = [];
  // Values hold strings from the file (hostname, commands, traceparent…): each goes out through terminalText.
  const row = (k: string, v: string | number): void => {
    rows.push([k, terminalText(String(v))]);
  };
  const c = r.capture;
  row('file', r.file);
  row(
    'format',
    `${r.format.version} (${r.format.byteOrder} endian, ${r.format.recordSize}-byte records, ${r.format.headerSize}-byte header)`,
  );
  row('ptrace version', orNone(c.ptraceVersion));
  row('capture command', c.captureArgv.length ? shellJoin(c.captureArgv) : '(not recorded)');
  row('traced command', c.commandArgv.length ? shellJoin(c.commandArgv) : '(not recorded)');
  row('root pid', `${c.rootPid} (capture pid ${c.capturePid})`);
  row('hostname', orNone(r.host.hostname));
  row('kernel release', orNone(r.host.kernelRelease));
  row('kernel version', orNone(r.host.kernelVersion));
  row('machine', orNone(r.host.machine));
  row('os', orNone(r.host.os));
  row('boot id', orNone(r.host.bootId));
  const opts = [c.options.env ? 'env' : 'no env', c.options.failedExecs ? 'failed execs' : 'no failed execs'];
  if (c.options.keepRoot) opts.push('keep root');
  // 1.0 files have no files bit: say so only from 1.1 on.
  const v11 = r.format.major > 1 || r.format.minor >= 1;
  if (v11) opts.push(c.options.files ? 'files' : 'no files');
  if (c.options.io) opts.push('io');
  if (c.options.sched) opts.push('sched');
  if (c.options.net) opts.push('net');
  if (c.options.dns) opts.push('getaddrinfo');
  if (c.options.dnsMessages) opts.push('dns messages');
  const known = 0x1ffn;
  const extra = BigInt(c.options.raw) & ~known;
  if (extra) opts.push(`unknown bits 0x${extra.toString(16)}`);
  row('options', opts.join(', '));
  row('args limit', `${bytes(c.argsLimit)} (argv, and env, per exec)`);
  row('ring buffer', bytes(c.ringbufSize));
  if (c.traceparent) row('traceparent', c.traceparent);
  for (const t of r.unknownTlvs) row('unknown TLV', `tag ${t.tag}, ${t.bytes} bytes`);
  const tm = r.time;
  row('start', tm.start);
  if (tm.stop === null) row('stop', 'unknown (no footer, no records)');
  else row('stop', tm.stopSource === 'footer' ? tm.stop : `${tm.stop} (last record; no footer)`);
  row('duration', tm.durationNs === null ? 'unknown' : duration(tm.durationNs));
  const byType = Object.entries(r.records.byType)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  row('records', `${r.records.total}${byType.length ? ` (${byType.join(', ')})` : ''}`);
  const cats = Object.entries(r.losses.byCategory).filter(([, n]) => n !== 0);
  row('losses', cats.length ? `${r.losses.total} (${cats.map(([k, n]) => `${k} ${n}`).join(', ')})` : 'none');
  row('processes', r.processes);
  row('execs', r.execs);
  row('failed execs', r.failedExecs);
  row('exits', r.exits);
  row('still running', r.stillRunning);
  if (r.opens > 0 || c.options.files) {
    const errs = Object.entries(r.openErrors).map(([k, n]) => `${k} ${n}`);
    row('opens', `${r.opens}${r.failedOpens ? ` (failed ${r.failedOpens}: ${errs.join(', ')})` : ''}`);
  } else {
    row('opens', v11 ? 'not recorded (--no-files)' : `not recorded (format ${r.format.version})`);
  }
  const tcp = Object.entries(r.tcp).map(([k, n]) => `${k} ${n}`);
  if (tcp.length > 0) row('tcp', tcp.join(', '));
  else
    row(
      'tcp',
      c.options.net
        ? 'none'
        : r.format.minor >= 2
          ? 'not recorded (--no-net)'
          : `not recorded (format ${r.format.version})`,
    );
  if (r.dns.lookups > 0 || c.options.dns)
    row('name lookups', `${r.dns.lookups}${r.dns.failed ? ` (failed ${r.dns.failed})` : ''}`);
  else
    row('name lookups', r.format.minor >= 3 ? 'not recorded (--no-dns)' : `not recorded (format ${r.format.version})`);
  if (r.dns.messagesSent + r.dns.messagesReceived > 0 || c.options.dnsMessages)
    row('dns messages', `${r.dns.messagesSent} sent, ${r.dns.messagesReceived} received`);
  else
    row('dns messages', r.format.minor >= 4 ? 'not recorded (--no-dns)' : `not recorded (format ${r.format.version})`);
  const hists = Object.entries(r.histograms);
  for (const [kind, h] of hists) row(HIST_LABELS[kind] ?? `${kind} histogram`, histogramLine(h));
  if (hists.length === 0) {
    row(
      'histograms',
      c.options.io || c.options.sched
        ? 'none'
        : v11
          ? 'not recorded (no --io or --sched)'
          : `not recorded (format ${r.format.version})`,
    );
  }
  const root = r.root;
  if (root.status === null) row('root status', 'unknown (no footer)');
  else if (root.exitCode !== null) row('root status', `exit code ${root.exitCode}`);
  else row('root status', `killed by ${root.signal}${root.coreDumped ? ' (core dumped)' : ''}`);
  const e = r.end;
  if (e.footer) {
    const how = [
      e.footer.signalled ? 'a signal was forwarded to the command' : '',
      e.footer.waitedAll ? 'waited for all processes' : '',
    ]
      .filter(Boolean)
      .join(', ');
    row('end', `complete: footer after ${e.completeRecords - 1} records${how ? `; ${how}` : ''}`);
  } else if (e.writeStop) {
    row(
      'end',
      `stopped writing at +${e.writeStop.afterSeconds}s: ${writeErrorText(e.writeStop.errnoName)}; ${e.completeRecords} complete records`,
    );
  } else {
    row('end', `truncated: no footer; ${e.completeRecords} complete records recovered`);
  }
  row('warnings', r.warnings.length ? `${r.warnings.length} (on stderr)` : 'none');
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}\n`).join('');
}

function writeErrorText(errnoName: string): string {
  return errnoName === 'ENOSPC' || errnoName === 'EDQUOT' ? `disk full (${errnoName})` : `write error ${errnoName}`;
}
