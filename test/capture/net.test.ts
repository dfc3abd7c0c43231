// TCP connections captured for real, on loopback only: known byte counts in
// each direction over 127.0.0.1 and ::1, both sides of each connection, and
// a refused connection.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { DnsEvent, TcpEvent } from '../../formats/types.ts';
import { CLI, captureSync, execs, ROOT, realCaptureTest } from '../helpers/real-capture.ts';

interface Exchange {
  host: string;
  serverPort: number;
  clientPort: number;
  got: number;
}

realCaptureTest('TCP: client and server sides over 127.0.0.1 and ::1 with exact bytes, and a refused connect', (t) => {
  const { status, stdout, capture } = captureSync([process.execPath, join(ROOT, 'test/fixtures/tcp-peers.mjs')]);
  t.is(status, 0);
  t.true(capture.header.options.net);
  const [v4, v6, refused] = JSON.parse(stdout) as [Exchange, Exchange, { port: number; code: string }];
  const tcp = capture.events.filter((e): e is TcpEvent => e.kind === 'tcp');
  const node = execs(capture)[0];

  for (const [x, loopback, family] of [
    [v4, '127.0.0.1', 4],
    [v6, '::1', 6],
  ] as const) {
    const client = tcp.filter((e) => e.role === 'client' && e.remotePort === x.serverPort);
    const server = tcp.filter((e) => e.role === 'server' && e.localPort === x.serverPort);
    t.deepEqual(
      client.map((e) => e.event),
      ['connected', 'closed'],
      `client side over ${loopback}`,
    );
    t.deepEqual(
      server.map((e) => e.event),
      ['accepted', 'closed'],
      `server side over ${loopback}`,
    );
    for (const e of [...client, ...server]) {
      t.is(e.family, family);
      t.is(e.localAddress, loopback);
      t.is(e.remoteAddress, loopback);
      t.is(e.process.pid, node.process.pid, 'attributed to the traced process, not the softirq context');
    }
    t.is(client[0].localPort, x.clientPort);
    t.is(client[1].localPort, x.clientPort, 'the closed record keeps the local port');
    t.is(server[0].remotePort, x.clientPort);
    t.is(client[0].connId, client[1].connId);
    t.not(client[0].connId, server[0].connId);
    t.true(client[0].latencyNs > 0n);
    t.is(client[1].bytesSent, 1000n);
    t.is(client[1].bytesReceived, 5000n);
    t.is(server[1].bytesSent, 5000n);
    t.is(server[1].bytesReceived, 1000n);
    t.is(client[1].retransmits, 0);
  }

  const failed = tcp.filter((e) => e.event === 'failed');
  t.is(failed.length, 1);
  t.is(failed[0].remotePort, refused.port);
  t.is(failed[0].errnoName, 'ECONNREFUSED');
  t.is(failed[0].role, 'client');
  t.is(capture.footer?.lost, 0n);

  // …and the replay shows them under the process.
  const tree = spawnSync(process.execPath, [CLI, 'tree', '--net', capture.path], { encoding: 'utf8' });
  t.is(tree.status, 0, tree.stderr);
  const lines = tree.stdout.split('\n').map((l) => l.trim());
  for (const x of [v4, v6]) {
    t.true(
      lines.some((l) => l.startsWith(`→ ${x.host}:${x.serverPort} (client,`) && l.includes('1000 B out / 4.9 KiB in')),
      tree.stdout,
    );
    t.true(
      lines.some((l) => l.startsWith(`← ${x.host}:${x.clientPort} on :${x.serverPort} (server,`)),
      tree.stdout,
    );
  }
  t.true(
    lines.some((l) => l.startsWith(`✗ connect 127.0.0.1:${refused.port}: ECONNREFUSED (after `)),
    tree.stdout,
  );
});

realCaptureTest('--no-net records no connections', (t) => {
  const { capture } = captureSync([process.execPath, join(ROOT, 'test/fixtures/tcp-peers.mjs')], {
    flags: ['--no-net'],
  });
  t.false(capture.header.options.net);
  t.is(capture.events.filter((e) => e.kind === 'tcp').length, 0);
});

realCaptureTest('name lookups: getaddrinfo of a name in /etc/hosts and of a name that does not exist', (t) => {
  const { status, capture } = captureSync([
    'sh',
    '-c',
    'getent ahostsv4 localhost >/dev/null; getent ahosts ptrace-no-such-host.invalid; true',
  ]);
  t.is(status, 0);
  t.true(capture.header.options.dns);
  const lookups = capture.events.filter((e): e is DnsEvent => e.kind === 'dns');
  const localhost = lookups.find((e) => e.name.bytes.toString() === 'localhost');
  t.truthy(localhost, JSON.stringify(lookups.map((e) => e.name.bytes.toString())));
  t.is(localhost!.result, 0);
  t.is(localhost!.resultName, null);
  t.true(localhost!.count >= 1);
  t.true(
    localhost!.answers.some((a) => a.family === 4 && a.address === '127.0.0.1'),
    JSON.stringify(localhost!.answers),
  );
  t.true(localhost!.latencyNs > 0n);
  const missing = lookups.find((e) => e.name.bytes.toString() === 'ptrace-no-such-host.invalid');
  t.truthy(missing);
  t.not(missing!.result, 0);
  t.regex(missing!.resultName ?? '', /^EAI_(NONAME|AGAIN|FAIL|NODATA)$/);
  t.deepEqual(missing!.answers, []);
  const getents = execs(capture).filter((e) => e.argv[0]?.toString() === 'getent');
  t.true(
    lookups.every((l) => getents.some((g) => g.process.pid === l.process.pid)),
    'attributed to the getent processes',
  );
});

realCaptureTest('--no-dns records no lookups', (t) => {
  const { capture } = captureSync(['getent', 'ahosts', 'localhost'], { flags: ['--no-dns'] });
  t.false(capture.header.options.dns);
  t.is(capture.events.filter((e) => e.kind === 'dns').length, 0);
});
