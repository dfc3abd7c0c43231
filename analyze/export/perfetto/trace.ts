// The model → Perfetto TracePackets (docs/perfetto.md): a process track per
// process with its main thread, a slice per exec'd image, instants for failed
// execs and failed opens, TCP connection, name lookup and DNS query slices on
// lanes under their process, a counter of live processes, and a flow from each
// fork to the child's first slice. Pure: rows in, packet objects out (field
// names as protobufjs gives them, camelCase, for perfetto_trace.proto);
// encode.ts turns them into bytes. Strings are written as the model holds them:
// the command loads it with its secrets replaced (load's `redact`).

import { decodeStrings } from '../../../formats/nul-area.ts';
import { basename } from '../../format.ts';
import type { CaptureInfo } from '../../replay/capture-info.ts';
import { openFlagsText } from '../../replay/files.ts';
import type {
  ConnectionRow,
  DnsLookupRow,
  DnsQueryRow,
  ExecFailureRow,
  ExecRow,
  Model,
  OpenRow,
  ProcessRow,
  ResourceRow,
} from '../../replay/model.ts';
import { queryOutcome } from '../../replay/net.ts';

/** A 64-bit value for protobufjs: a number when exact, else its two 32-bit halves. */
export type U64 = number | { low: number; high: number; unsigned: boolean };

export function u64(v: bigint): U64 {
  if (v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  const b = BigInt.asUintN(64, v);
  return { low: Number(b & 0xffffffffn) | 0, high: Number(b >> 32n) | 0, unsigned: true };
}

export interface DebugAnnotation {
  nameIid?: number;
  boolValue?: boolean;
  uintValue?: U64;
  intValue?: U64;
  stringValue?: string;
  arrayValues?: DebugAnnotation[];
}

export interface TrackEvent {
  type: number;
  trackUuid: number;
  nameIid?: number;
  categoryIids?: number[];
  counterValue?: number;
  flowIds?: number[];
  terminatingFlowIds?: number[];
  debugAnnotations?: DebugAnnotation[];
}

export interface TrackDescriptor {
  uuid: number;
  parentUuid?: number;
  name?: string;
  process?: { pid: number; processName: string; startTimestampNs: U64 };
  thread?: { pid: number; tid: number; threadName: string };
  counter?: { unit?: number; unitName?: string };
  childOrdering?: number;
  siblingOrderRank?: number;
}

export interface InternedData {
  eventCategories?: { iid: number; name: string }[];
  eventNames?: { iid: number; name: string }[];
  debugAnnotationNames?: { iid: number; name: string }[];
}

export interface TracePacket {
  timestamp?: U64;
  trustedPacketSequenceId: number;
  sequenceFlags?: number;
  firstPacketOnSequence?: boolean;
  internedData?: InternedData;
  trackEvent?: TrackEvent;
  trackDescriptor?: TrackDescriptor;
  processTree?: { processes: { pid: number; ppid?: number; cmdline: string[]; uid?: number }[] };
  clockSnapshot?: { clocks: { clockId: number; timestamp: U64 }[]; primaryTraceClock: number };
}

export const SEQUENCE_ID = 1;
const SEQ_INCREMENTAL_STATE_CLEARED = 1;
const SEQ_NEEDS_INCREMENTAL_STATE = 2;
export const TYPE_SLICE_BEGIN = 1;
export const TYPE_SLICE_END = 2;
export const TYPE_INSTANT = 3;
export const TYPE_COUNTER = 4;
const CLOCK_REALTIME = 1;
const CLOCK_BOOTTIME = 6;
const UNIT_COUNT = 2;
const CHRONOLOGICAL = 2;

/** Debug annotation names, interned once in the first packet (iid = position + 1). */
export const ANNOTATION_NAMES = [
  'argv',
  'exe',
  'interpreter',
  'cwd',
  'exit',
  'exit_code',
  'signal',
  'core_dumped',
  'replaced_by_exec',
  'argv_truncated',
  'uid',
  'user_cpu_ns',
  'system_cpu_ns',
  'cpu_runtime_ns',
  'max_rss_kib',
  'minor_faults',
  'major_faults',
  'voluntary_switches',
  'involuntary_switches',
  'read_chars',
  'written_chars',
  'read_bytes',
  'written_bytes',
  'path',
  'errno',
  'flags',
  'role',
  'local',
  'remote',
  'peer_name',
  'state',
  'connect_latency_ns',
  'bytes_sent',
  'bytes_received',
  'retransmits',
  'name',
  'result',
  'answers',
  'latency_ns',
  'server',
  'type',
  'rcode',
  'child_pid',
] as const;
type AnnotationName = (typeof ANNOTATION_NAMES)[number];
const ANNOTATION_IID = new Map<string, number>(ANNOTATION_NAMES.map((n, i) => [n, i + 1]));

/** Event categories (iid = position + 1). */
export const CATEGORIES = ['process', 'exec', 'fork', 'files', 'net', 'dns'] as const;
type Category = (typeof CATEGORIES)[number];

export interface PerfettoInput {
  model: Pick<
    Model,
    | 'source'
    | 'processes'
    | 'execs'
    | 'execFailures'
    | 'opens'
    | 'resources'
    | 'connections'
    | 'dnsLookups'
    | 'dnsQueries'
  >;
  capture: Pick<CaptureInfo, 'startNs' | 'end'>;
}

const str = (name: AnnotationName, value: string): DebugAnnotation => ({
  nameIid: ANNOTATION_IID.get(name)!,
  stringValue: value,
});
const int = (name: AnnotationName, value: number | bigint): DebugAnnotation => ({
  nameIid: ANNOTATION_IID.get(name)!,
  intValue: typeof value === 'bigint' ? u64(value) : value,
});
const bool = (name: AnnotationName, value: boolean): DebugAnnotation => ({
  nameIid: ANNOTATION_IID.get(name)!,
  boolValue: value,
});
const list = (name: AnnotationName, values: readonly string[]): DebugAnnotation => ({
  nameIid: ANNOTATION_IID.get(name)!,
  arrayValues: values.map((v) => ({ stringValue: v })),
});

/** At equal times: slice ends, then begins, then instants, then counters (by TrackEvent type). */
const ORDER_OF_TYPE = [0, 1, 0, 2, 3];
/** One shared array per category (protobufjs only reads them). */
const CATEGORY_IIDS = new Map<string, number[]>(CATEGORIES.map((n, i) => [n, [i + 1]]));

/** What a process's exit says, for the `exit` annotation. */
function exitText(p: ProcessRow): string {
  if (p.state === 'running') return 'running when the capture stopped';
  if (p.state === 'unknown') return 'no exit record';
  if (p.signal !== null)
    return `killed by ${p.signalName ?? `signal ${p.signal}`}${p.coreDumped ? ' (core dumped)' : ''}`;
  return `exit ${p.exitCode ?? '?'}`;
}

function exitAnnotations(p: ProcessRow, r: ResourceRow | undefined): DebugAnnotation[] {
  const out = [str('exit', exitText(p))];
  if (p.exitCode !== null) out.push(int('exit_code', p.exitCode));
  if (p.signal !== null) out.push(str('signal', p.signalName ?? String(p.signal)));
  if (p.coreDumped) out.push(bool('core_dumped', true));
  if (r !== undefined) {
    out.push(
      int('user_cpu_ns', r.utimeNs),
      int('system_cpu_ns', r.stimeNs),
      int('cpu_runtime_ns', r.runtimeNs),
      int('max_rss_kib', r.maxrssKb),
      int('minor_faults', r.minFlt),
      int('major_faults', r.majFlt),
      int('voluntary_switches', r.nvcsw),
      int('involuntary_switches', r.nivcsw),
      int('read_chars', r.rchar),
      int('written_chars', r.wchar),
      int('read_bytes', r.readBytes),
      int('written_bytes', r.writeBytes),
    );
  }
  return out;
}

/** `host:port`, IPv6 addresses in brackets. */
const endpoint = (address: string, port: number): string =>
  address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;

/**
 * Greedy lanes for overlapping intervals: each goes on the first lane free by
 * its start (intervals in start order); returns the lane of each.
 */
function lanes(intervals: readonly { start: number; end: number }[]): number[] {
  const laneEnds: number[] = [];
  return intervals.map((iv) => {
    let lane = laneEnds.findIndex((end) => end <= iv.start);
    if (lane === -1) lane = laneEnds.push(iv.end) - 1;
    else laneEnds[lane] = iv.end;
    return lane;
  });
}

// What an event shows, decided when it is written (so that the annotations of a million events are
// never all held at once): the payload kind and its row.
const END = 0;
const IMAGE = 1; // an exec'd image (ExecRow)
const FORKED = 2; // a process that never exec'd (ProcessRow)
const FORK = 3; // the fork of a child, on its parent's thread (ProcessRow of the child)
const EXEC_FAILED = 4;
const OPEN_FAILED = 5;
const CONNECTION = 6;
const LOOKUP = 7;
const QUERY = 8;
const COUNTER = 9;
const CATEGORY_OF_PAYLOAD: readonly (Category | null)[] = [
  null,
  'exec',
  'process',
  'fork',
  'exec',
  'files',
  'net',
  'dns',
  'dns',
  null,
];
/** Event flags: the child's first slice (where the flow from its fork ends); the process's last image (its exit). */
const FIRST_SLICE = 1;
const LAST_IMAGE = 2;

/**
 * The trace's packets, in file order: the clock snapshots and interned names, the track
 * descriptors and process tree, then the track events in time order. A generator: each packet
 * is made when it is asked for, so the encoder can write and drop them chunk by chunk.
 */
export function* perfettoPackets(input: PerfettoInput): Generator<TracePacket> {
  const { model, capture } = input;
  const header = model.source.header;
  const t0 = capture.startNs;
  const captureEnd = Math.max(0, capture.end);
  const rel = (ns: bigint): number => Number(ns - t0);
  // Boot clock of a capture-relative time: the capture start's boot time plus the offset.
  const bootStart = header.start.boottime + (t0 - header.start.realtime);
  const bootNumber = Number(bootStart);
  const bootExact = Number.isSafeInteger(bootNumber);
  const boot = (t: number): U64 => {
    const v = bootNumber + t;
    if (bootExact && Number.isSafeInteger(v) && v >= 0) return v;
    const b = bootStart + BigInt(Math.round(t));
    return u64(b < 0n ? 0n : b);
  };

  const processes = model.processes;
  const n = processes.length;
  const validId = (id: number | null): id is number => id !== null && Number.isInteger(id) && id >= 1 && id <= n;
  const execsOf: ExecRow[][] = new Array(n + 1);
  for (const x of model.execs) if (validId(x.processId)) (execsOf[x.processId] ??= []).push(x);
  for (const l of execsOf) if (l !== undefined && l.length > 1) l.sort((a, b) => a.seq - b.seq);
  const usage: (ResourceRow | undefined)[] = new Array(n + 1);
  for (const r of model.resources) if (validId(r.processId)) usage[r.processId] = r;
  const endOf = (p: ProcessRow, start: number): number => (p.end === null ? captureEnd : Math.max(start, rel(p.end)));

  // Track uuids: process i is i, its main thread n + i, the live-process counter 2n + 1, lanes after.
  const processTrack = (id: number): number => id;
  const threadTrack = (id: number): number => n + id;
  const counterTrack = 2 * n + 1;
  let nextUuid = counterTrack + 1;

  const argvOf = (x: ExecRow): string[] => decodeStrings(x.argv);
  /** argv[0] alone. */
  const argv0Of = (x: ExecRow): string | undefined => {
    const nul = x.argv.indexOf(0);
    return nul <= 0 ? undefined : x.argv.toString('utf8', 0, nul);
  };
  const imageName = (x: ExecRow, argv0: string | undefined): string =>
    basename(argv0 ?? x.exe) || basename(x.exe) || x.exe;
  /** The image a process ran at time t: its last exec at or before t, else null. */
  const execAt = (id: number, t: number): ExecRow | null => {
    const l = execsOf[id];
    if (l === undefined || rel(l[0]!.time) > t) return null;
    let lo = 0;
    let hi = l.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (rel(l[mid]!.time) <= t) lo = mid;
      else hi = mid - 1;
    }
    return l[lo]!;
  };
  /**
   * The image a process that never exec'd runs: its parent's when it forked it (for a parent that never
   * exec'd either, the parent's own), null when none is known. Iterative up the chain, each computed once.
   */
  const forkImages: (ExecRow | null | undefined)[] = new Array(n + 1);
  const forkImageOf = (id: number): ExecRow | null => {
    const chain: number[] = [];
    let image: ExecRow | null | undefined;
    for (let cur = id; image === undefined; ) {
      image = forkImages[cur];
      if (image !== undefined) break;
      chain.push(cur);
      const p = processes[cur - 1]!;
      const parent = p.parentId;
      if (!validId(parent) || chain.length > n) image = null;
      else {
        image = execAt(parent, rel(p.start));
        if (image === null) {
          image = undefined;
          cur = parent;
        }
      }
    }
    for (const c of chain) forkImages[c] = image;
    return image;
  };
  const forkedName = (p: ProcessRow): string => {
    const image = forkImageOf(p.id);
    return image === null ? `pid ${p.pid}` : `fork of ${imageName(image, argv0Of(image))}`;
  };

  // ---- events, as compact columns: time, type, track, payload kind, its row, flags
  const times: number[] = [];
  const types: number[] = [];
  const tracks: number[] = [];
  const payloads: number[] = [];
  const rows: unknown[] = [];
  const flags: number[] = [];
  const add = (t: number, type: number, track: number, payload: number, row: unknown, flag = 0): void => {
    times.push(t);
    types.push(type);
    tracks.push(track);
    payloads.push(payload);
    rows.push(row);
    flags.push(flag);
  };
  /** A slice from `start` to `end`; an instant when it has no duration (or a forged end before its start). */
  const slice = (track: number, start: number, end: number, payload: number, row: unknown, flag = 0): void => {
    if (end > start) {
      add(start, TYPE_SLICE_BEGIN, track, payload, row, flag);
      add(end, TYPE_SLICE_END, track, END, null);
    } else add(start, TYPE_INSTANT, track, payload, row, flag);
  };

  for (const p of processes) {
    if (!validId(p.id)) continue;
    const start = rel(p.start);
    const end = endOf(p, start);
    const track = threadTrack(p.id);
    const execs = execsOf[p.id];
    const hasParent = validId(p.parentId);
    if (execs === undefined) slice(track, start, end, FORKED, p, hasParent ? FIRST_SLICE : 0);
    else {
      // A slice per image: from its exec to the next exec, or to the process's end.
      for (let i = 0; i < execs.length; i++) {
        const x = execs[i]!;
        const xStart = rel(x.time);
        const last = i === execs.length - 1;
        const xEnd = last ? end : rel(execs[i + 1]!.time);
        const flag = (i === 0 && hasParent ? FIRST_SLICE : 0) | (last ? LAST_IMAGE : 0);
        slice(track, xStart, Math.max(xStart, xEnd), IMAGE, x, flag);
      }
    }
    // The fork, on the parent's thread, where the flow to this process starts.
    if (hasParent) add(start, TYPE_INSTANT, threadTrack(p.parentId!), FORK, p);
  }
  for (const f of model.execFailures) {
    if (validId(f.processId)) add(rel(f.time), TYPE_INSTANT, threadTrack(f.processId), EXEC_FAILED, f);
  }
  for (const o of model.opens) {
    if (o.errno !== null && validId(o.processId))
      add(rel(o.time), TYPE_INSTANT, threadTrack(o.processId), OPEN_FAILED, o);
  }

  // Connections, lookups and DNS queries: slices on lanes under their process (one lane per overlap).
  const laneDescriptors: TracePacket[] = [];
  const laneSlices = <T extends { processId: number }>(
    list: readonly T[],
    span: (r: T) => { start: number; end: number },
    laneName: string,
    payload: number,
  ): void => {
    const byProcess = new Map<number, T[]>();
    for (const r of list) {
      if (!validId(r.processId)) continue;
      let l = byProcess.get(r.processId);
      if (l === undefined) byProcess.set(r.processId, (l = []));
      l.push(r);
    }
    for (const [id, rs] of byProcess) {
      const spans = rs.map(span);
      const order = spans.map((_, i) => i).sort((a, b) => spans[a]!.start - spans[b]!.start || a - b);
      const laneOf = lanes(order.map((i) => spans[i]!));
      const laneUuids: number[] = [];
      order.forEach((i, k) => {
        const lane = laneOf[k]!;
        let uuid = laneUuids[lane];
        if (uuid === undefined) {
          uuid = laneUuids[lane] = nextUuid++;
          laneDescriptors.push({
            timestamp: boot(spans[i]!.start),
            trustedPacketSequenceId: SEQUENCE_ID,
            trackDescriptor: { uuid, parentUuid: processTrack(id), name: laneName },
          });
        }
        slice(uuid, spans[i]!.start, spans[i]!.end, payload, rs[i]!);
      });
    }
  };
  laneSlices(
    model.connections,
    (c) => {
      const start = rel(c.start);
      return { start, end: Math.max(start, c.end === null ? captureEnd : rel(c.end)) };
    },
    'TCP connections',
    CONNECTION,
  );
  laneSlices(
    model.dnsLookups,
    (l) => {
      const start = rel(l.time);
      return { start, end: start + Math.max(0, Number(l.latencyNs)) };
    },
    'name lookups',
    LOOKUP,
  );
  laneSlices(
    model.dnsQueries,
    (q) => {
      const start = rel(q.time);
      return { start, end: start + (q.latencyNs === null ? 0 : Math.max(0, Number(q.latencyNs))) };
    },
    'DNS queries',
    QUERY,
  );

  // Live processes: +1 at each start, -1 at each end (the capture end for those that did not end).
  const starts = new Float64Array(n);
  const ends = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = processes[i]!;
    starts[i] = rel(p.start);
    ends[i] = endOf(p, starts[i]!);
  }
  starts.sort();
  ends.sort();
  for (let i = 0, j = 0, live = 0; i < n || j < n; ) {
    // Ends first at equal times: a process replaced at the instant another starts is not counted twice.
    const t = j < n && (i >= n || ends[j]! <= starts[i]!) ? ends[j]! : starts[i]!;
    while (j < n && ends[j] === t) {
      live--;
      j++;
    }
    while (i < n && starts[i] === t) {
      live++;
      i++;
    }
    add(t, TYPE_COUNTER, counterTrack, COUNTER, live);
  }

  // ---- the packets
  yield {
    timestamp: boot(0),
    trustedPacketSequenceId: SEQUENCE_ID,
    sequenceFlags: SEQ_INCREMENTAL_STATE_CLEARED,
    firstPacketOnSequence: true,
    // Both clocks at the capture start (and at its stop): the UI shows wall-clock time from them.
    clockSnapshot: {
      clocks: [
        { clockId: CLOCK_BOOTTIME, timestamp: u64(header.start.boottime) },
        { clockId: CLOCK_REALTIME, timestamp: u64(header.start.realtime) },
      ],
      primaryTraceClock: CLOCK_BOOTTIME,
    },
    internedData: {
      eventCategories: CATEGORIES.map((name, i) => ({ iid: i + 1, name })),
      debugAnnotationNames: ANNOTATION_NAMES.map((name, i) => ({ iid: i + 1, name })),
    },
  };
  const stop = model.source.footer?.stop;
  if (stop !== undefined) {
    yield {
      timestamp: u64(stop.boottime),
      trustedPacketSequenceId: SEQUENCE_ID,
      clockSnapshot: {
        clocks: [
          { clockId: CLOCK_BOOTTIME, timestamp: u64(stop.boottime) },
          { clockId: CLOCK_REALTIME, timestamp: u64(stop.realtime) },
        ],
        primaryTraceClock: CLOCK_BOOTTIME,
      },
    };
  }

  // Tracks: per process, its track and its main thread's; the parent links in ProcessTree packets
  // (ProcessDescriptor has no parent field), many processes a packet, a new packet before a pid
  // repeats (pid reuse).
  const TREE_BATCH = 256;
  type TreeProcess = NonNullable<TracePacket['processTree']>['processes'][number];
  let tree: TreeProcess[] = [];
  let treeStart = 0;
  const treePids = new Set<number>();
  for (const p of processes) {
    if (!validId(p.id)) continue;
    const start = rel(p.start);
    const execs = execsOf[p.id];
    // A process that never exec'd runs (and /proc would show) the image it was forked from.
    const image = execs !== undefined ? execs[execs.length - 1]! : forkImageOf(p.id);
    const argv0 = image === null ? undefined : argv0Of(image);
    const name =
      execs !== undefined
        ? imageName(image!, argv0)
        : image === null
          ? `pid ${p.pid}`
          : `fork of ${imageName(image, argv0)}`;
    yield {
      timestamp: boot(start),
      trustedPacketSequenceId: SEQUENCE_ID,
      trackDescriptor: {
        uuid: processTrack(p.id),
        process: { pid: p.pid, processName: name, startTimestampNs: boot(start) },
        childOrdering: CHRONOLOGICAL,
      },
    };
    yield {
      timestamp: boot(start),
      trustedPacketSequenceId: SEQUENCE_ID,
      trackDescriptor: {
        uuid: threadTrack(p.id),
        parentUuid: processTrack(p.id),
        thread: { pid: p.pid, tid: p.pid, threadName: p.comm ?? name },
      },
    };
    if (tree.length >= TREE_BATCH || treePids.has(p.pid)) {
      yield { timestamp: boot(treeStart), trustedPacketSequenceId: SEQUENCE_ID, processTree: { processes: tree } };
      tree = [];
      treePids.clear();
    }
    if (tree.length === 0) treeStart = start;
    treePids.add(p.pid);
    const ppid = p.parentPid ?? p.ppid;
    tree.push({
      pid: p.pid,
      ...(ppid !== null ? { ppid } : {}),
      // The trace processor skips entries without a command line; the whole argv is on the image's slice.
      cmdline: [argv0 ?? name],
      ...(image !== null ? { uid: image.uid } : {}),
    });
  }
  if (tree.length > 0) {
    yield { timestamp: boot(treeStart), trustedPacketSequenceId: SEQUENCE_ID, processTree: { processes: tree } };
  }
  yield {
    trustedPacketSequenceId: SEQUENCE_ID,
    trackDescriptor: { uuid: counterTrack, name: 'live processes', counter: { unit: UNIT_COUNT } },
  };
  yield* laneDescriptors;

  // Track events in time order; event names interned in the packet that first uses them.
  const order = timeOrder(
    times,
    types.map((t) => ORDER_OF_TYPE[t]!),
  );
  const nameIids = new Map<string, number>();
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const type = types[i]!;
    const payload = payloads[i]!;
    const row = rows[i];
    const te: TrackEvent = { type, trackUuid: tracks[i]! };
    const packet: TracePacket = {
      timestamp: boot(times[i]!),
      trustedPacketSequenceId: SEQUENCE_ID,
      sequenceFlags: SEQ_NEEDS_INCREMENTAL_STATE,
      trackEvent: te,
    };
    const category = CATEGORY_OF_PAYLOAD[payload]!;
    if (category !== null) te.categoryIids = CATEGORY_IIDS.get(category)!;
    let name: string | null = null;
    switch (payload) {
      case IMAGE: {
        const x = row as ExecRow;
        const argv = argvOf(x);
        name = imageName(x, argv[0]);
        const annotations = [list('argv', argv), str('exe', x.exe), str('cwd', x.cwd)];
        if (x.interp !== null) annotations.push(str('interpreter', x.interp));
        if (x.argvTruncated) annotations.push(bool('argv_truncated', true));
        annotations.push(int('uid', x.uid));
        if ((flags[i]! & LAST_IMAGE) !== 0) {
          const p = processes[x.processId - 1]!;
          for (const a of exitAnnotations(p, usage[p.id])) annotations.push(a);
        } else annotations.push(bool('replaced_by_exec', true));
        te.debugAnnotations = annotations;
        if ((flags[i]! & FIRST_SLICE) !== 0) te.terminatingFlowIds = [x.processId];
        break;
      }
      case FORKED: {
        const p = row as ProcessRow;
        name = forkedName(p);
        te.debugAnnotations = exitAnnotations(p, usage[p.id]);
        if ((flags[i]! & FIRST_SLICE) !== 0) te.terminatingFlowIds = [p.id];
        break;
      }
      case FORK: {
        const child = row as ProcessRow;
        name = 'fork';
        te.flowIds = [child.id];
        te.debugAnnotations = [int('child_pid', child.pid)];
        break;
      }
      case EXEC_FAILED: {
        const f = row as ExecFailureRow;
        name = `exec failed: ${f.errnoName}`;
        te.debugAnnotations = [str('path', f.path), str('errno', f.errnoName)];
        break;
      }
      case OPEN_FAILED: {
        const o = row as OpenRow;
        const errno = o.errnoName ?? String(o.errno);
        name = `open failed: ${errno}`;
        te.debugAnnotations = [
          str('path', o.resolved ?? o.path),
          str('errno', errno),
          str('flags', openFlagsText(o.flags)),
        ];
        break;
      }
      case CONNECTION: {
        const c = row as ConnectionRow;
        const remote = endpoint(c.remoteAddress, c.remotePort);
        const verb = c.role === 'server' ? 'accepted' : 'connect';
        const failed =
          c.state === 'failed' ? ` failed: ${c.abandoned ? 'abandoned' : (c.errnoName ?? c.errno ?? '?')}` : '';
        name = `${verb} ${c.peerName ?? remote}${failed}`;
        const annotations = [
          str('role', c.role),
          str('local', endpoint(c.localAddress, c.localPort)),
          str('remote', remote),
          str('state', c.state),
        ];
        if (c.peerName !== null) annotations.push(str('peer_name', c.peerName));
        if (c.latencyNs !== null) annotations.push(int('connect_latency_ns', c.latencyNs));
        if (c.errnoName !== null) annotations.push(str('errno', c.errnoName));
        if (c.bytesSent !== null) annotations.push(int('bytes_sent', c.bytesSent));
        if (c.bytesReceived !== null) annotations.push(int('bytes_received', c.bytesReceived));
        if (c.retransmits !== null) annotations.push(int('retransmits', c.retransmits));
        te.debugAnnotations = annotations;
        break;
      }
      case LOOKUP: {
        const l = row as DnsLookupRow;
        const lookedUp = l.name;
        name = `getaddrinfo ${lookedUp}${l.resultName === null ? '' : `: ${l.resultName}`}`;
        te.debugAnnotations = [
          str('name', lookedUp),
          str('result', l.resultName ?? 'ok'),
          list(
            'answers',
            l.answers.map((a) => a.address),
          ),
          int('latency_ns', l.latencyNs),
        ];
        break;
      }
      case QUERY: {
        const q = row as DnsQueryRow;
        const outcome = queryOutcome(q);
        const asked = q.name;
        name = `DNS ${q.type || '?'} ${asked || '(unparsed)'}${outcome === null ? '' : `: ${outcome}`}`;
        const annotations = [
          str('name', asked),
          str('type', q.type),
          str('server', endpoint(q.server, q.serverPort)),
          str('rcode', q.rcodeName ?? (q.rcode === null ? 'no reply' : String(q.rcode))),
          list('answers', q.answers),
        ];
        if (q.latencyNs !== null) annotations.push(int('latency_ns', q.latencyNs));
        te.debugAnnotations = annotations;
        break;
      }
      case COUNTER:
        te.counterValue = row as number;
        break;
      default:
        break;
    }
    if (name !== null) {
      let iid = nameIids.get(name);
      if (iid === undefined) {
        nameIids.set(name, (iid = nameIids.size + 1));
        packet.internedData = { eventNames: [{ iid, name }] };
      }
      te.nameIid = iid;
    }
    yield packet;
  }
}

/**
 * Indices of events in (time, kind, creation) order. Times and kinds make one exact key (time × 4 + kind,
 * while below 2^53: 26 days of ns); the keys are ranked with a native sort and the events placed by a
 * stable counting sort on their rank, so no comparator runs per pair. Beyond that range, a comparator sort.
 */
export function timeOrder(times: readonly number[], kinds: readonly number[]): Uint32Array {
  const m = times.length;
  const order = new Uint32Array(m);
  const keys = new Float64Array(m);
  let exact = true;
  for (let i = 0; i < m; i++) {
    const k = times[i]! * 4 + kinds[i]!;
    if (!Number.isSafeInteger(k)) exact = false;
    keys[i] = k;
  }
  if (!exact) {
    for (let i = 0; i < m; i++) order[i] = i;
    return order.sort((a, b) => times[a]! - times[b]! || kinds[a]! - kinds[b]! || a - b);
  }
  const sorted = keys.slice().sort();
  let u = 0;
  for (let i = 0; i < m; i++) if (i === 0 || sorted[i] !== sorted[u - 1]) sorted[u++] = sorted[i]!;
  const distinct = sorted.subarray(0, u);
  const rank = new Uint32Array(m);
  const start = new Uint32Array(u + 1);
  for (let i = 0; i < m; i++) {
    const k = keys[i]!;
    let lo = 0;
    let hi = u - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (distinct[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    rank[i] = lo;
    start[lo + 1]!++;
  }
  for (let r = 0; r < u; r++) start[r + 1]! += start[r]!;
  for (let i = 0; i < m; i++) order[start[rank[i]!]!++] = i;
  return order;
}
