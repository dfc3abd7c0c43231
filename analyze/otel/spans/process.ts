// Process spans: one per exec'd image, nested under the image of the process
// that forked it (the parent's image current at fork time), one for each
// process that forked but never exec'd. First light skeletons (ids, parents,
// times), made into full spans (attributes, status) only while encoding.
// docs/otel.md lists the attributes.

import { decodeStrings, firstString } from '../../../formats/nul-area.ts';
import type { ExecRow, Model, ProcessRow, ResourceRow } from '../../replay/model.ts';
import { processSpanId } from '../ids.ts';
import { type Attributes, type SpanData, type SpanEvent, STATUS_ERROR, STATUS_UNSET } from '../span.ts';
import type { CustomAttributes } from './custom.ts';
import type { TraceContext } from './trace.ts';

/** A process span before its attributes are made. */
export interface ImageNode {
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

export interface ImageNodes {
  /** In (process start, pid) order, each process's images in exec order. */
  nodes: ImageNode[];
  /** The image of a process current at a time (its first one before its first exec). */
  nodeAt(processId: number, time: bigint): ImageNode | undefined;
  /** Execs whose argv, environment or a path the capture cut short. */
  truncated: { argv: number; env: number; paths: number };
}

const NO_EXECS: ExecRow[] = [];

export function basename(path: string): string {
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
  return basename(firstString(x.argv).toString('utf8')) || '?';
}

/** The skeletons of every process span. `execsByProc`: each process's execs in seq order, by process id. */
export function imageNodes(
  t: TraceContext,
  model: Model,
  execsByProc: readonly (ExecRow[] | undefined)[],
  rootSpanId: string,
): ImageNodes {
  const nodes: ImageNode[] = [];
  const nodesByProc: (ImageNode[] | undefined)[] = [];
  const nodeAt = (processId: number, time: bigint): ImageNode | undefined => {
    const list = nodesByProc[processId];
    if (list === undefined) return undefined;
    let n = list[0]!;
    for (let i = 1; i < list.length; i++) if (list[i]!.start <= time) n = list[i]!;
    return n;
  };
  const truncated = { argv: 0, env: 0, paths: 0 };

  // model.processes is in (start, pid) order, so a parent's nodes exist before its children look for them.
  for (const p of model.processes) {
    const execs = execsByProc[p.id] ?? NO_EXECS;
    const parentNode = p.parentId === null ? undefined : nodeAt(p.parentId, p.start);
    const parentSpanId = parentNode?.spanId ?? rootSpanId;
    const ppid = p.ppid ?? p.parentPid ?? execs[0]?.ppid ?? 0;
    const end = p.end ?? t.captureEnd;
    const list: ImageNode[] = [];
    if (execs.length === 0) {
      const kind = p.parentId === null ? 'process' : 'fork';
      list.push({
        spanId: processSpanId(t.traceId, t.identity, p.pid, p.startBoot, kind),
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
        if (x.argvTruncated) truncated.argv++;
        if (x.envTruncated) truncated.env++;
        if (x.exeTruncated || x.cwdTruncated || x.filenameTruncated) truncated.paths++;
        list.push({
          spanId: processSpanId(t.traceId, t.identity, p.pid, p.startBoot, `exec:${x.seq}`),
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
  return { nodes, nodeAt, truncated };
}

/** Status of a process that ended: error when the exit code is non-zero or a signal killed it. */
export function exitOutcome(p: ProcessRow): { attrs: Attributes; status: SpanData['status'] } {
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
  const s = (ns: number): number => ns / 1e9;
  attrs['process.cpu.time.user'] = s(u.utimeNs);
  attrs['process.cpu.time.system'] = s(u.stimeNs);
  if (u.runtimeNs > 0) attrs['ptrace.process.cpu.runtime'] = s(u.runtimeNs);
  attrs['process.memory.max_rss'] = u.maxrssKb * 1024;
  attrs['process.paging.faults.minor'] = u.minFlt;
  attrs['process.paging.faults.major'] = u.majFlt;
  attrs['process.context_switches.voluntary'] = u.nvcsw;
  attrs['process.context_switches.involuntary'] = u.nivcsw;
  attrs['ptrace.process.io.read_chars'] = u.rchar;
  attrs['ptrace.process.io.write_chars'] = u.wchar;
  attrs['process.disk.io.read'] = u.readBytes;
  attrs['process.disk.io.write'] = u.writeBytes;
}

/**
 * The full span of a skeleton: attributes, status. `usage`: the process's
 * resource usage at exit; `custom` adds the --env and -a attributes.
 */
export function processSpan(
  t: TraceContext,
  n: ImageNode,
  usage: ResourceRow | undefined,
  custom: CustomAttributes,
): SpanData {
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
  if (x?.attached) {
    attrs['ptrace.process.attached'] = p.attached ?? 'running';
    attrs['ptrace.process.start'] = Number(p.start / 1000n) / 1e6;
  }
  if (p.cgroup !== null) attrs['process.linux.cgroup'] = p.cgroup;
  if (p.containerId !== null) {
    attrs['container.id'] = p.containerId;
    if (p.containerRuntime !== null) attrs['container.runtime'] = p.containerRuntime;
  }
  let status: SpanData['status'] = { code: STATUS_UNSET };
  if (n.last) {
    const outcome = exitOutcome(p);
    Object.assign(attrs, outcome.attrs);
    status = outcome.status;
    if (usage !== undefined) usageAttributes(attrs, usage);
  } else {
    attrs['ptrace.exec.replaced'] = true;
  }
  if (x !== null) custom(attrs, x, argv, p, n.ppid);
  return {
    traceId: t.traceId,
    spanId: n.spanId,
    parentSpanId: n.parentSpanId,
    parentIsRemote: false,
    traceFlags: t.traceFlags,
    name: n.name,
    start: n.start,
    end: n.end,
    attributes: attrs,
    events: n.events ?? [],
    status,
  };
}
