// DNS messages on the wire (format 1.4): queries paired with replies, the
// dns_queries table, pseudo reverse DNS from an answered query, OTel spans.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { buildDatabase } from '../../analyze/db/database.ts';
import { buildTrace } from '../../analyze/otel/build.ts';
import { captureInfo } from '../../analyze/replay/capture-info.ts';
import { type PlacedDnsMessage, pairDnsMessages } from '../../analyze/replay/dns.ts';
import { modelOfCapture } from '../../analyze/replay/load.ts';
import { ModelBuilder } from '../../analyze/replay/model.ts';
import { computeStats } from '../../analyze/stats/stats.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import type { DnsMessageEvent } from '../../formats/types.ts';
import { dnsQueryBytes, dnsReplyBytes, dnsScenario, dnsWireScenario, Synth } from '../../testkit/synth.ts';
import { CLI } from '../helpers/real-capture.ts';

const capture = readCaptureBuffer(dnsWireScenario().buffer());

function load() {
  const c = capture;
  const b = new ModelBuilder();
  for (const e of c.events) b.add(e);
  return b.finish(c.header, c.footer, {
    path: 'wire.raw',
    warnings: c.warnings,
    recordCounts: c.recordCounts,
    completeRecords: c.completeRecords,
  });
}

test('queries in time order with their replies: CNAME followed, NXDOMAIN, a retry after no reply, a stray reply, a malformed one', (t) => {
  const m = load();
  t.deepEqual(
    m.dnsQueries.map((q) => [
      q.id,
      q.processId,
      q.name,
      q.type,
      q.rcodeName,
      q.answers,
      q.latencyNs,
      q.query !== null,
      q.reply !== null,
      q.error,
    ]),
    [
      [1, 2, 'api.example.com', 'A', 'NOERROR', ['10.1.2.3'], 1_500_000n, true, true, null],
      [2, 2, 'api.example.com', 'AAAA', 'NOERROR', [], 1_790_000n, true, true, null],
      [3, 2, 'nope.example', 'A', 'NXDOMAIN', [], 400_000n, true, true, null],
      [4, 2, 'flaky.example', 'A', null, [], null, true, false, null],
      [5, 2, 'flaky.example', 'A', 'SERVFAIL', [], 1_000_000n, true, true, null],
      [6, 2, 'stray.example', 'A', 'NOERROR', ['10.0.0.9'], null, false, true, null],
      [7, 2, 'bad.example', 'A', 'NOERROR', [], 1_000_000n, true, true, 'compression loop at byte 12'],
      [8, 3, 'cache.example', 'A', 'NOERROR', ['10.7.7.7'], 200_000n, true, true, null],
      [9, 4, 'cache.example', 'A', 'NOERROR', ['10.7.7.7'], 300_000n, true, true, null],
      [10, 5, 'cache.example', 'A', 'NOERROR', ['10.7.7.7'], 400_000n, true, true, null],
    ],
  );
  t.like(m.dnsQueries[7], { server: '::1', serverPort: 53, localPort: 42000, dnsId: 0x6000 });
  // the connection to the A answer is named after the question, not the CNAME target
  t.deepEqual(
    m.connections.map((c) => [c.remoteAddress, c.peerName]),
    [['10.1.2.3', 'api.example.com']],
  );
});

test('a reply goes to the latest unanswered query of the same process, port, server and id; others stay apart', (t) => {
  const at = (
    rel: number,
    direction: 'sent' | 'received',
    message: Buffer,
    o: Partial<DnsMessageEvent> = {},
    processId = 1,
  ): PlacedDnsMessage => ({
    rel,
    processId,
    time: BigInt(rel),
    event: {
      kind: 'dns_msg',
      ts: BigInt(rel),
      process: { pid: processId, start: 0n },
      tid: processId,
      direction,
      family: 4,
      localAddress: '127.0.0.1',
      localPort: 5000,
      remoteAddress: '127.0.0.53',
      remotePort: 53,
      length: message.length,
      message: { bytes: message, truncated: false },
      ...o,
    },
  });
  const rows = pairDnsMessages([
    at(30, 'received', dnsReplyBytes(7, 'a.test', 'A', 0, [['a.test', 'A', '10.0.0.1']])),
    at(10, 'sent', dnsQueryBytes(7, 'a.test', 'A')),
    at(11, 'sent', dnsQueryBytes(7, 'a.test', 'A'), { localPort: 5001 }), // another socket: its own query
    at(12, 'sent', dnsQueryBytes(7, 'a.test', 'A'), {}, 2), // another process
    at(20, 'sent', dnsQueryBytes(7, 'a.test', 'A')), // the retry
    at(40, 'received', dnsReplyBytes(7, 'a.test', 'A', 3), { remoteAddress: '127.0.0.54' }), // another server: unsolicited
  ]);
  t.deepEqual(
    rows.map((r) => [
      r.id,
      r.processId,
      r.localPort,
      Number(r.time),
      r.rcodeName,
      r.latencyNs === null ? null : Number(r.latencyNs),
      r.server,
    ]),
    [
      [1, 1, 5000, 10, null, null, '127.0.0.53'],
      [2, 1, 5001, 11, null, null, '127.0.0.53'],
      [3, 2, 5000, 12, null, null, '127.0.0.53'],
      [4, 1, 5000, 20, 'NOERROR', 10, '127.0.0.53'],
      [5, 1, 5000, 40, 'NXDOMAIN', null, '127.0.0.54'],
    ],
  );
  // a cut message keeps the flag; garbage bytes still make a row, with the parser's reason
  const cut = pairDnsMessages([
    at(1, 'sent', Buffer.from([1, 2, 3]), { message: { bytes: Buffer.from([1, 2, 3]), truncated: true } }),
  ]);
  t.like(cut[0], { name: '', type: '', truncated: true, error: 'truncated in header at byte 2' });
});

test('dns_queries in SQL, and a CLIENT span per query with the outcome as status', (t) => {
  const m = load();
  const db = buildDatabase(m);
  t.is(db.prepare("SELECT value FROM meta WHERE key = 'capture.options.dns_messages'").pluck().get(), 1);
  t.deepEqual(
    db
      .prepare(
        "SELECT name, coalesce(rcode_name, 'no reply') AS outcome FROM dns_queries WHERE rcode IS NULL OR rcode != 0 ORDER BY id",
      )
      .raw()
      .all(),
    [
      ['nope.example', 'NXDOMAIN'],
      ['flaky.example', 'no reply'],
      ['flaky.example', 'SERVFAIL'],
    ],
  );
  t.deepEqual(db.prepare('SELECT answers, length(query), length(reply) FROM dns_queries WHERE id = 1').raw().get(), [
    '["10.1.2.3"]',
    33,
    110,
  ]);
  db.close();

  const spans = [...buildTrace({ header: capture.header, footer: capture.footer, model: m, warnings: [] }).spans()];
  const dns = spans.filter((s) => s.attributes['ptrace.span.type'] === 'dns_query');
  t.is(dns.length, 10);
  const nx = dns.find((s) => s.name === 'DNS A nope.example')!;
  t.deepEqual(nx.status, { code: 2, message: 'DNS A nope.example: NXDOMAIN' });
  t.is(nx.attributes['error.type'], 'NXDOMAIN');
  t.is(nx.end - nx.start, 400_000n);
  const lost = dns.find((s) => s.name === 'DNS A flaky.example' && s.attributes['error.type'] === 'timeout');
  t.truthy(lost);
  const ok = dns.find((s) => s.name === 'DNS A api.example.com')!;
  t.deepEqual(ok.attributes['dns.answers'], ['10.1.2.3']);
  t.is(ok.attributes['network.peer.address'], '127.0.0.53');
  t.is(ok.status.code, 0);
});

test('stats: a name whose queries never got a reply is never resolved on the wire, beside an NXDOMAIN', (t) => {
  const s = new Synth({ rootPid: 300, header: { options: { net: true, dnsMessages: true } } });
  const p = s.root(['curl', 'http://silent.example/'], { at: 1 });
  const server = '127.0.0.53';
  s.dnsMessage(p, 2, 'sent', server, 41000, dnsQueryBytes(1, 'silent.example', 'A'));
  s.dnsMessage(p, 3, 'sent', server, 41000, dnsQueryBytes(2, 'silent.example', 'AAAA'));
  s.dnsMessage(p, 4, 'sent', server, 41001, dnsQueryBytes(3, 'nope.example', 'A'));
  s.dnsMessage(p, 5, 'received', server, 41001, dnsReplyBytes(3, 'nope.example', 'A', 3));
  s.dnsMessage(p, 6, 'sent', server, 41002, dnsQueryBytes(4, 'ok.example', 'A'));
  s.dnsMessage(
    p,
    7,
    'received',
    server,
    41002,
    dnsReplyBytes(4, 'ok.example', 'A', 0, [['ok.example', 'A', '10.0.0.1']]),
  );
  s.exit(p, 8);
  const m = modelOfCapture(readCaptureBuffer(s.buffer()));
  const wire = computeStats(m, captureInfo(m)).dns.wire;
  t.deepEqual(wire.unresolved, [
    { name: 'silent.example', failed: 2, outcome: 'no reply' },
    { name: 'nope.example', failed: 1, outcome: 'NXDOMAIN' },
  ]);
});

test('tree --net --failed keeps a process whose only failure is a connect, a lookup or a DNS query', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ptrace-wire-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dnsFile = join(dir, 'dns.raw');
  writeFileSync(dnsFile, dnsScenario().buffer());
  const tree = (...args: string[]) => spawnSync(process.execPath, [CLI, 'tree', ...args], { encoding: 'utf8' }).stdout;
  // wget exits 0 but its lookup failed with EAI_AGAIN
  t.true(tree(dnsFile, '--net', '--failed').includes('wget http://127.0.0.1:8080/'));
  t.false(tree(dnsFile, '--failed').includes('wget'), 'without --net only exit statuses count');
  const wireFile = join(dir, 'wire.raw');
  writeFileSync(wireFile, dnsWireScenario().buffer());
  t.false(tree(wireFile, '--net', '--failed').includes('worker'), 'workers had no failure');
});
