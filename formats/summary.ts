// What `ptrace info` reports about a raw file, as a JSON-ready object (no
// bigints: nanosecond times are decimal strings). Built from the streaming
// reader's events, so it needs no more memory than the set of processes.
// The JSON shape is documented in docs/info-json.md; keep the two in step.

import { type Integrity, integrityText, verifyIntegrity } from './integrity.ts';
import { decodeWaitStatus } from './names.ts';
import { isoMicros, readCaptureStream, wallClockNs } from './reader.ts';
import type { Capture, CaptureEvent, ReadWarning, WriteStop } from './types.ts';

export interface InfoReport {
  file: string;
  format: {
    version: string;
    major: number;
    minor: number;
    byteOrder: 'little' | 'big';
    headerSize: number;
    recordSize: number;
  };
  capture: {
    ptraceVersion: string;
    captureArgv: string[];
    commandArgv: string[];
    rootPid: number;
    capturePid: number;
    options: {
      env: boolean;
      failedExecs: boolean;
      keepRoot: boolean;
      files: boolean;
      io: boolean;
      sched: boolean;
      net: boolean;
      dns: boolean;
      dnsMessages: boolean;
      /** Attached to running processes (--pid, --cgroup; format 1.8). */
      attach: boolean;
      raw: string;
    };
    /** What an attached capture attached to (format 1.8); null for a capture of a command. */
    attached: { pids: number[]; cgroup: string | null } | null;
    argsLimit: number;
    ringbufSize: number;
    traceparent: string;
  };
  host: { hostname: string; machine: string; kernelRelease: string; kernelVersion: string; os: string; bootId: string };
  time: {
    start: string;
    startNs: string;
    stop: string | null;
    stopNs: string | null;
    /** Where `stop` comes from: the footer's anchor, or the last record's timestamp when there is no footer. */
    stopSource: 'footer' | 'last-record' | null;
    durationNs: string | null;
    durationSeconds: number | null;
  };
  records: { total: number; byType: Record<string, number> };
  losses: { total: number | string; byCategory: Record<string, number | string> };
  processes: number;
  execs: number;
  failedExecs: number;
  exits: number;
  stillRunning: number;
  /** File opens recorded (PT_OPEN), failed ones included. */
  opens: number;
  failedOpens: number;
  /** Failed opens by errno name, most frequent first. */
  openErrors: Record<string, number>;
  /** Histograms merged over the processes, by kind (read, write, fsync, offcpu, kind<N>), in that order. */
  histograms: Record<string, HistogramSummary>;
  /** TCP events by kind (connected, failed, accepted, closed); format 1.2. */
  tcp: Record<string, number>;
  /** getaddrinfo() calls, and how many returned an error; format 1.3. */
  dns: { lookups: number; failed: number; messagesSent: number; messagesReceived: number };
  root: {
    pid: number;
    status: number | null;
    exitCode: number | null;
    signal: string | null;
    coreDumped: boolean | null;
  };
  end: {
    clean: boolean;
    /** write-stopped: the capture could not write (a full disk) and stopped there; format 1.6. */
    state: 'complete' | 'truncated' | 'write-stopped';
    completeRecords: number;
    /** Where writing stopped: seconds after the capture's start, and the error. */
    writeStop: {
      afterNs: string;
      afterSeconds: number;
      errno: number;
      errnoName: string;
      records: number | string;
    } | null;
    footer: {
      records: number | string;
      lost: number | string;
      processes: number;
      stillRunning: number;
      signalled: boolean;
      waitedAll: boolean;
      /** An attached capture stopped on a signal / after --duration (format 1.8). */
      interrupted: boolean;
      durationElapsed: boolean;
    } | null;
  };
  /** PT_TLV_REDACTION: the file is a redacted copy (`ptrace redact`, `capture --redact`); null otherwise. */
  redaction: {
    rulesetVersion: number;
    dropEnv: boolean;
    anonymizePaths: boolean;
    userRules: boolean;
    atCapture: boolean;
    replaced: number | string;
    /** Rule id → replacements. */
    counts: Record<string, number>;
  } | null;
  /** The checksums of the footer (format 1.7) checked against the bytes; see formats/integrity.ts. */
  integrity: Integrity & { text: string };
  unknownTlvs: { tag: number; bytes: number }[];
  warnings: ReadWarning[];
}

/** One kind of histogram summed over the processes that have one. */
export interface HistogramSummary {
  /** Processes with a histogram of this kind. */
  processes: number;
  count: number | string;
  totalNs: string;
  /** The largest of the processes' maxima. */
  maxNs: string;
  /** 32 log2 buckets: bucket i counts [2^i, 2^(i+1)) ns, bucket 0 also 0 ns. */
  buckets: number[];
}

/** A u64 count as a JSON number when exact, else as a decimal string (only a damaged file gets there). */
export const jsonCount = (n: bigint): number | string =>
  n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= 0n ? Number(n) : n.toString();

const HIST_ORDER = ['read', 'write', 'fsync', 'offcpu'];

/** Accumulates what the report needs from the events, one at a time. */
export class InfoCollector {
  #children = new Set<string>();
  /** Processes the capture attached to (format 1.8): they, not a root command, are where the tree starts. */
  #attached = new Set<string>();
  #losses = new Map<string, bigint>();
  #lastTs: bigint | null = null;
  execs = 0;
  failedExecs = 0;
  exits = 0;
  running = 0;
  opens = 0;
  failedOpens = 0;
  #tcp = new Map<string, number>();
  dnsLookups = 0;
  dnsFailed = 0;
  dnsSent = 0;
  dnsReceived = 0;
  #openErrors = new Map<string, number>();
  #hists = new Map<string, { processes: number; count: bigint; totalNs: bigint; maxNs: bigint; buckets: number[] }>();

  add(e: CaptureEvent): void {
    if (this.#lastTs === null || e.ts > this.#lastTs) this.#lastTs = e.ts;
    switch (e.kind) {
      case 'fork':
        this.#children.add(`${e.child.pid}:${e.child.start}`);
        break;
      case 'attached':
        this.#attached.add(`${e.process.pid}:${e.process.start}`);
        break;
      case 'cgroup':
        break;
      case 'exec':
        this.execs++;
        break;
      case 'exec_failed':
        this.failedExecs++;
        break;
      case 'exit':
        this.exits++;
        break;
      case 'running':
        this.running++;
        break;
      case 'loss': {
        // Counts are cumulative: the largest one is the category's total.
        const prev = this.#losses.get(e.categoryName);
        if (prev === undefined || e.count > prev) this.#losses.set(e.categoryName, e.count);
        break;
      }
      case 'open':
        this.opens++;
        if (e.errnoName !== null) {
          this.failedOpens++;
          this.#openErrors.set(e.errnoName, (this.#openErrors.get(e.errnoName) ?? 0) + 1);
        }
        break;
      case 'tcp':
        this.#tcp.set(e.event, (this.#tcp.get(e.event) ?? 0) + 1);
        break;
      case 'dns':
        this.dnsLookups++;
        if (e.result !== 0) this.dnsFailed++;
        break;
      case 'dns_msg':
        if (e.direction === 'sent') this.dnsSent++;
        else this.dnsReceived++;
        break;
      case 'hist': {
        let h = this.#hists.get(e.histKind);
        if (h === undefined) {
          h = { processes: 0, count: 0n, totalNs: 0n, maxNs: 0n, buckets: new Array<number>(e.buckets.length).fill(0) };
          this.#hists.set(e.histKind, h);
        }
        h.processes++;
        h.count += e.count;
        h.totalNs += e.totalNs;
        if (e.maxNs > h.maxNs) h.maxNs = e.maxNs;
        for (let i = 0; i < e.buckets.length; i++) h.buckets[i] = (h.buckets[i] ?? 0) + e.buckets[i]!;
        break;
      }
      case 'thread':
        break;
    }
  }

  #histograms(): Record<string, HistogramSummary> {
    const order = (k: string): number => {
      const i = HIST_ORDER.indexOf(k);
      return i >= 0 ? i : HIST_ORDER.length + Number(k.replace(/\D/g, ''));
    };
    const out: Record<string, HistogramSummary> = {};
    for (const [kind, h] of [...this.#hists].sort((a, b) => order(a[0]) - order(b[0]))) {
      out[kind] = {
        processes: h.processes,
        count: jsonCount(h.count),
        totalNs: h.totalNs.toString(),
        maxNs: h.maxNs.toString(),
        buckets: h.buckets,
      };
    }
    return out;
  }

  report(c: Omit<Capture, 'events'>, integrity: Integrity): InfoReport {
    const h = c.header;
    const f = c.footer;
    const startNs = h.start.realtime;
    let stopNs: bigint | null = null;
    let stopSource: InfoReport['time']['stopSource'] = null;
    if (f) {
      stopNs = f.stop.realtime;
      stopSource = 'footer';
    } else if (this.#lastTs !== null) {
      stopNs = wallClockNs(h, this.#lastTs);
      stopSource = 'last-record';
    }
    const durationNs = stopNs === null ? null : stopNs - startNs;
    let lost = 0n;
    const byCategory: Record<string, number | string> = {};
    for (const [name, n] of [...this.#losses].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      byCategory[name] = jsonCount(n);
      lost += n;
    }
    const ws = f ? decodeWaitStatus(f.rootStatus) : null;
    let total = 0;
    for (const n of Object.values(c.recordCounts)) total += n;
    return {
      file: c.path,
      format: {
        version: `${h.versionMajor}.${h.versionMinor}`,
        major: h.versionMajor,
        minor: h.versionMinor,
        byteOrder: h.littleEndian ? 'little' : 'big',
        headerSize: h.headerSize,
        recordSize: h.recordSize,
      },
      capture: {
        ptraceVersion: h.ptraceVersion,
        captureArgv: h.captureArgv,
        commandArgv: h.commandArgv,
        rootPid: h.rootPid,
        capturePid: h.capturePid,
        options: {
          env: h.options.env,
          failedExecs: h.options.failedExecs,
          keepRoot: h.options.keepRoot,
          files: h.options.files,
          io: h.options.io,
          sched: h.options.sched,
          net: h.options.net,
          dns: h.options.dns,
          dnsMessages: h.options.dnsMessages,
          attach: h.options.attach,
          raw: h.options.raw.toString(),
        },
        attached: h.options.attach ? { pids: h.attachPids, cgroup: h.attachCgroup || null } : null,
        argsLimit: h.argsLimit,
        ringbufSize: h.ringbufSize,
        traceparent: h.traceparent,
      },
      host: {
        hostname: h.hostname,
        machine: h.machine,
        kernelRelease: h.kernelRelease,
        kernelVersion: h.kernelVersion,
        os: h.osRelease,
        bootId: h.bootId,
      },
      time: {
        start: isoMicros(startNs),
        startNs: startNs.toString(),
        stop: stopNs === null ? null : isoMicros(stopNs),
        stopNs: stopNs === null ? null : stopNs.toString(),
        stopSource,
        durationNs: durationNs === null ? null : durationNs.toString(),
        durationSeconds: durationNs === null ? null : Number(durationNs / 1000n) / 1e6,
      },
      records: { total, byType: c.recordCounts },
      losses: { total: jsonCount(lost), byCategory },
      processes: this.#children.size + (this.#attached.size > 0 || h.options.attach ? this.#attached.size : 1),
      execs: this.execs,
      failedExecs: this.failedExecs,
      exits: this.exits,
      stillRunning: this.running,
      opens: this.opens,
      failedOpens: this.failedOpens,
      openErrors: Object.fromEntries([...this.#openErrors].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))),
      histograms: this.#histograms(),
      tcp: Object.fromEntries([...this.#tcp].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
      dns: {
        lookups: this.dnsLookups,
        failed: this.dnsFailed,
        messagesSent: this.dnsSent,
        messagesReceived: this.dnsReceived,
      },
      root: {
        pid: h.rootPid,
        status: f ? f.rootStatus : null,
        exitCode: ws ? ws.exitCode : null,
        signal: ws ? ws.signalName : null,
        coreDumped: ws ? ws.coreDumped : null,
      },
      end: {
        clean: f !== null,
        state: f ? 'complete' : h.writeStop ? 'write-stopped' : 'truncated',
        completeRecords: c.completeRecords,
        writeStop: h.writeStop && !f ? writeStopReport(h.writeStop, h.start.boottime) : null,
        footer: f
          ? {
              records: jsonCount(f.records),
              lost: jsonCount(f.lost),
              processes: f.processes,
              stillRunning: f.stillRunning,
              signalled: f.signalled,
              waitedAll: f.waitedAll,
              interrupted: f.interrupted,
              durationElapsed: f.durationElapsed,
            }
          : null,
      },
      redaction: h.redaction ? { ...h.redaction, replaced: jsonCount(h.redaction.replaced) } : null,
      integrity: { ...integrity, text: integrityText(integrity) },
      unknownTlvs: h.unknownTlvs.map((t) => ({ tag: t.tag, bytes: t.value.length })),
      warnings: c.warnings,
    };
  }
}

function writeStopReport(w: WriteStop, startBoottime: bigint): NonNullable<InfoReport['end']['writeStop']> {
  const afterNs = w.ts - startBoottime;
  return {
    afterNs: afterNs.toString(),
    afterSeconds: Number(afterNs / 1000n) / 1e6,
    errno: w.errno,
    errnoName: w.errnoName,
    records: jsonCount(w.records),
  };
}

/** Streams the file once and builds its report, then reads it again to check its checksums. */
export function infoReport(path: string): InfoReport {
  const collector = new InfoCollector();
  const rest = readCaptureStream(path, (e) => collector.add(e));
  return collector.report(rest, verifyIntegrity(path, rest.header, rest.footer, rest.completeRecords - 1));
}
