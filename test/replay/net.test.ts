// TCP connections (format 1.2): rows, tree --net, otel spans.
import test from 'ava';
import { buildDatabase } from '../../analyze/db/database.ts';
import { painter } from '../../analyze/format.ts';
import { buildTrace } from '../../analyze/otel/build.ts';
import { captureInfo } from '../../analyze/replay/capture-info.ts';
import { ModelBuilder } from '../../analyze/replay/model.ts';
import { buildTree, dedupTree, plainItems } from '../../analyze/tree/build.ts';
import { renderTreeText } from '../../analyze/tree/text.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { netScenario } from '../../testkit/synth.ts';

function load() {
  const c = readCaptureBuffer(netScenario().buffer());
  const b = new ModelBuilder();
  for (const e of c.events) b.add(e);
  const model = b.finish(c.header, c.footer, {
    path: 'net.raw',
    warnings: c.warnings,
    recordCounts: c.recordCounts,
    completeRecords: c.completeRecords,
  });
  return { c, model };
}

test('connections rows: one per connection, states, latency, bytes, errno', (t) => {
  const { model } = load();
  const rows = model.connections;
  t.is(rows.length, 12);
  t.deepEqual(
    rows.map((r) => r.id),
    rows.map((_, i) => i + 1),
  );
  const first = rows[0]!;
  t.like(first, {
    role: 'client',
    family: 4,
    remoteAddress: '10.1.2.3',
    remotePort: 443,
    state: 'established',
    latencyNs: 12_000_000n,
    bytesSent: 1024n,
    bytesReceived: 5120n,
    retransmits: 0,
    peerName: null,
  });
  t.is(first.end! - first.start, 49_500_000n);
  const failed = rows.filter((r) => r.state === 'failed');
  t.deepEqual(
    failed.map((r) => r.errnoName),
    ['ECONNREFUSED', 'ECONNREFUSED', 'ETIMEDOUT'],
  );
  const open = rows.filter((r) => r.state === 'open-at-end');
  t.is(open.length, 2);
  for (const r of open) {
    t.is(r.end, null);
    t.is(r.bytesSent, null);
  }
  const servers = rows.filter((r) => r.role === 'server');
  t.is(servers.length, 3);
  for (const r of servers) {
    t.is(r.latencyNs, null);
    t.is(r.localPort, 8080);
  }
  // Attributed to the owning processes.
  const pidOf = new Map(model.processes.map((p) => [p.id, p.pid]));
  t.deepEqual([...new Set(servers.map((r) => pidOf.get(r.processId)))], [9001]);
  t.deepEqual([...new Set(failed.map((r) => pidOf.get(r.processId)))], [9003]);
  // SQLite
  const db = buildDatabase(model);
  t.is(db.prepare('SELECT count(*) FROM connections').pluck().get(), 12);
  t.is(db.prepare('SELECT count(*) FROM connections WHERE peer_name IS NULL').pluck().get(), 12);
  t.deepEqual(db.prepare('SELECT state, count(*) AS n FROM connections GROUP BY 1 ORDER BY 1').raw().all(), [
    ['established', 7],
    ['failed', 3],
    ['open-at-end', 2],
  ]);
  t.is(db.prepare("SELECT value FROM meta WHERE key = 'capture.options.net'").pluck().get(), 1);
  db.close();
});

test('tree --net: every connection; --dedup groups by peer and never hides a failure', (t) => {
  const { model } = load();
  const roots = buildTree({
    capture: captureInfo(model),
    processes: model.processes,
    execs: model.execs,
    execFailures: model.execFailures,
    connections: model.connections,
  });
  const opts = { full: false, width: 120, paint: painter(false), envs: null, net: true };
  const plain = renderTreeText(plainItems(roots), { ...opts, dedup: false }).join('\n');
  t.true(plain.includes('→ 10.1.2.3:443 (client, 12ms connect, 1.0 KiB out / 5.0 KiB in)'));
  t.true(plain.includes('← 127.0.0.1:50000 on :8080 (server, 1.5 KiB out / 300 B in)'));
  t.is(plain.split('✗ connect ::1:8766: ECONNREFUSED').length - 1, 2);
  t.true(plain.includes('✗ connect 192.0.2.1:5432: ETIMEDOUT'));
  const dedup = renderTreeText(dedupTree(roots), { ...opts, dedup: true }).join('\n');
  t.true(dedup.includes('→ 10.1.2.3:443 ×2 (client, max 12ms connect, 1.5 KiB out / 7.0 KiB in, 3 retransmits)'));
  t.true(dedup.includes('← 127.0.0.1 on :8080 ×3 (server, 2.9 KiB out / 600 B in, 1 open at end)'));
  t.true(dedup.includes('✗ connect ::1:8766: ECONNREFUSED ×2'));
  t.true(dedup.includes('✗ connect 192.0.2.1:5432: ETIMEDOUT'));
  // Without --net: nothing.
  const none = renderTreeText(plainItems(roots), { ...opts, net: false, dedup: false }).join('\n');
  t.false(none.includes('→'));
});

test('otel: a span per connection under its process span, CLIENT/SERVER, attributes, error status', (t) => {
  const { c, model } = load();
  const trace = buildTrace({ header: c.header, footer: c.footer, model, warnings: [] });
  const spans = [...trace.spans()];
  t.is(spans.length, trace.spanCount);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const conns = spans.filter((s) => s.attributes['ptrace.span.type'] === 'connection');
  t.is(conns.length, 12);
  for (const s of conns) {
    const parent = byId.get(s.parentSpanId!)!;
    t.truthy(parent);
    t.is(parent.attributes['process.pid'], s.attributes['process.pid']);
    t.is(parent.attributes['ptrace.span.type'], 'exec');
  }
  const first = conns.find((s) => s.name === 'connect 10.1.2.3:443')!;
  t.is(first.kind, 2); // CLIENT
  t.like(first.attributes, {
    'network.transport': 'tcp',
    'network.type': 'ipv4',
    'network.peer.address': '10.1.2.3',
    'network.peer.port': 443,
    'server.address': '10.1.2.3',
    'server.port': 443,
    'network.local.address': '192.168.1.5',
    'ptrace.connection.bytes_sent': 1024,
  });
  t.is(byId.get(first.parentSpanId!)!.name, 'curl');
  const accept = conns.filter((s) => s.name === 'accept :8080');
  t.is(accept.length, 3);
  for (const s of accept) t.is(s.kind, 1); // SERVER
  const refused = conns.filter((s) => s.status.code === 2);
  t.is(refused.length, 3);
  t.is(refused[0]!.status.message, 'connect ::1:8766: ECONNREFUSED');
  t.is(refused[0]!.attributes['network.type'], 'ipv6');
  // Deterministic ids.
  const again = [...buildTrace({ header: c.header, footer: c.footer, model, warnings: [] }).spans()];
  t.deepEqual(
    again.map((s) => s.spanId),
    spans.map((s) => s.spanId),
  );
  t.is(new Set(spans.map((s) => s.spanId)).size, spans.length);
});
