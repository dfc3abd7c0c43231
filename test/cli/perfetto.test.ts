// `ptrace export --format perfetto`: the trace is read back by protoc, not by
// the library that wrote it (`--decode` against the kept .proto, `--decode_raw`
// against nothing), and checked against the model of the same raw file:
// tracks, slices and their nesting, timestamps on the boot clock, the clock
// snapshot, instants, connection and DNS slices, the live-process counter,
// flows, and counts; for the samples, the synthetic scenarios and a
// synthetic 100,000-process file.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { PROTO_PATH } from '../../analyze/export/perfetto/encode.ts';
import { type LoadedCapture, load } from '../../analyze/replay/load.ts';
import { decodeStrings } from '../../formats/nul-area.ts';
import {
  buildScenario,
  dnsScenario,
  dnsWireScenario,
  filesScenario,
  hostileScenario,
  netScenario,
  type Synth,
  Synth as SynthBuilder,
} from '../../testkit/synth.ts';
import { ptraceSync } from '../helpers/cli.ts';
import { one, protocDecode, protocLines, sub, type TextMessage } from '../helpers/protoc-text.ts';
import { ROOT } from '../helpers/real-capture.ts';

const work = mkdtempSync(join(tmpdir(), 'ptrace-perfetto-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

/** Exports `raw` to `out`; the structural checks compare exact strings, so secrets are kept unless `redact`. */
function exportTrace(raw: string, out: string, redact = false): void {
  const r = ptraceSync(['export', raw, '--format', 'perfetto', '-o', out, ...(redact ? [] : ['--no-redact'])]);
  if (r.code !== 0) throw new Error(`export failed (${r.code}): ${r.stderr}`);
}

function rawOf(name: string, s: Synth): string {
  const path = join(work, `${name}.raw`);
  writeFileSync(path, s.buffer());
  return path;
}

/** Boot-clock ns of a model (wall clock) time, as protoc prints it. */
const bootOf = (c: LoadedCapture, wall: bigint): string =>
  String(c.header.start.boottime + (wall - c.header.start.realtime));

interface Ev {
  ts: bigint;
  type: string;
  track: string;
  name: string | null;
  categories: string[];
  annotations: Map<string, TextMessage>;
  flowIds: string[];
  terminatingFlowIds: string[];
  counter: string | undefined;
}

/** The decoded trace, with interned names resolved as a reader does (in file order, per sequence). */
function readTrace(packets: TextMessage[]) {
  const eventNames = new Map<string, string>();
  const annotationNames = new Map<string, string>();
  const categoryNames = new Map<string, string>();
  const tracks = new Map<string, TextMessage>();
  const treeProcesses: TextMessage[] = [];
  const clocks: TextMessage[] = [];
  const events: Ev[] = [];
  packets.forEach((p, index) => {
    if (one(p, 'trusted_packet_sequence_id') !== '1') throw new Error(`packet ${index}: no sequence id`);
    const interned = sub(p, 'interned_data');
    if (interned !== undefined) {
      for (const e of (interned.event_names ?? []) as TextMessage[]) eventNames.set(one(e, 'iid')!, one(e, 'name')!);
      for (const e of (interned.debug_annotation_names ?? []) as TextMessage[])
        annotationNames.set(one(e, 'iid')!, one(e, 'name')!);
      for (const e of (interned.event_categories ?? []) as TextMessage[])
        categoryNames.set(one(e, 'iid')!, one(e, 'name')!);
    }
    const snapshot = sub(p, 'clock_snapshot');
    if (snapshot !== undefined) clocks.push(snapshot);
    const descriptor = sub(p, 'track_descriptor');
    if (descriptor !== undefined) tracks.set(one(descriptor, 'uuid')!, descriptor);
    const tree = sub(p, 'process_tree');
    if (tree !== undefined) treeProcesses.push(...((tree.processes ?? []) as TextMessage[]));
    const te = sub(p, 'track_event');
    if (te === undefined) return;
    const nameIid = one(te, 'name_iid');
    if (nameIid !== undefined && !eventNames.has(nameIid))
      throw new Error(`packet ${index}: name ${nameIid} not interned yet`);
    const annotations = new Map<string, TextMessage>();
    for (const a of (te.debug_annotations ?? []) as TextMessage[]) {
      const name = annotationNames.get(one(a, 'name_iid')!);
      if (name === undefined) throw new Error(`packet ${index}: annotation name not interned`);
      annotations.set(name, a);
    }
    events.push({
      ts: BigInt(one(p, 'timestamp')!),
      type: one(te, 'type')!,
      track: one(te, 'track_uuid')!,
      name: nameIid === undefined ? null : eventNames.get(nameIid)!,
      categories: ((te.category_iids ?? []) as string[]).map((c) => categoryNames.get(c)!),
      annotations,
      flowIds: (te.flow_ids ?? []) as string[],
      terminatingFlowIds: (te.terminating_flow_ids ?? []) as string[],
      counter: one(te, 'counter_value'),
    });
  });
  return { tracks, treeProcesses, clocks, events };
}

const strValue = (a: TextMessage | undefined): string | undefined =>
  a === undefined ? undefined : one(a, 'string_value');
const listValue = (a: TextMessage | undefined): string[] =>
  ((a?.array_values ?? []) as TextMessage[]).map((v) => one(v, 'string_value')!);

/** Every fact the trace states, checked against the model of the same raw file. */
function checkTrace(t: ExecutionContext, raw: string, trace: string): ReturnType<typeof readTrace> {
  const c = load(raw, { env: false });
  const m = c.model;
  const decoded = protocDecode(trace, PROTO_PATH, 'perfetto.protos.Trace');
  const r = readTrace((decoded.packet ?? []) as TextMessage[]);
  const boot = (wall: bigint): string => bootOf(c, wall);

  // The clocks: boot time and wall-clock time at the capture's start (and stop).
  const first = r.clocks[0]!;
  const clockValue = (s: TextMessage, id: string): string | undefined =>
    ((s.clocks ?? []) as TextMessage[]).find((k) => one(k, 'clock_id') === id)?.timestamp?.[0] as string | undefined;
  t.is(clockValue(first, '6'), String(c.header.start.boottime), 'BOOTTIME at the start');
  t.is(clockValue(first, '1'), String(c.header.start.realtime), 'REALTIME at the start');
  t.is(one(first, 'primary_trace_clock'), 'BUILTIN_CLOCK_BOOTTIME');
  if (c.footer !== null) t.is(clockValue(r.clocks[1]!, '1'), String(c.footer.stop.realtime));

  // A process track and a main-thread track per process; the parent link in the process tree.
  const processTracks = [...r.tracks.values()].filter((d) => sub(d, 'process') !== undefined);
  const threadTracks = [...r.tracks.values()].filter((d) => sub(d, 'thread') !== undefined);
  t.is(processTracks.length, m.processes.length, 'one process track per process');
  t.is(threadTracks.length, m.processes.length, 'one thread track per process');
  const threadOfPid = new Map<string, string[]>();
  for (const d of threadTracks) {
    const th = sub(d, 'thread')!;
    t.is(one(th, 'tid'), one(th, 'pid'), 'the main thread');
    const parent = r.tracks.get(one(d, 'parent_uuid')!)!;
    t.is(one(sub(parent, 'process')!, 'pid'), one(th, 'pid'), 'thread track under its process track');
    const list = threadOfPid.get(one(th, 'pid')!) ?? [];
    list.push(one(d, 'uuid')!);
    threadOfPid.set(one(th, 'pid')!, list);
  }
  t.deepEqual(
    processTracks.map((d) => Number(one(sub(d, 'process')!, 'pid'))).sort((a, b) => a - b),
    m.processes.map((p) => p.pid).sort((a, b) => a - b),
  );
  t.deepEqual(
    r.treeProcesses.map((p) => [one(p, 'pid'), one(p, 'ppid') ?? null]).sort(),
    m.processes
      .map((p) => [
        String(p.pid),
        p.parentPid === null ? (p.ppid === null ? null : String(p.ppid)) : String(p.parentPid),
      ])
      .sort(),
    'parent pids',
  );

  // Per track: time order, and begins and ends nest (a stack per track).
  const lastTs = new Map<string, bigint>();
  const open = new Map<string, Ev[]>();
  for (const e of r.events) {
    t.true(e.ts >= (lastTs.get(e.track) ?? 0n), 'time order on a track');
    lastTs.set(e.track, e.ts);
    if (e.type === 'TYPE_SLICE_BEGIN') {
      const stack = open.get(e.track) ?? [];
      stack.push(e);
      open.set(e.track, stack);
    } else if (e.type === 'TYPE_SLICE_END') {
      const begin = open.get(e.track)?.pop();
      if (begin === undefined) t.fail(`an end without a begin on track ${e.track}`);
      else t.true(begin.ts < e.ts, 'slices last');
    }
  }
  for (const [track, stack] of open) t.is(stack.length, 0, `track ${track}: every slice ends`);

  // A slice (or, with no duration, an instant) per exec'd image, at its exec, with its argv and cwd.
  const images = r.events.filter((e) => e.type !== 'TYPE_SLICE_END' && e.annotations.has('argv'));
  t.true(images.every((e) => e.categories.includes('exec')));
  t.is(images.length, m.execs.length, 'a slice per exec');
  const byBoot = new Map<string, Ev[]>();
  for (const e of images) byBoot.set(`${e.ts}:${e.track}`, [...(byBoot.get(`${e.ts}:${e.track}`) ?? []), e]);
  for (const x of m.execs) {
    const p = m.processes[x.processId - 1]!;
    const candidates = (threadOfPid.get(String(p.pid)) ?? []).flatMap(
      (track) => byBoot.get(`${boot(x.time)}:${track}`) ?? [],
    );
    const e = candidates.find(
      (ev) => listValue(ev.annotations.get('argv')).join('\0') === decodeStrings(x.argv).join('\0'),
    );
    if (e === undefined) {
      t.fail(`no slice for exec ${x.id} (pid ${p.pid}) at ${boot(x.time)}`);
      continue;
    }
    t.is(strValue(e.annotations.get('cwd')), x.cwd);
    t.is(strValue(e.annotations.get('exe')), x.exe);
  }
  // Processes that never exec'd: one slice each.
  const forkOnly = m.processes.filter((p) => p.execCount === 0).length;
  t.is(r.events.filter((e) => e.categories.includes('process') && e.type !== 'TYPE_SLICE_END').length, forkOnly);

  // Exit status and resource usage on each process's last image.
  const exited = m.processes.filter((p) => p.state === 'exited');
  const exitCodes = r.events.filter((e) => e.annotations.has('exit_code')).length;
  t.is(exitCodes, exited.filter((p) => p.exitCode !== null).length, 'an exit code per exited process');
  t.is(
    r.events.filter((e) => e.annotations.has('max_rss_kib')).length,
    m.resources.length,
    'resource usage per process',
  );

  // Instants: failed execs, failed opens.
  t.is(r.events.filter((e) => e.name?.startsWith('exec failed: ')).length, m.execFailures.length);
  t.is(
    r.events.filter((e) => e.name?.startsWith('open failed: ')).length,
    m.opens.filter((o) => o.errno !== null).length,
  );

  // Connections, lookups, DNS queries: one slice or instant each, on lanes under their process.
  const laneEvents = (laneName: string): Ev[] =>
    r.events.filter((e) => e.type !== 'TYPE_SLICE_END' && one(r.tracks.get(e.track)!, 'name') === laneName);
  t.is(laneEvents('TCP connections').length, m.connections.length, 'connections');
  t.is(laneEvents('name lookups').length, m.dnsLookups.length, 'lookups');
  t.is(laneEvents('DNS queries').length, m.dnsQueries.length, 'queries');
  for (const c2 of m.connections) {
    const p = m.processes[c2.processId - 1]!;
    const e = laneEvents('TCP connections').find(
      (ev) => ev.ts === BigInt(boot(c2.start)) && strValue(ev.annotations.get('remote'))?.endsWith(`:${c2.remotePort}`),
    );
    if (e === undefined) t.fail(`no slice for connection ${c2.id}`);
    else {
      const lane = r.tracks.get(e.track)!;
      t.is(one(sub(r.tracks.get(one(lane, 'parent_uuid')!)!, 'process')!, 'pid'), String(p.pid), 'on its process');
    }
  }

  // The live-process counter: the number of processes alive, up to its peak.
  const counter = r.events.filter((e) => e.type === 'TYPE_COUNTER');
  t.true(counter.length > 0 || m.processes.length === 0);
  let peak = 0;
  const end =
    c.footer !== null
      ? c.header.start.realtime + (c.footer.stop.boottime - c.header.start.boottime)
      : (m.source.lastEventNs ?? 0n);
  const edges = m.processes
    .flatMap(
      (p) =>
        [
          [p.start, 1],
          [p.end ?? end, -1],
        ] as [bigint, number][],
    )
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  let live = 0;
  for (const [, d] of edges) peak = Math.max(peak, (live += d));
  t.is(Math.max(0, ...counter.map((e) => Number(e.counter))), peak, 'counter peak');
  t.is(counter.at(-1)?.counter ?? '0', '0', 'nobody alive at the end');

  // Flows: from each fork (an instant on the parent's thread, at the child's start) to the child's first slice.
  const forked = m.processes.filter((p) => p.parentId !== null);
  const outs = r.events.filter((e) => e.flowIds.length > 0);
  const ins = r.events.filter((e) => e.terminatingFlowIds.length > 0);
  t.is(outs.length, forked.length, 'a flow per fork');
  t.is(ins.length, forked.length);
  const inById = new Map(ins.map((e) => [e.terminatingFlowIds[0]!, e]));
  for (const o of outs) {
    const to = inById.get(o.flowIds[0]!);
    if (to === undefined) t.fail(`flow ${o.flowIds[0]} goes nowhere`);
    else t.true(to.ts >= o.ts, 'a flow goes forward in time');
  }
  for (const p of forked) {
    const parent = m.processes[p.parentId! - 1]!;
    const o = outs.find(
      (e) =>
        e.annotations.has('child_pid') &&
        one(e.annotations.get('child_pid')!, 'int_value') === String(p.pid) &&
        e.ts === BigInt(boot(p.start)),
    );
    if (o === undefined) t.fail(`no fork instant for pid ${p.pid}`);
    else t.true((threadOfPid.get(String(parent.pid)) ?? []).includes(o.track), 'the fork is on the parent');
  }
  return r;
}

const scenarios: [string, () => Synth][] = [
  ['build', buildScenario],
  ['files', filesScenario],
  ['net', netScenario],
  ['dns', dnsScenario],
  ['dns-wire', dnsWireScenario],
  ['hostile', hostileScenario],
];
for (const [name, make] of scenarios) {
  test(`synthetic ${name}: the trace protoc decodes states what the capture holds`, (t) => {
    const raw = rawOf(name, make());
    const out = join(work, `${name}.pftrace`);
    exportTrace(raw, out);
    checkTrace(t, raw, out);
  });
}

for (const sample of readdirSync(join(ROOT, 'samples')).filter((f) => f.endsWith('.raw'))) {
  test(`sample ${sample}: the trace protoc decodes states what the capture holds`, (t) => {
    const raw = join(ROOT, 'samples', sample);
    const out = join(work, `${sample}.pftrace`);
    exportTrace(raw, out);
    checkTrace(t, raw, out);
  });
}

test('build scenario: exact names, nesting of an exec chain, exit and failure details', (t) => {
  const raw = rawOf('build-exact', buildScenario());
  const out = join(work, 'build-exact.pftrace');
  exportTrace(raw, out);
  const r = checkTrace(t, raw, out);
  const names = new Set(r.events.map((e) => e.name));
  t.true(names.has('make'));
  t.true(names.has('fork'));
  const failed = r.events.find(
    (e) => e.annotations.get('exit_code') !== undefined && one(e.annotations.get('exit_code')!, 'int_value') !== '0',
  );
  t.truthy(failed, 'a failing process states its exit code');
  t.regex(strValue(failed!.annotations.get('exit'))!, /^exit [1-9]/);
});

test('--decode_raw: the wire uses Perfetto’s field numbers (independent of the kept .proto)', (t) => {
  const raw = rawOf('raw-fields', buildScenario());
  const out = join(work, 'raw-fields.pftrace');
  exportTrace(raw, out);
  const trace = protocDecode(out, null);
  const packets = trace['1'] as TextMessage[]; // Trace.packet = 1
  t.true(packets.length > 10);
  const first = packets[0]!;
  t.is(one(first, '10'), '1', 'trusted_packet_sequence_id = 10');
  t.is(one(first, '13'), '1', 'sequence_flags = 13: SEQ_INCREMENTAL_STATE_CLEARED');
  const clocks = (sub(first, '6')!['1'] ?? []) as TextMessage[]; // clock_snapshot = 6, clocks = 1
  t.deepEqual(
    clocks.map((k) => one(k, '1')),
    ['6', '1'],
    'clock_id = 1: BOOTTIME (6) and REALTIME (1)',
  );
  t.is(one(clocks[0]!, '2'), String(5_000_000_000_000n), 'timestamp = 2: the capture start on the boot clock');
  const descriptor = packets.find((p) => sub(p, '60') !== undefined)!; // track_descriptor = 60
  const process = sub(sub(descriptor, '60')!, '3')!; // TrackDescriptor.process = 3
  t.is(one(process, '1'), '4000', 'ProcessDescriptor.pid = 1 (the root)');
  t.is(one(process, '6'), 'make', 'ProcessDescriptor.process_name = 6');
  const events = packets.filter((p) => sub(p, '11') !== undefined); // track_event = 11
  t.true(events.length > 0);
  for (const e of events.slice(0, 20)) {
    t.truthy(one(e, '8'), 'timestamp = 8');
    t.truthy(one(sub(e, '11')!, '11'), 'TrackEvent.track_uuid = 11');
    t.truthy(one(sub(e, '11')!, '9'), 'TrackEvent.type = 9');
  }
  t.true(
    packets.some((p) => sub(p, '2') !== undefined),
    'process_tree = 2',
  );
});

test('the output is written atomically with the raw file’s permission bits; -o is required; bad input is one line', (t) => {
  const raw = rawOf('cli', buildScenario());
  const missing = ptraceSync(['export', raw, '--format', 'perfetto']);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /^ptrace: --format perfetto needs -o FILE/);
  const out = join(work, 'cli.pftrace');
  exportTrace(raw, out);
  const again = ptraceSync(['export', raw, '--format', 'perfetto', '-o', out]);
  t.not(again.code, 0);
  t.regex(again.stderr, /exists \(use --force/);
  const bad = join(work, 'bad.raw');
  writeFileSync(bad, Buffer.from('not a capture'));
  const r = ptraceSync(['export', bad, '--format', 'perfetto', '-o', join(work, 'bad.pftrace')]);
  t.not(r.code, 0);
  t.is(r.stderr.trim().split('\n').length, 1);
  t.regex(r.stderr, /^ptrace: /);
  t.false(readdirSync(work).some((f) => f.startsWith('bad.pftrace') || f.startsWith('.bad.pftrace')));
});

test('secrets: argv, paths and names are redacted by default with the shared rules; --no-redact keeps them', (t) => {
  const s = new SynthBuilder({ rootPid: 300, header: { commandArgv: ['sh', 'deploy.sh'] } });
  const root = s.root(['sh', 'deploy.sh'], { at: 0, cwd: '/srv' });
  s.run(root, ['mysql', '-uadmin', '-pHunter2Secret', 'prod'], 1, 2);
  s.run(root, ['curl', '-u', 'bob:CorrectHorseBattery', 'https://example.com/'], 4, 2);
  s.run(root, ['deploy', '--api-token=ghp_abcdefghijklmnopqrstuvwxyz0123456789'], 7, 1);
  const fetcher = s.run(root, ['git', 'clone', 'https://alice:S3cretPassw0rd@git.example.com/repo.git'], 9, 1);
  s.execFailed(fetcher, '/opt/x/PGPASSWORD=OpenSesame99/bin/git', 2, 9.005);
  s.exit(root, 12);
  const raw = rawOf('secrets', s);
  const secrets = [
    'Hunter2Secret',
    'CorrectHorseBattery',
    'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    'S3cretPassw0rd',
    'OpenSesame99',
  ];
  const redacted = join(work, 'secrets.pftrace');
  exportTrace(raw, redacted, true);
  const bytes = readFileSync(redacted);
  for (const secret of secrets) t.false(bytes.includes(secret), `${secret} is not in the trace`);
  const r = readTrace((protocDecode(redacted, PROTO_PATH, 'perfetto.protos.Trace').packet ?? []) as TextMessage[]);
  const argvs = r.events.filter((e) => e.annotations.has('argv')).map((e) => listValue(e.annotations.get('argv')));
  t.true(
    argvs.some((a) => a[0] === 'mysql' && a[2]!.startsWith('-p‹redacted:')),
    'only the secret part is replaced',
  );
  t.true(argvs.some((a) => a[0] === 'curl' && a[2]!.startsWith('bob:‹redacted:')));
  t.true(
    r.treeProcesses.every((p) => !((p.cmdline ?? []) as string[]).some((a) => secrets.some((x) => a.includes(x)))),
  );

  const kept = join(work, 'secrets-kept.pftrace');
  exportTrace(raw, kept, false);
  const plain = readFileSync(kept);
  for (const secret of secrets) t.true(plain.includes(secret), `--no-redact keeps ${secret}`);
});

test('the samples: the redacted trace has the same packets as the one with --no-redact', (t) => {
  const raw = join(ROOT, 'samples', 'make-build.raw');
  const a = join(work, 'same-a.pftrace');
  const b = join(work, 'same-b.pftrace');
  exportTrace(raw, a, true);
  exportTrace(raw, b, false);
  const count = (f: string): number => (protocDecode(f, null)['1'] ?? []).length;
  t.is(count(a), count(b));
});

// ---------------------------------------------------------------- 100,000 processes

test('100,000 processes: tracks, slices, flows and the counter, counted through protoc', async (t) => {
  const N = 100_000;
  const JOBS = 8;
  const s = new SynthBuilder({ rootPid: 2, header: { commandArgv: ['make', '-j8'] } });
  const root = s.root(['make', '-j8'], { at: 0, cwd: '/w' });
  // make -j8: 99,999 compiles, 8 at a time, 1 ms each; every 1000th fails.
  for (let i = 1; i < N; i++) {
    const slot = (i - 1) % JOBS;
    const round = Math.floor((i - 1) / JOBS);
    const at = 1 + round * 1.25 + slot * 0.01;
    s.run(root, ['cc', '-c', `f${i}.c`], at, 1, i % 1000 === 0 ? { code: 1 } : {});
  }
  const endMs = 1 + Math.ceil((N - 1) / JOBS) * 1.25 + 1;
  s.exit(root, endMs);
  const raw = rawOf('100k', s);
  const out = join(work, '100k.pftrace');
  exportTrace(raw, out);

  const counts = new Map<string, number>();
  const bump = (k: string): void => {
    counts.set(k, (counts.get(k) ?? 0) + 1);
  };
  let depth = 0;
  let maxCounter = 0;
  let lastCounter = '';
  let firstBegin: string | null = null;
  let lastEnd: string | null = null;
  let pendingTs = '';
  const code = await protocLines(out, PROTO_PATH, 'perfetto.protos.Trace', (line) => {
    const l = line.trim();
    if (l.endsWith('{')) depth++;
    else if (l === '}') depth--;
    if (depth === 1 && l.startsWith('timestamp: ')) pendingTs = l.slice(11);
    if (l === 'process {' || l === 'thread {' || l === 'processes {') bump(l);
    if (l.startsWith('type: TYPE_')) bump(l);
    if (l.startsWith('flow_ids: ')) bump('flow');
    if (l.startsWith('terminating_flow_ids: ')) bump('terminating');
    if (l.startsWith('counter_value: ')) {
      lastCounter = l.slice(15);
      maxCounter = Math.max(maxCounter, Number(lastCounter));
    }
    if (l === 'type: TYPE_SLICE_BEGIN' && firstBegin === null) firstBegin = 'seen';
    if (l === 'type: TYPE_SLICE_END') lastEnd = 'seen';
  });
  t.is(code, 0);
  t.is(counts.get('process {'), N, 'a process track per process');
  t.is(counts.get('thread {'), N, 'a thread track per process');
  t.is(counts.get('processes {'), N, 'every process in the process tree');
  t.is(counts.get('type: TYPE_SLICE_BEGIN'), N, 'a slice per exec');
  t.is(counts.get('type: TYPE_SLICE_END'), N);
  t.is(counts.get('flow'), N - 1, 'a flow per fork');
  t.is(counts.get('terminating'), N - 1);
  t.is(maxCounter, JOBS + 1, 'at most make and 8 compiles alive');
  t.is(lastCounter, '0');
  t.truthy(firstBegin);
  t.truthy(lastEnd);
  t.truthy(pendingTs);
});
