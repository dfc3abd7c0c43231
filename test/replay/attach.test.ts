// Replay of attached captures and of where processes run (format 1.8): a
// synthetic capture with an attached root in a Docker container, a process
// that moves into a new pid namespace, a second attached root; and the
// committed real sample samples/attach-server.raw.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { buildDatabase } from '../../analyze/db/database.ts';
import { exportRows } from '../../analyze/export/export.ts';
import { painter } from '../../analyze/format.ts';
import { buildTrace } from '../../analyze/otel/build.ts';
import { captureInfo } from '../../analyze/replay/capture-info.ts';
import { load, modelOfCapture } from '../../analyze/replay/load.ts';
import { computeStats } from '../../analyze/stats/stats.ts';
import { buildTree, dedupTree, plainItems } from '../../analyze/tree/build.ts';
import { treeJson } from '../../analyze/tree/json.ts';
import { renderTreeText } from '../../analyze/tree/text.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { Synth } from '../../testkit/synth.ts';

const ID = '3f4e1c0a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f';
const HOST = { cgroupId: 100, pidNs: 4026531836, mntNs: 4026531841, netNs: 4026531840, utsNs: 4026531838 };
const DOCKER = { cgroupId: 200, pidNs: 4026532200, mntNs: 4026532201, netNs: 4026532202, utsNs: 4026532203 };

function scenario(): Buffer {
  const s = new Synth({
    rootPid: 0,
    header: { options: { attach: true }, attachPids: [500, 700], commandArgv: [], captureArgv: ['ptrace-capture'] },
  });
  const app = s.attached(['app', '--serve'], { at: 1, pid: 500, container: DOCKER, cwd: '/srv', startMs: 3_600_000 });
  const agent = s.attached(['agent'], { at: 1.5, pid: 700, container: HOST, cwd: '/' });
  s.cgroup(200, `/system.slice/docker-${ID}.scope`, 2);
  s.cgroup(100, '/system.slice/agent.service', 2);
  s.run(app, ['worker', '1'], 10, 5);
  const sandbox = s.fork(agent, 20, 710);
  sandbox.container = { ...HOST, pidNs: 4026532999 };
  s.exec(sandbox, ['sandbox'], { at: 20.5 });
  s.exit(sandbox, 30, { code: 3 });
  s.running(app, 40);
  s.running(agent, 40);
  return s.buffer({ interrupted: true, waitedAll: false });
}

test('model: attached processes, their images, cgroups, containers and namespaces', (t) => {
  const c = readCaptureBuffer(scenario());
  t.deepEqual(c.warnings, []);
  const m = modelOfCapture(c);
  const app = m.processes.find((p) => p.pid === 500)!;
  t.like(app, {
    attached: 'running',
    parentId: null,
    execCount: 1,
    cgroupId: 200,
    cgroup: `/system.slice/docker-${ID}.scope`,
    containerId: ID,
    containerRuntime: 'docker',
    pidNs: DOCKER.pidNs,
    state: 'running',
  });
  t.true(app.start < c.header.start.realtime, 'its real start, an hour before the capture');
  t.true(app.attachedAt! > c.header.start.realtime);
  const worker = m.processes.find((p) => p.parentId === app.id)!;
  t.like(worker, { attached: null, containerId: ID, cgroupId: 200, forked: true });
  const sandbox = m.processes.find((p) => p.pid === 710)!;
  t.like(sandbox, { containerId: null, cgroup: '/system.slice/agent.service', pidNs: 4026532999, exitCode: 3 });
  const images = m.execs.filter((x) => x.processId === app.id);
  t.deepEqual(
    images.map((x) => [x.seq, x.attached, x.exe, x.cwd]),
    [[0, true, '/usr/bin/app', '/srv']],
  );
});

test('tree: two roots marked attached; the container and the new pid namespace marked where entered', (t) => {
  const m = modelOfCapture(readCaptureBuffer(scenario()));
  const lines = renderTreeText(plainItems(buildTree({ capture: captureInfo(m), ...m })), {
    full: false,
    width: 120,
    paint: painter(false),
    envs: null,
    dedup: false,
  });
  t.deepEqual(
    lines.map((l) => l.replace(/ {2}\(.*\)$/, '')),
    ['app --serve [attached, container docker 3f4e1c0a9b8d]', '└─ worker 1', 'agent [attached]', '└─ sandbox [pid ns]'],
  );
});

test('tree --dedup: only siblings with the same marks are grouped, and the group shows them (text and JSON)', (t) => {
  const s = new Synth({
    rootPid: 0,
    header: {
      options: { attach: true },
      attachPids: [500, 501, 502],
      commandArgv: [],
      captureArgv: ['ptrace-capture'],
    },
  });
  for (const [pid, container] of [
    [500, DOCKER],
    [501, DOCKER],
    [502, HOST],
  ] as const) {
    const p = s.attached(['worker', '--serve'], { at: 1 + pid / 1000, pid, container, parent: { pid: 1, start: 0n } });
    s.running(p, 40);
  }
  s.cgroup(200, `/system.slice/docker-${ID}.scope`, 2);
  s.cgroup(100, '/system.slice/agent.service', 2);
  const m = modelOfCapture(readCaptureBuffer(s.buffer({ interrupted: true, waitedAll: false })));
  const capture = captureInfo(m);
  const items = dedupTree(buildTree({ capture, ...m }));
  const lines = renderTreeText(items, { full: false, width: 120, paint: painter(false), envs: null, dedup: true });
  t.deepEqual(
    lines.map((l) => l.replace(/ {2}\(.*\)$/, '')),
    ['worker --serve [attached, container docker 3f4e1c0a9b8d] ×2', 'worker --serve [attached]'],
  );
  const json = treeJson(items, { envs: null, dedup: true, startNs: capture.startNs });
  t.deepEqual(
    json.map((r) => [r.type, r.marks]),
    [
      ['group', ['attached', 'container docker 3f4e1c0a9b8d']],
      ['exec', ['attached']],
    ],
  );
});

test('stats: the containers section and the attached overview; db columns; otel attributes', (t) => {
  const c = readCaptureBuffer(scenario());
  const m = modelOfCapture(c);
  const db = buildDatabase(m);
  const capture = captureInfo(m);
  const r = computeStats(m, capture);
  t.is(r.overview.attachedTo, 'pid 500, 700');
  t.is(r.overview.execs, 2, 'the attached images are not execs');
  t.deepEqual(r.containers, {
    recorded: true,
    containers: [
      { runtime: null, id: null, cgroup: '/system.slice/agent.service', processes: 2, failed: 1, attached: 1 },
      { runtime: 'docker', id: ID, cgroup: `/system.slice/docker-${ID}.scope`, processes: 2, failed: 0, attached: 1 },
    ],
    cgroups: 2,
    namespaces: { pid: 3, mnt: 2, net: 2, uts: 2 },
  });
  t.true(
    r.slowest.every((p) => p.startNs >= 0),
    'attached processes count from the attach',
  );
  t.deepEqual(db.prepare('SELECT pid, attached, container_id, pid_ns FROM processes ORDER BY pid').raw().all(), [
    [1, null, ID, DOCKER.pidNs], // the worker (the synthetic capture numbers forks from 1)
    [500, 'running', ID, DOCKER.pidNs],
    [700, 'running', null, HOST.pidNs],
    [710, null, null, 4026532999],
  ]);
  const rows = exportRows(m);
  const exported = rows.find((p) => p.pid === 500)!;
  t.like(exported, {
    attached: 'running',
    cgroup: `/system.slice/docker-${ID}.scope`,
    container_id: ID,
    container_runtime: 'docker',
    pid_ns: BigInt(DOCKER.pidNs),
  });
  t.deepEqual(
    exported.execs.map((x) => x.attached),
    [true],
  );
  db.close();
  const trace = buildTrace({ header: c.header, footer: c.footer, model: m, warnings: [] });
  const spans = [...trace.spans()];
  const root = spans.find((s) => s.attributes['ptrace.span.type'] === 'capture')!;
  t.is(root.name, 'attach pid 500,700');
  t.deepEqual(root.attributes['ptrace.capture.attached_pids'], [500, 700]);
  const app = spans.find((s) => s.attributes['process.pid'] === 500)!;
  t.is(app.parentSpanId, root.spanId, 'an attached root is a child of the capture span');
  t.is(app.attributes['container.id'], ID);
  t.is(app.attributes['container.runtime'], 'docker');
  t.is(app.attributes['process.linux.cgroup'], `/system.slice/docker-${ID}.scope`);
  t.is(app.attributes['ptrace.process.attached'], 'running');
  t.true(app.start >= root.start, 'the span starts when the capture attached');
  const agent = spans.find((s) => s.attributes['process.pid'] === 700)!;
  t.is(agent.parentSpanId, root.spanId);
  t.false('container.id' in agent.attributes);
});

const sample = join(fileURLToPath(new URL('../..', import.meta.url)), 'samples/attach-server.raw');

test('samples/attach-server.raw: the server, its helper and a sleep attached; workers forked live; one in a pid namespace', async (t) => {
  const { model: m, warnings } = await load(sample);
  t.deepEqual(warnings, []);
  const attached = m.processes.filter((p) => p.attached !== null);
  t.is(attached.length, 3);
  const server = attached.find((p) => p.parentId === null)!;
  t.is(m.processes.filter((p) => p.parentId === null).length, 1, 'one root: the server');
  t.true(attached.every((p) => p === server || p.parentId === server.id));
  t.deepEqual(
    m.execs.filter((x) => x.attached).map((x) => x.processId === server.id),
    [true, false, false],
  );
  const workers = m.execs.filter((x) => !x.attached && x.argv.toString().includes('worker'));
  t.is(workers.length, 4, 'three workers, one of them through unshare');
  const inNs = m.processes.filter((p) => p.pidNs !== null && p.pidNs !== server.pidNs);
  t.is(inNs.length, 1);
  t.true(m.processes.every((p) => p.cgroup !== null));
});
