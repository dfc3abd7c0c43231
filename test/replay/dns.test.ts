// Name lookups (format 1.3): rows, pseudo reverse DNS, tree --net, stats, otel spans.
import test from 'ava';
import { buildDatabase } from '../../analyze/db/database.ts';
import { painter } from '../../analyze/format.ts';
import { buildTrace } from '../../analyze/otel/build.ts';
import { captureInfo } from '../../analyze/replay/capture-info.ts';
import { peerNames, unmapAddress } from '../../analyze/replay/dns.ts';
import { ModelBuilder } from '../../analyze/replay/model.ts';
import { computeStats } from '../../analyze/stats/stats.ts';
import { buildTree, dedupTree, plainItems } from '../../analyze/tree/build.ts';
import { renderTreeText } from '../../analyze/tree/text.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import { dnsScenario } from '../../testkit/synth.ts';

function load() {
  const c = readCaptureBuffer(dnsScenario().buffer());
  const b = new ModelBuilder();
  for (const e of c.events) b.add(e);
  const model = b.finish(c.header, c.footer, {
    path: 'dns.raw',
    warnings: c.warnings,
    recordCounts: c.recordCounts,
    completeRecords: c.completeRecords,
  });
  return { c, model };
}

test('dns_lookups rows: one per lookup, in time order, attributed to the caller', (t) => {
  const { model } = load();
  const rows = model.dnsLookups;
  t.is(rows.length, 10);
  t.deepEqual(
    rows.map((r) => r.id),
    rows.map((_, i) => i + 1),
  );
  t.deepEqual(rows.map((r) => r.name).slice(0, 3), ['old.example.com', 'api.example.com', 'localhost']);
  const api = rows[1]!;
  t.like(api, { result: 0, resultName: null, latencyNs: 3_500_000n, count: 2, nameTruncated: false });
  t.deepEqual(api.answers, [
    { family: 4, address: '10.1.2.3' },
    { family: 6, address: '2001:db8::1' },
  ]);
  const failed = rows.filter((r) => r.result !== 0);
  t.deepEqual(
    failed.map((r) => [r.name, r.result, r.resultName]),
    [
      ['foo.invalid', -2, 'EAI_NONAME'],
      ['foo.invalid', -2, 'EAI_NONAME'],
      ['slow.example', -3, 'EAI_AGAIN'],
    ],
  );
  const pidOf = new Map(model.processes.map((p) => [p.id, p.pid]));
  t.is(pidOf.get(rows[0]!.processId), 9500);
  t.not(pidOf.get(rows[2]!.processId), 9500);
  // The row time is the call, the latency after it.
  t.is(rows[2]!.time - rows[0]!.time, 18_000_000n);

  const db = buildDatabase(model);
  t.is(db.prepare('SELECT count(*) FROM dns_lookups').pluck().get(), 10);
  t.deepEqual(
    db
      .prepare(
        'SELECT name, result, result_name, latency_ns, answer_count, answers, name_truncated FROM dns_lookups WHERE id = 2',
      )
      .raw()
      .get(),
    [
      'api.example.com',
      0,
      null,
      3_500_000,
      2,
      '[{"family":4,"address":"10.1.2.3"},{"family":6,"address":"2001:db8::1"}]',
      0,
    ],
  );
  t.is(db.prepare("SELECT value FROM meta WHERE key = 'capture.options.dns'").pluck().get(), 1);
  t.is(db.prepare('SELECT version FROM schema_version').pluck().get(), 7);
  t.deepEqual(db.prepare('SELECT remote_address, peer_name FROM connections ORDER BY id').raw().all(), [
    ['10.1.2.3', 'api.example.com'],
    ['::ffff:127.0.0.1', 'localhost'],
    ['::1', 'localhost'],
    ['10.9.9.9', null],
    ['127.0.0.1', null],
  ]);
  db.close();
});

test('unmapAddress: IPv4-mapped IPv6 to IPv4, others unchanged', (t) => {
  t.is(unmapAddress('::ffff:127.0.0.1'), '127.0.0.1');
  t.is(unmapAddress('::FFFF:10.0.0.1'), '10.0.0.1');
  t.is(unmapAddress('::1'), '::1');
  t.is(unmapAddress('10.1.2.3'), '10.1.2.3');
  t.is(unmapAddress('2001:db8::ffff:1.2.3.4'), '2001:db8::ffff:1.2.3.4');
});

// Processes: 1 root, 2 child of 1, 3 child of 2, 4 child of 1 (sibling of 2).
const parents = new Map<number, number | null>([
  [1, null],
  [2, 1],
  [3, 2],
  [4, 1],
]);
const parentOf = (id: number) => parents.get(id) ?? null;
const lookup = (
  id: number,
  processId: number,
  time: bigint,
  name: string,
  answers: string[],
  result = 0,
  latencyNs = 10n,
) => ({
  id,
  processId,
  time,
  latencyNs,
  result,
  name,
  answers: answers.map((address) => ({ family: address.includes(':') ? 6 : 4, address })),
});
const conn = (processId: number, start: bigint, remoteAddress: string, role = 'client') => ({
  processId,
  role,
  remoteAddress,
  start,
});

test('peerNames: same process, ancestor, most recent wins, no match, later lookups and other lineages ignored', (t) => {
  const lookups = [
    lookup(1, 1, 100n, 'old.example', ['10.0.0.1']),
    lookup(2, 1, 200n, 'new.example', ['10.0.0.1', '::1']),
    lookup(3, 2, 300n, 'mine.example', ['10.0.0.2']),
    lookup(4, 4, 300n, 'sibling.example', ['10.0.0.3']),
    lookup(5, 3, 500n, 'failed.example', ['10.0.0.4'], -2),
    lookup(6, 3, 1000n, 'late.example', ['10.0.0.5']),
  ];
  t.deepEqual(
    peerNames(
      [
        conn(2, 400n, '10.0.0.2'), // same process
        conn(3, 400n, '10.0.0.2'), // parent
        conn(3, 400n, '10.0.0.1'), // grandparent, most recent of two
        conn(1, 150n, '10.0.0.1'), // only the older one had finished
        conn(1, 205n, '10.0.0.1'), // the newer one still running at the connect (200 + 10)
        conn(3, 400n, '::ffff:10.0.0.1'), // IPv4-mapped
        conn(3, 400n, '::1'), // IPv6 answer
        conn(2, 400n, '10.0.0.3'), // a sibling's lookup
        conn(3, 600n, '10.0.0.4'), // failed lookup
        conn(3, 900n, '10.0.0.5'), // lookup after the connect
        conn(3, 400n, '10.9.9.9'), // never looked up
        conn(2, 400n, '10.0.0.2', 'server'), // servers get no name
      ],
      lookups,
      parentOf,
    ),
    [
      'mine.example',
      'mine.example',
      'new.example',
      'old.example',
      'old.example',
      'new.example',
      'new.example',
      null,
      null,
      null,
      null,
      null,
    ],
  );
  t.deepEqual(peerNames([], lookups, parentOf), []);
  t.deepEqual(peerNames([conn(1, 400n, '10.0.0.1')], [], parentOf), [null]);
});

test('peerNames: a parent cycle does not loop', (t) => {
  const cyclic = (id: number) => (id === 1 ? 2 : 1);
  t.deepEqual(peerNames([conn(1, 400n, '10.0.0.9')], [lookup(1, 2, 0n, 'x', ['10.0.0.9'])], cyclic), ['x']);
});

test('tree --net: lookups under their process among the connections; peer names; --dedup counts names, keeps failures', (t) => {
  const { model } = load();
  const roots = buildTree({
    capture: captureInfo(model),
    processes: model.processes,
    execs: model.execs,
    execFailures: model.execFailures,
    connections: model.connections,
    lookups: model.dnsLookups,
  });
  const opts = { full: false, width: 120, paint: painter(false), envs: null, net: true };
  const plain = renderTreeText(plainItems(roots), { ...opts, dedup: false });
  const text = plain.join('\n');
  t.true(text.includes('? api.example.com → 10.1.2.3, 2001:db8::1 (3.5ms)'));
  t.true(text.includes('→ api.example.com (10.1.2.3):443 (client, 12ms connect'));
  t.true(text.includes('→ localhost (::ffff:127.0.0.1):8080 (client'));
  t.true(text.includes('→ localhost (::1):8080 (client'));
  t.true(text.includes('→ 10.9.9.9:80 (client'));
  t.true(text.includes('→ 127.0.0.1:8080 (client'));
  t.is(text.split('? localhost → 127.0.0.1, ::1').length - 1, 4);
  t.is(text.split('✗ lookup foo.invalid: EAI_NONAME').length - 1, 2);
  t.true(text.includes('✗ lookup slow.example: EAI_AGAIN (after 5s)'));
  // In time order: the lookup before the connection it named.
  const at = (s: string) => plain.findIndex((l) => l.includes(s));
  t.true(at('? localhost') < at('→ localhost (::ffff:127.0.0.1)'));
  t.true(at('→ 10.9.9.9:80') < at('? late.example'));
  const dedup = renderTreeText(dedupTree(roots), { ...opts, dedup: true }).join('\n');
  t.true(dedup.includes('? localhost → 127.0.0.1, ::1 ×4 (max 900µs)'));
  t.is(dedup.split('? localhost').length - 1, 1);
  t.true(dedup.includes('✗ lookup foo.invalid: EAI_NONAME ×2'));
  t.true(dedup.includes('✗ lookup slow.example: EAI_AGAIN'));
  // Without --net: nothing.
  const none = renderTreeText(plainItems(roots), { ...opts, net: false, dedup: false }).join('\n');
  t.false(none.includes('lookup'));
  t.false(none.includes('? '));
});

test('stats: DNS section (lookups, failures by result, latency, names never resolved); peers by name', (t) => {
  const { model } = load();
  const r = computeStats(model, captureInfo(model));
  t.like(r.dns, { recorded: true, lookups: 10, failed: 3, names: 6 });
  t.deepEqual(r.dns.latency, { count: 10, p50Ns: 1_000_000, p95Ns: 5_000_000_000, maxNs: 5_000_000_000 });
  t.deepEqual(r.dns.failedByResult, [
    { error: 'EAI_NONAME', count: 2, examples: ['foo.invalid'] },
    { error: 'EAI_AGAIN', count: 1, examples: ['slow.example'] },
  ]);
  t.deepEqual(r.dns.unresolved, [
    { name: 'foo.invalid', failed: 2, error: 'EAI_NONAME' },
    { name: 'slow.example', failed: 1, error: 'EAI_AGAIN' },
  ]);
  t.deepEqual(r.dns.byName[0], { name: 'localhost', count: 4, failed: 0, maxLatencyNs: 900_000 });
  t.deepEqual(
    r.network.byPeer.map((p) => p.peer),
    ['localhost:8080 (2 addresses)', '10.9.9.9:80', '127.0.0.1:8080', 'api.example.com:443 (10.1.2.3)'],
  );
  t.like(r.network.byPeer[0], { peerName: 'localhost', addresses: 2, count: 2 });
  t.true(
    r.issues.some(
      (i) =>
        i.code === 'failed-lookups' &&
        i.message === '3 name lookups failed with EAI_NONAME, EAI_AGAIN (e.g. foo.invalid: EAI_NONAME)',
    ),
  );
});

test('otel: a CLIENT span per lookup under its process span; error status on failure; server.address is the peer name', (t) => {
  const { c, model } = load();
  const trace = buildTrace({ header: c.header, footer: c.footer, model, warnings: [] });
  const spans = [...trace.spans()];
  t.is(spans.length, trace.spanCount);
  t.is(new Set(spans.map((s) => s.spanId)).size, spans.length);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const lookups = spans.filter((s) => s.attributes['ptrace.span.type'] === 'dns');
  t.is(lookups.length, 10);
  for (const s of lookups) {
    t.is(s.kind, 2); // CLIENT
    const parent = byId.get(s.parentSpanId!)!;
    t.is(parent.attributes['process.pid'], s.attributes['process.pid']);
    t.is(parent.attributes['ptrace.span.type'], 'exec');
  }
  const api = lookups.find((s) => s.name === 'getaddrinfo api.example.com')!;
  t.like(api.attributes, {
    'dns.question.name': 'api.example.com',
    'ptrace.dns.result': 0,
    'ptrace.dns.answer_count': 2,
    'process.pid': 9500,
  });
  t.deepEqual(api.attributes['dns.answers'], ['10.1.2.3', '2001:db8::1']);
  t.is(api.end - api.start, 3_500_000n);
  t.is(api.status.code, 0);
  const failed = lookups.filter((s) => s.status.code === 2);
  t.deepEqual(
    failed.map((s) => s.status.message),
    [
      'getaddrinfo foo.invalid: EAI_NONAME',
      'getaddrinfo foo.invalid: EAI_NONAME',
      'getaddrinfo slow.example: EAI_AGAIN',
    ],
  );
  t.is(failed[0]!.attributes['error.type'], 'EAI_NONAME');
  t.deepEqual(failed[0]!.attributes['dns.answers'], []);
  // Connections: server.address is the name when a lookup gave the address; network.peer.address stays the IP.
  const conns = spans.filter((s) => s.attributes['ptrace.span.type'] === 'connection');
  const named = conns.find((s) => s.attributes['network.peer.address'] === '10.1.2.3')!;
  t.like(named.attributes, {
    'server.address': 'api.example.com',
    'network.peer.address': '10.1.2.3',
    'server.port': 443,
  });
  const mapped = conns.find((s) => s.attributes['network.peer.address'] === '::ffff:127.0.0.1')!;
  t.is(mapped.attributes['server.address'], 'localhost');
  const unnamed = conns.find((s) => s.attributes['network.peer.address'] === '10.9.9.9')!;
  t.is(unnamed.attributes['server.address'], '10.9.9.9');
  const root = spans.find((s) => s.parentSpanId === undefined || s.attributes['ptrace.span.type'] === 'capture')!;
  t.is(root.attributes['ptrace.capture.lookups'], 10);
});
