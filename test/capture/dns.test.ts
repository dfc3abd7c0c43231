// DNS captured for real against a resolver the test runs itself: dnsmasq on a
// loopback address with a test-only hosts file, reached through a private
// resolv.conf bind-mounted in a mount namespace of the traced command (the
// machine's own configuration is never touched). Checks the getaddrinfo()
// records, the UDP port 53 messages (also those of a resolver that bypasses
// libc), NXDOMAIN, and a connection named by pseudo reverse DNS.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { type Model, ModelBuilder } from '../../analyze/replay/model.ts';
import { readCapture } from '../../formats/reader.ts';
import type { Capture, DnsEvent, DnsMessageEvent } from '../../formats/types.ts';
import {
  CAPTURE_BIN,
  CLI,
  captureSync,
  execs,
  ROOT,
  realCaptureTest,
  TEST_ENV,
  tempDir,
} from '../helpers/real-capture.ts';

const RESOLVER = '127.53.0.1';
const SERVICE = '127.53.0.2';
const DIRECT = '127.53.0.3';

function dnsmasqPath(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v dnsmasq || ls /usr/sbin/dnsmasq'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0]! : null;
}

/** Starts dnsmasq answering only from `hosts` (names under .test are local: others get NXDOMAIN). */
async function startResolver(t: ExecutionContext, dir: string): Promise<boolean> {
  const bin = dnsmasqPath();
  if (bin === null) {
    if (process.env.CI === 'true') t.fail('dnsmasq is missing: .ci/setup installs dnsmasq-base');
    else t.log('skipped: dnsmasq is not installed (apt-get install dnsmasq-base)');
    return false;
  }
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, `${SERVICE} svc.ptrace.test\n${DIRECT} direct.ptrace.test\n`);
  const child = spawn(
    bin,
    [
      '--keep-in-foreground',
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${hosts}`,
      `--listen-address=${RESOLVER}`,
      '--bind-interfaces',
      '--port=53',
      '--local=/test/',
      '--user=root',
      `--pid-file=${join(dir, 'dnsmasq.pid')}`,
      '--log-facility=-',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  t.teardown(() => child.kill('SIGTERM'));
  let log = '';
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    child.stderr.on('data', (d) => {
      log += d;
      if (/started, version/.test(log)) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ready) t.fail(`dnsmasq did not start: ${log}`);
  return ready;
}

function model(c: Capture): Model {
  const b = new ModelBuilder();
  for (const e of c.events) b.add(e);
  return b.finish(c.header, c.footer, {
    path: c.path,
    warnings: c.warnings,
    recordCounts: c.recordCounts,
    completeRecords: c.completeRecords,
  });
}

realCaptureTest(
  'DNS through a loopback resolver: lookups, wire queries (libc and c-ares), NXDOMAIN, a connection named by its lookup',
  async (t) => {
    const dir = tempDir('ptrace-dns-');
    if (!(await startResolver(t, dir))) return;
    writeFileSync(join(dir, 'resolv.conf'), `nameserver ${RESOLVER}\noptions attempts:1 timeout:2\n`);
    writeFileSync(join(dir, 'nsswitch.conf'), 'hosts: files dns\n');
    const server = createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, SERVICE, resolve));
    t.teardown(() => server.close());
    const port = (server.address() as AddressInfo).port;

    const script = [
      `mount --bind ${join(dir, 'resolv.conf')} /etc/resolv.conf`,
      `mount --bind ${join(dir, 'nsswitch.conf')} /etc/nsswitch.conf`,
      `exec ${process.execPath} ${join(ROOT, 'test/fixtures/dns-client.mjs')} ${port}`,
    ].join(' && ');
    // asynchronous: the server runs in this (untraced) process and must accept while the capture runs
    const file = join(dir, 'run.raw');
    const child = spawn(CAPTURE_BIN, ['-o', file, '--', 'unshare', '-m', 'sh', '-c', script], { env: TEST_ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    t.is(status, 0, stderr);
    t.deepEqual(JSON.parse(stdout), { svc: SERVICE, missing: 'ENOTFOUND', direct: [DIRECT] });
    const c = readCapture(file);
    t.true(c.header.options.dnsMessages);
    t.is(c.footer?.lost, 0n);
    const node = execs(c).find((e) => e.argv[0]?.toString() === process.execPath)!;
    t.truthy(node);

    // getaddrinfo() calls: the two dns.lookup ones, not c-ares's
    const lookups = c.events.filter((e): e is DnsEvent => e.kind === 'dns');
    t.deepEqual(
      lookups.map((l) => [l.name.bytes.toString(), l.resultName, l.answers.map((a) => a.address), l.process.pid]),
      [
        ['svc.ptrace.test', null, [SERVICE], node.process.pid],
        ['nope.ptrace.test', 'EAI_NONAME', [], node.process.pid],
      ],
    );

    // the packets: a query and a reply for each name, all attributed to node (replies arrive in softirq context)
    const messages = c.events.filter((e): e is DnsMessageEvent => e.kind === 'dns_msg');
    t.true(
      messages.every(
        (m) =>
          m.process.pid === node.process.pid &&
          m.remoteAddress === RESOLVER &&
          m.remotePort === 53 &&
          !m.message.truncated,
      ),
    );
    t.deepEqual(
      messages.map((m) => m.direction),
      ['sent', 'received', 'sent', 'received', 'sent', 'received'],
    );

    const m = model(c);
    t.deepEqual(
      m.dnsQueries.map((q) => [q.name, q.type, q.rcodeName, q.answers, q.error, q.server]),
      [
        ['svc.ptrace.test', 'A', 'NOERROR', [SERVICE], null, RESOLVER],
        ['nope.ptrace.test', 'A', 'NXDOMAIN', [], null, RESOLVER],
        ['direct.ptrace.test', 'A', 'NOERROR', [DIRECT], null, RESOLVER],
      ],
    );
    t.true(m.dnsQueries.every((q) => q.latencyNs !== null && q.latencyNs > 0n));
    const conn = m.connections.find((x) => x.role === 'client' && x.remotePort === port);
    t.is(conn?.remoteAddress, SERVICE);
    t.is(conn?.peerName, 'svc.ptrace.test', 'pseudo reverse DNS: the lookup named the connection');

    const tree = spawnSync(process.execPath, [CLI, 'tree', '--net', c.path], { encoding: 'utf8' });
    t.is(tree.status, 0, tree.stderr);
    const lines = tree.stdout.split('\n').map((l) => l.trim());
    for (const expected of [
      `? svc.ptrace.test → ${SERVICE}`,
      `✗ lookup nope.ptrace.test: EAI_NONAME`,
      `? dns A svc.ptrace.test → ${SERVICE}`,
      `✗ dns A nope.ptrace.test: NXDOMAIN`,
      `? dns A direct.ptrace.test → ${DIRECT}`,
      `→ svc.ptrace.test (${SERVICE}):${port}`,
    ]) {
      t.true(
        lines.some((l) => l.startsWith(expected)),
        `${expected}\n${tree.stdout}`,
      );
    }
  },
);

realCaptureTest(
  'getaddrinfo in a C library the capture did not start with: found in the process maps after its exec',
  (t) => {
    // a copy of libc is another file (inode) than the one the capture tool runs on: only the per-process scan attaches to it
    const maps = spawnSync('sh', ['-c', 'grep -m1 -o "/[^ ]*/libc\\.so[^ ]*" /proc/self/maps'], { encoding: 'utf8' });
    const libc = maps.stdout.trim();
    t.regex(libc, /libc\.so/);
    const dir = tempDir('ptrace-libc-');
    copyFileSync(libc, join(dir, 'libc.so.6'));
    // waits past the capture's first scan (one 50 ms drain after the exec) before resolving
    const js =
      "setTimeout(() => require('dns').lookup('localhost', { family: 4 }, (e, a) => console.log(e ? e.code : a)), 500)";
    // set for the command only: the capture tool itself must stay on the system's libc
    const run = captureSync(['env', `LD_LIBRARY_PATH=${dir}`, process.execPath, '-e', js]);
    t.is(run.status, 0, run.stderr);
    t.is(run.stdout.trim(), '127.0.0.1');
    const uses = spawnSync(
      'sh',
      [
        '-c',
        `LD_LIBRARY_PATH=${dir} ${process.execPath} -e "console.log(require('fs').readFileSync('/proc/self/maps','utf8'))" | grep -c ${dir}/libc.so.6`,
      ],
      { encoding: 'utf8' },
    );
    t.not(uses.stdout.trim(), '0', 'the traced program really runs on the copy');
    const lookups = run.capture.events.filter((e): e is DnsEvent => e.kind === 'dns');
    t.deepEqual(
      lookups.map((l) => [l.name.bytes.toString(), l.result, l.answers.map((a) => a.address)]),
      [['localhost', 0, ['127.0.0.1']]],
    );
  },
);
