// Model → spans. One trace per capture: a root span for the capture, one span
// per exec'd image nested under the image of the process that forked it (the
// parent's image current at fork time), one span for each process that forked
// but never exec'd. docs/otel.md documents every name and attribute.
// Pure: no I/O.

import { decodeStrings } from '../../formats/nul-area.ts';
import type { CaptureHeader, FooterInfo, ReadWarning } from '../../formats/types.ts';
import { openFlagsText } from '../replay/files.ts';
import type {
  ConnectionRow,
  DnsLookupRow,
  DnsQueryRow,
  ExecRow,
  Model,
  ProcessRow,
  ResourceRow,
} from '../replay/model.ts';
import { answerAddresses, queryOutcome } from '../replay/net.ts';
import { EnvResolver } from './environ.ts';
import { type CompiledAttribute, evaluateAttribute, exprContext } from './expr.ts';
import { deriveTraceId, identityKey, parseTraceParent, processSpanId, rootSpanId, type TraceParent } from './ids.ts';
import {
  type Attributes,
  SPAN_KIND_CLIENT,
  SPAN_KIND_INTERNAL,
  SPAN_KIND_SERVER,
  type SpanData,
  type SpanEvent,
  STATUS_ERROR,
  STATUS_UNSET,
} from './span.ts';

export interface BuildOptions {
  /** --trace-id, validated, lower case. */
  traceId?: string;
  /** -a expressions. */
  attributes?: CompiledAttribute[];
  /** --env names. */
  envNames?: string[];
  warn?: (message: string) => void;
}

export type TraceSource = 'flag' | 'command-env' | 'capture-env' | 'derived';

export interface BuiltTrace {
  traceId: string;
  rootSpanId: string;
  /** Where the trace id came from. */
  source: TraceSource;
  spanCount: number;
  /**
   * Root span first, then process spans by start time. Made on demand, so
   * the spans of a big capture never all exist at once; every call gives
   * the same spans (-a expressions are evaluated again).
   */
  spans(): Generator<SpanData>;
}

export interface BuildInput {
  header: CaptureHeader;
  footer: FooterInfo | null;
  model: Model;
  warnings: readonly ReadWarning[];
  /** TRACEPARENT of the root's first exec environment when known without the model's environments. */
  rootTraceparent?: string | null;
}

const SAMPLED = 1;
const NO_EXECS: ExecRow[] = [];

function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? trimmed : trimmed.slice(i + 1);
}

/** Span name and executable name of an image: base name of the exe, else of argv[0]. */
function executableName(exe: string, argv: readonly string[]): string {
  return basename(exe) || basename(argv[0] ?? '') || '?';
}

/** Span name of an exec'd image: base name of the exe, else of argv[0]. */
function imageName(x: ExecRow): string {
  const fromExe = basename(x.exe);
  if (fromExe) return fromExe;
  const nul = x.argv.indexOf(0);
  return basename(x.argv.toString('utf8', 0, nul < 0 ? x.argv.length : nul)) || '?';
}

/** Status of a process that ended: error when the exit code is non-zero or a signal killed it. */
function exitOutcome(p: ProcessRow): { attrs: Attributes; status: SpanData['status'] } {
  const attrs: Attributes = {};
  if (p.state !== 'exited') {
    attrs['ptrace.process.state'] = p.state;
    return { attrs, status: { code: STATUS_UNSET } };
  }
  if (p.signal !== null) {
    const name = p.signalName ?? `signal ${p.signal}`;
    attrs['process.exit.code'] = 128 + p.signal;
    attrs['ptrace.process.signal'] = name;
    if (p.coreDumped) attrs['ptrace.process.core_dumped'] = true;
    attrs['error.type'] = name;
    return {
      attrs,
      status: { code: STATUS_ERROR, message: `killed by ${name}${p.coreDumped ? ' (core dumped)' : ''}` },
    };
  }
  const code = p.exitCode ?? 0;
  attrs['process.exit.code'] = code;
  if (code !== 0) {
    attrs['error.type'] = String(code);
    return { attrs, status: { code: STATUS_ERROR, message: `exit code ${code}` } };
  }
  return { attrs, status: { code: STATUS_UNSET } };
}

/** Resource usage at exit as span attributes (docs/otel.md): CPU in seconds (doubles), sizes in bytes. */
function usageAttributes(attrs: Attributes, u: ResourceRow): void {
  const s = (ns: bigint): number => Number(ns) / 1e9;
  attrs['process.cpu.time.user'] = s(u.utimeNs);
  attrs['process.cpu.time.system'] = s(u.stimeNs);
  if (u.runtimeNs > 0n) attrs['ptrace.process.cpu.runtime'] = s(u.runtimeNs);
  attrs['process.memory.max_rss'] = Number(u.maxrssKb) * 1024;
  attrs['process.paging.faults.minor'] = Number(u.minFlt);
  attrs['process.paging.faults.major'] = Number(u.majFlt);
  attrs['process.context_switches.voluntary'] = Number(u.nvcsw);
  attrs['process.context_switches.involuntary'] = Number(u.nivcsw);
  attrs['ptrace.process.io.read_chars'] = Number(u.rchar);
  attrs['ptrace.process.io.write_chars'] = Number(u.wchar);
  attrs['process.disk.io.read'] = Number(u.readBytes);
  attrs['process.disk.io.write'] = Number(u.writeBytes);
}

interface ImageNode {
  spanId: string;
  parentSpanId: string;
  name: string;
  start: bigint;
  end: bigint;
  kind: 'exec' | 'fork' | 'process';
  p: ProcessRow;
  ppid: number;
  /** The exec this image runs (its own, or for a fork the image it was forked from); null if unknown. */
  exec: ExecRow | null;
  /** Last image of its process: carries the exit. */
  last: boolean;
  events: SpanEvent[] | null;
}

function metaBig(model: Model, key: string): bigint | null {
  for (const [k, v] of model.meta) {
    if (k === key) return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : null;
  }
  return null;
}

export function buildTrace(input: BuildInput, o: BuildOptions = {}): BuiltTrace {
  const { header, footer, model } = input;
  const warn = o.warn ?? (() => {});
  const exprs = o.attributes ?? [];
  const envNames = o.envNames ?? [];
  const identity = identityKey({
    bootId: header.bootId,
    rootPid: header.rootPid,
    startBoottime: header.start.boottime,
    startRealtime: header.start.realtime,
  });
  const wall = (ts: bigint): bigint => header.start.realtime + (ts - header.start.boottime);
  const captureStart = header.start.realtime;
  let captureEnd =
    footer !== null ? wall(footer.stop.boottime) : (metaBig(model, 'capture.last_event_ns') ?? captureStart);
  if (captureEnd < captureStart) captureEnd = captureStart;

  const envs = new EnvResolver(model.envs, model.envVars);

  // Row ids are dense from 1: arrays indexed by process id.
  const execsByProc: (ExecRow[] | undefined)[] = [];
  for (const x of model.execs) {
    const l = execsByProc[x.processId];
    if (l === undefined) execsByProc[x.processId] = [x];
    else l.push(x);
  }
  for (const l of execsByProc) if (l !== undefined && l.length > 1) l.sort((a, b) => a.seq - b.seq);

  // ---- trace id and the root span's parent
  const rootProc = model.processes.find((p) => p.isRoot) ?? null;
  const rootFirstExec = rootProc === null ? undefined : execsByProc[rootProc.id]?.[0];
  let parent: TraceParent | null = null;
  let source: TraceSource = 'derived';
  let traceId: string;
  const tryParent = (value: string | undefined, where: string): TraceParent | null => {
    if (value === undefined || value === '') return null;
    const tp = parseTraceParent(value);
    if (tp === null) warn(`ignoring the invalid TRACEPARENT of ${where}: "${value.slice(0, 80)}"`);
    return tp;
  };
  if (o.traceId !== undefined) {
    traceId = o.traceId;
    source = 'flag';
  } else {
    const commandTp =
      input.rootTraceparent != null
        ? input.rootTraceparent
        : rootFirstExec === undefined
          ? undefined
          : envs.get(rootFirstExec.envId).get('TRACEPARENT');
    const fromCommand = tryParent(commandTp, 'the traced command');
    const fromCapture = fromCommand !== null ? null : tryParent(header.traceparent, 'the capture environment');
    parent = fromCommand ?? fromCapture;
    source = fromCommand !== null ? 'command-env' : fromCapture !== null ? 'capture-env' : 'derived';
    traceId = parent?.traceId ?? deriveTraceId(identity);
  }
  const traceFlags = parent === null ? SAMPLED : parent.flags;

  // ---- root span
  const rootId = rootSpanId(traceId, identity);
  const rootName =
    header.commandArgv.length > 0
      ? basename(header.commandArgv[0]!) || 'ptrace'
      : rootProc === null
        ? 'ptrace'
        : `pid ${rootProc.pid}`;
  const root: SpanData = {
    traceId,
    spanId: rootId,
    parentSpanId: parent?.spanId ?? null,
    parentIsRemote: parent !== null,
    traceFlags,
    name: rootName,
    start: captureStart,
    end: captureEnd,
    attributes: {},
    events: [],
    status: { code: STATUS_UNSET },
  };
  const ra0 = root.attributes;

  // ---- process spans, first as light skeletons (ids, parents, times); attributes are made while encoding
  const nodes: ImageNode[] = [];
  const nodesByProc: (ImageNode[] | undefined)[] = [];
  const nodeAt = (processId: number, t: bigint): ImageNode | undefined => {
    const list = nodesByProc[processId];
    if (list === undefined) return undefined;
    let n = list[0]!;
    for (let i = 1; i < list.length; i++) if (list[i]!.start <= t) n = list[i]!;
    return n;
  };
  let truncatedArgv = 0;
  let truncatedEnv = 0;
  let truncatedOther = 0;

  // model.processes is in (start, pid) order, so a parent's nodes exist before its children look for them.
  for (const p of model.processes) {
    const execs = execsByProc[p.id] ?? NO_EXECS;
    const parentNode = p.parentId === null ? undefined : nodeAt(p.parentId, p.start);
    const parentSpanId = parentNode?.spanId ?? rootId;
    const ppid = p.ppid ?? p.parentPid ?? execs[0]?.ppid ?? 0;
    const end = p.end ?? captureEnd;
    const list: ImageNode[] = [];
    if (execs.length === 0) {
      const kind = p.parentId === null ? 'process' : 'fork';
      list.push({
        spanId: processSpanId(traceId, identity, p.pid, p.startBoot, kind),
        parentSpanId,
        name: parentNode !== undefined ? parentNode.name : p.comm || `pid ${p.pid}`,
        start: p.start,
        end,
        kind,
        p,
        ppid,
        exec: parentNode?.exec ?? null,
        last: true,
        events: null,
      });
    } else {
      for (let i = 0; i < execs.length; i++) {
        const x = execs[i]!;
        const last = i === execs.length - 1;
        if (x.argvTruncated) truncatedArgv++;
        if (x.envTruncated) truncatedEnv++;
        if (x.exeTruncated || x.cwdTruncated || x.filenameTruncated) truncatedOther++;
        list.push({
          spanId: processSpanId(traceId, identity, p.pid, p.startBoot, `exec:${x.seq}`),
          parentSpanId,
          name: imageName(x),
          start: x.time,
          end: last ? end : execs[i + 1]!.time,
          kind: 'exec',
          p,
          ppid,
          exec: x,
          last,
          events: null,
        });
      }
    }
    nodesByProc[p.id] = list;
    for (const n of list) nodes.push(n);
  }

  // ---- failed exec attempts: events on the image current at the time
  for (const f of model.execFailures) {
    const n = nodeAt(f.processId, f.time);
    if (n === undefined) continue;
    const attrs: Attributes = {
      'process.executable.path': f.path,
      'error.type': f.errnoName,
      'ptrace.exec.errno': f.errno,
    };
    if (f.pathTruncated) attrs['ptrace.exec.path_truncated'] = true;
    (n.events ??= []).push({ name: 'exec failed', time: f.time, attributes: attrs });
  }
  // ---- failed file opens: events on the image current at the time
  for (const o of model.opens) {
    if (o.fd !== null) continue;
    const n = nodeAt(o.processId, o.time);
    if (n === undefined) continue;
    const attrs: Attributes = {
      'file.path': o.resolved ?? o.path,
      'error.type': o.errnoName ?? `E${o.errno}`,
      'ptrace.open.errno': o.errno ?? 0,
      'ptrace.open.flags': openFlagsText(o.flags),
    };
    if (o.resolved === null || o.resolved !== o.path) attrs['ptrace.open.path'] = o.path;
    if (o.dirfd !== -100) attrs['ptrace.open.dirfd'] = o.dirfd;
    if (o.pathTruncated) attrs['ptrace.open.path_truncated'] = true;
    (n.events ??= []).push({ name: 'file open failed', time: o.time, attributes: attrs });
  }
  // ---- TCP connections: a span each, under the image of its process current when it started
  const connSpans: SpanData[] = [];
  for (const c of model.connections) {
    const n = nodeAt(c.processId, c.start);
    if (n === undefined) continue;
    connSpans.push(connectionSpan(c, n.p, n.spanId));
  }
  function connectionSpan(c: ConnectionRow, p: ProcessRow, parentSpanId: string): SpanData {
    const client = c.role !== 'server';
    const attrs: Attributes = {
      'network.transport': 'tcp',
      'network.type': c.family === 6 ? 'ipv6' : 'ipv4',
      'network.peer.address': c.remoteAddress,
      'network.peer.port': c.remotePort,
      'network.local.address': c.localAddress,
      'network.local.port': c.localPort,
    };
    if (client) {
      attrs['server.address'] = c.peerName ?? c.remoteAddress;
      attrs['server.port'] = c.remotePort;
    } else {
      attrs['client.address'] = c.remoteAddress;
      attrs['client.port'] = c.remotePort;
    }
    attrs['ptrace.span.type'] = 'connection';
    attrs['ptrace.connection.role'] = c.role;
    attrs['ptrace.connection.state'] = c.state;
    attrs['process.pid'] = p.pid;
    if (c.latencyNs !== null) attrs['ptrace.connection.connect_latency_ns'] = Number(c.latencyNs);
    if (c.bytesSent !== null) attrs['ptrace.connection.bytes_sent'] = Number(c.bytesSent);
    if (c.bytesReceived !== null) attrs['ptrace.connection.bytes_received'] = Number(c.bytesReceived);
    if (c.retransmits !== null) attrs['ptrace.connection.retransmits'] = c.retransmits;
    if (c.openAtStop !== null) attrs['ptrace.connection.open_at_stop'] = c.openAtStop;
    if (c.tcpStateAtStop !== null) attrs['ptrace.connection.tcp_state_at_stop'] = c.tcpStateAtStop;
    let status: SpanData['status'] = { code: STATUS_UNSET };
    if (c.state === 'failed') {
      const name = c.abandoned ? 'abandoned' : (c.errnoName ?? `errno ${c.errno}`);
      attrs['error.type'] = name;
      if (c.abandoned && c.errnoName !== null) attrs['ptrace.connection.last_error'] = c.errnoName;
      status = { code: STATUS_ERROR, message: `connect ${c.remoteAddress}:${c.remotePort}: ${name}` };
    }
    return {
      traceId,
      spanId: processSpanId(traceId, identity, p.pid, p.startBoot, `tcp:${c.connId}`),
      parentSpanId,
      parentIsRemote: false,
      traceFlags,
      name: client ? `connect ${c.remoteAddress}:${c.remotePort}` : `accept :${c.localPort}`,
      start: c.start,
      // biome-ignore lint/complexity/useMathMinMax: bigint nanoseconds
      end: c.end ?? (captureEnd > c.start ? captureEnd : c.start),
      attributes: attrs,
      events: [],
      status,
      kind: client ? SPAN_KIND_CLIENT : c.role === 'server' ? SPAN_KIND_SERVER : SPAN_KIND_INTERNAL,
    };
  }
  if (header.options.net) ra0['ptrace.capture.connections'] = model.connections.length;

  // ---- name lookups: a CLIENT span each, under the image of its process current at the call
  for (const l of model.dnsLookups) {
    const n = nodeAt(l.processId, l.time);
    if (n === undefined) continue;
    connSpans.push(lookupSpan(l, n.p, n.spanId));
  }
  function lookupSpan(l: DnsLookupRow, p: ProcessRow, parentSpanId: string): SpanData {
    const attrs: Attributes = {
      'dns.question.name': l.name,
      'dns.answers': answerAddresses(l.answers),
      'ptrace.span.type': 'dns',
      'ptrace.dns.result': l.result,
      'ptrace.dns.answer_count': l.count,
      'process.pid': p.pid,
    };
    if (l.nameTruncated) attrs['ptrace.dns.name_truncated'] = true;
    let status: SpanData['status'] = { code: STATUS_UNSET };
    if (l.result !== 0) {
      const name = l.resultName ?? `EAI ${l.result}`;
      attrs['error.type'] = name;
      status = { code: STATUS_ERROR, message: `getaddrinfo ${l.name}: ${name}` };
    }
    return {
      traceId,
      spanId: processSpanId(traceId, identity, p.pid, p.startBoot, `dns:${l.id}`),
      parentSpanId,
      parentIsRemote: false,
      traceFlags,
      name: `getaddrinfo ${l.name}`,
      start: l.time,
      end: l.time + l.latencyNs,
      attributes: attrs,
      events: [],
      status,
      kind: SPAN_KIND_CLIENT,
    };
  }
  if (header.options.dns) ra0['ptrace.capture.lookups'] = model.dnsLookups.length;

  // ---- DNS queries on the wire: a CLIENT span each, under the image of its process current when it was sent
  for (const q of model.dnsQueries) {
    const n = nodeAt(q.processId, q.time);
    if (n === undefined) continue;
    connSpans.push(querySpan(q, n.p, n.spanId));
  }
  function querySpan(q: DnsQueryRow, p: ProcessRow, parentSpanId: string): SpanData {
    const attrs: Attributes = {
      'dns.question.name': q.name,
      'dns.answers': q.answers,
      'network.transport': 'udp',
      'network.type': q.server.includes(':') ? 'ipv6' : 'ipv4',
      'network.peer.address': q.server,
      'network.peer.port': q.serverPort,
      'ptrace.span.type': 'dns_query',
      'ptrace.dns.type': q.type,
      'ptrace.dns.id': q.dnsId,
      'process.pid': p.pid,
    };
    if (q.rcodeName !== null) attrs['ptrace.dns.rcode'] = q.rcodeName;
    if (q.truncated) attrs['ptrace.dns.truncated'] = true;
    if (q.error !== null) attrs['ptrace.dns.parse_error'] = q.error;
    const outcome = queryOutcome(q);
    let status: SpanData['status'] = { code: STATUS_UNSET };
    if (outcome !== null) {
      attrs['error.type'] = outcome === 'no reply' ? 'timeout' : outcome;
      status = { code: STATUS_ERROR, message: `DNS ${q.type} ${q.name}: ${outcome}` };
    }
    return {
      traceId,
      spanId: processSpanId(traceId, identity, p.pid, p.startBoot, `dnsq:${q.id}`),
      parentSpanId,
      parentIsRemote: false,
      traceFlags,
      name: `DNS ${q.type} ${q.name}`,
      start: q.time,
      end: q.time + (q.latencyNs ?? 0n),
      attributes: attrs,
      events: [],
      status,
      kind: SPAN_KIND_CLIENT,
    };
  }
  if (header.options.dnsMessages) ra0['ptrace.capture.dns_queries'] = model.dnsQueries.length;

  const usageOf: (ResourceRow | undefined)[] = [];
  for (const r of model.resources) usageOf[r.processId] = r;
  for (const n of nodes)
    if (n.events !== null && n.events.length > 1)
      n.events.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));

  const addCustom = (attrs: Attributes, exec: ExecRow, argv: string[], p: ProcessRow, ppid: number): void => {
    if (envNames.length > 0) {
      const env = envs.get(exec.envId);
      for (const name of envNames) {
        const v = env.get(name);
        if (v !== undefined) attrs[`process.environment_variable.${name}`] = v;
      }
    }
    if (exprs.length > 0) {
      const ctx = exprContext({
        env: exprs.some((e) => e.usesEnv) ? envs.get(exec.envId) : new Map(),
        args: argv,
        exe: exec.exe,
        cwd: exec.cwd,
        pid: p.pid,
        ppid,
      });
      for (const e of exprs) {
        const v = evaluateAttribute(e, ctx);
        if (v !== undefined) attrs[e.name] = v;
      }
    }
  };

  /** The full span of a skeleton: attributes, status. */
  const materialize = (n: ImageNode): SpanData => {
    const { p, exec: x } = n;
    const attrs: Attributes = { 'process.pid': p.pid };
    if (n.ppid) attrs['process.parent_pid'] = n.ppid;
    const argv = x === null ? [] : decodeStrings(x.argv);
    if (x !== null) {
      attrs['process.executable.name'] = executableName(x.exe, argv);
      attrs['process.executable.path'] = x.exe;
      attrs['process.command_args'] = argv;
    }
    if (n.kind === 'exec' && x !== null) {
      if (x.argcKernel !== argv.length) attrs['process.args_count'] = x.argcKernel;
      attrs['process.working_directory'] = x.cwd;
      attrs['process.owner'] = String(x.uid);
      if (x.euid !== x.uid) attrs['process.user.id'] = x.euid;
      if (x.egid !== x.gid) attrs['process.group.id'] = x.egid;
      if (x.interp !== null) attrs['ptrace.exec.interpreter'] = x.interp;
      if (x.nsLevel > 0) attrs['process.vpid'] = x.nsPid;
      attrs['ptrace.span.type'] = 'exec';
      if (x.seq > 0) attrs['ptrace.exec.seq'] = x.seq;
      if (x.argvTruncated) attrs['ptrace.exec.argv_truncated'] = true;
      if (x.envTruncated) attrs['ptrace.exec.env_truncated'] = true;
      if (x.exeTruncated || x.cwdTruncated || x.filenameTruncated) attrs['ptrace.exec.path_truncated'] = true;
    } else {
      attrs['ptrace.span.type'] = n.kind;
    }
    let status: SpanData['status'] = { code: STATUS_UNSET };
    if (n.last) {
      const outcome = exitOutcome(p);
      Object.assign(attrs, outcome.attrs);
      status = outcome.status;
      const u = usageOf[p.id];
      if (u !== undefined) usageAttributes(attrs, u);
    } else {
      attrs['ptrace.exec.replaced'] = true;
    }
    if (x !== null) addCustom(attrs, x, argv, p, n.ppid);
    return {
      traceId,
      spanId: n.spanId,
      parentSpanId: n.parentSpanId,
      parentIsRemote: false,
      traceFlags,
      name: n.name,
      start: n.start,
      end: n.end,
      attributes: attrs,
      events: n.events ?? [],
      status,
    };
  };

  // ---- root span: the capture, its outcome, truncation and losses
  const lossByCategory = new Map<string, bigint>();
  for (const l of model.losses) {
    const prev = lossByCategory.get(l.categoryName) ?? 0n;
    if (l.count > prev) lossByCategory.set(l.categoryName, l.count);
  }
  let lost = 0n;
  for (const n of lossByCategory.values()) lost += n;
  if (footer !== null && footer.lost > lost) lost = footer.lost;
  const complete = footer !== null;
  const ra = root.attributes;
  ra['ptrace.span.type'] = 'capture';
  if (header.commandArgv.length > 0) ra['ptrace.capture.command'] = header.commandArgv;
  ra['ptrace.capture.root_pid'] = header.rootPid;
  if (header.ptraceVersion) ra['ptrace.capture.version'] = header.ptraceVersion;
  if (header.bootId) ra['ptrace.capture.boot_id'] = header.bootId;
  ra['ptrace.capture.env_recorded'] = header.options.env;
  ra['ptrace.capture.processes'] = model.processes.length;
  ra['ptrace.capture.execs'] = model.execs.length;
  ra['ptrace.capture.failed_execs'] = model.execFailures.length;
  if (header.options.files) {
    ra['ptrace.capture.opens'] = model.opens.length;
    let failedOpens = 0;
    for (const o of model.opens) if (o.fd === null) failedOpens++;
    ra['ptrace.capture.failed_opens'] = failedOpens;
  }
  ra['ptrace.capture.complete'] = complete;
  ra['ptrace.capture.lost_records'] = Number(lost);
  ra['ptrace.capture.truncated'] = !complete || lost > 0n || truncatedArgv + truncatedEnv + truncatedOther > 0;
  if (truncatedArgv > 0) ra['ptrace.capture.truncated_argv'] = truncatedArgv;
  if (truncatedEnv > 0) ra['ptrace.capture.truncated_env'] = truncatedEnv;
  if (truncatedOther > 0) ra['ptrace.capture.truncated_paths'] = truncatedOther;
  if (footer !== null && footer.stillRunning > 0) ra['ptrace.capture.still_running'] = footer.stillRunning;
  ra['ptrace.trace_id.source'] = source;
  if (rootProc !== null) {
    const out = exitOutcome(rootProc);
    Object.assign(ra, out.attrs);
    root.status = out.status;
  }
  const rootEvents: SpanEvent[] = [];
  for (const l of model.losses) {
    rootEvents.push({
      name: 'ptrace.loss',
      time: l.time,
      attributes: { 'ptrace.loss.category': l.categoryName, 'ptrace.loss.count': Number(l.count) },
    });
  }
  for (const w of input.warnings) {
    rootEvents.push({
      name: 'ptrace.warning',
      time: captureEnd,
      attributes: { 'ptrace.warning.code': w.code, 'ptrace.warning.message': w.message.split('\n')[0]! },
    });
  }
  root.events.push(...rootEvents);
  root.events.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return {
    traceId,
    rootSpanId: rootId,
    source,
    spanCount: nodes.length + 1 + connSpans.length,
    *spans() {
      yield root;
      for (const n of nodes) yield materialize(n);
      yield* connSpans;
    },
  };
}
