// How connections end, captured for real on 127.0.0.1: closed just after the
// traced command's root exited, still open when the capture stopped, and a
// connect the application gave up on before any answer.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readCapture } from '../../formats/reader.ts';
import type { TcpEvent } from '../../formats/types.ts';
import { CLI, captureAsync, captureSync, ROOT, realCaptureTest, tempDir } from '../helpers/real-capture.ts';

interface Counts {
  sent: number;
  received: number;
}
interface ConnectionDbRow {
  remote_port: number;
  state: string;
  bytes_sent: number | null;
  bytes_received: number | null;
  open_at_stop: number | null;
  tcp_state_at_stop: string | null;
  abandoned: number;
  errno_name: string | null;
  connect_latency_ns: number | null;
}

function connectionsInDb(file: string): ConnectionDbRow[] {
  const out = join(tempDir(), 'run.db');
  const r = spawnSync(process.execPath, [CLI, 'db', file, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const db = new Database(out, { readonly: true });
  try {
    return db.prepare('SELECT * FROM connections ORDER BY id').all() as ConnectionDbRow[];
  } finally {
    db.close();
  }
}

realCaptureTest(
  'a connection closed just after the root exits keeps its bytes; one still open at the stop is flagged, with its bytes so far',
  async (t) => {
    // The server is this (untraced) test process: only the clients' side is recorded.
    const server = createServer((req, res) => {
      if (req.url === '/late') res.end(Buffer.alloc(100_000, 'x'));
      else {
        res.writeHead(200, { 'Content-Length': 1_000_000 });
        res.write(Buffer.alloc(3000, 'y')); // and never the rest: the connection stays open
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const dir = tempDir();
      const client = (mode: string) =>
        `${process.execPath} ${join(ROOT, 'test/fixtures/tcp-at-stop.mjs')} ${mode} ${port} ${dir} </dev/null >/dev/null 2>&1 &`;
      const script = `${client('late')} ${client('hold')} while [ ! -e ${dir}/late.done ] || [ ! -e ${dir}/hold.done ]; do sleep 0.01; done`;
      const run = captureAsync(['/bin/sh', '-c', script]);
      const { status, stderr } = await run.done;
      t.is(status, 0, stderr);
      const late = JSON.parse(readFileSync(join(dir, 'late.json'), 'utf8')) as Counts;
      const hold = JSON.parse(readFileSync(join(dir, 'hold.json'), 'utf8')) as Counts;
      t.true(late.received > 100_000 && hold.received > 3000, JSON.stringify({ late, hold }));

      const capture = readCapture(run.file);
      t.is(capture.footer?.lost, 0n);
      const tcp = capture.events.filter((e): e is TcpEvent => e.kind === 'tcp');
      const rows = connectionsInDb(run.file);
      t.is(rows.length, 2, JSON.stringify(rows));
      const byBytes = [...rows].sort((a, b) => (b.bytes_received ?? 0) - (a.bytes_received ?? 0));
      const [closed, open] = byBytes as [ConnectionDbRow, ConnectionDbRow];
      // closed by the late client ~20 ms after the root exited: its close is in the file
      t.is(closed.state, 'established');
      t.is(closed.bytes_sent, late.sent);
      t.is(closed.bytes_received, late.received);
      t.is(closed.open_at_stop, 0);
      t.true(
        tcp.some((e) => e.event === 'closed' && e.bytesReceived === BigInt(late.received)),
        'a real close record, not a stop-time reading',
      );
      // still open when the capture stopped (the client holds it for 5 s): flagged, with what it had moved so far
      t.is(open.state, 'open-at-end');
      t.is(open.open_at_stop, 1);
      t.is(open.tcp_state_at_stop, 'ESTABLISHED');
      t.is(open.bytes_sent, hold.sent);
      t.is(open.bytes_received, hold.received);

      const tree = spawnSync(process.execPath, [CLI, 'tree', '--net', run.file], { encoding: 'utf8' });
      t.is(tree.status, 0, tree.stderr);
      t.regex(tree.stdout, /→ 127\.0\.0\.1:\d+ \(client, [^)]*connect, 39 B out \/ 97\.7 KiB in\)/);
      t.regex(tree.stdout, /→ 127\.0\.0\.1:\d+ \(client, [^)]*connect, open at end, 39 B out \/ 3\.0 KiB in so far\)/);
      const stats = spawnSync(process.execPath, [CLI, 'stats', '--json', run.file], { encoding: 'utf8' });
      const network = JSON.parse(stats.stdout).network as {
        openAtEnd: number;
        openAtStop: number;
        bytesReceived: number;
      };
      t.is(network.openAtEnd, 1);
      t.is(network.openAtStop, 1);
      t.is(network.bytesReceived, late.received + hold.received);
      const otel = spawnSync(process.execPath, [CLI, 'otel', run.file, '--dump-otel'], { encoding: 'utf8' });
      t.is(otel.status, 0, otel.stderr);
      t.regex(otel.stdout, /ptrace\.connection\.open_at_stop/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  },
);

realCaptureTest('a connect abandoned before any answer: "abandoned after N ms", not an empty errno', (t) => {
  // A listener on 127.0.0.1 whose accept queue is full drops the SYN; the client closes after 300 ms.
  const { status, stdout, file } = captureSync(['/usr/bin/python3', join(ROOT, 'test/fixtures/abandoned-connect.py')]);
  t.is(status, 0);
  const [port, outcome] = stdout.trim().split(' ');
  t.is(outcome, 'abandoned', 'the SYN got no answer (else this test proves nothing)');
  const rows = connectionsInDb(file).filter((r) => String(r.remote_port) === port && r.state === 'failed');
  const late = rows.find((r) => r.connect_latency_ns !== null && r.connect_latency_ns >= 300_000_000);
  t.truthy(late, JSON.stringify(rows));
  t.is(late!.abandoned, 1);
  t.is(late!.errno_name, null);
  const tree = spawnSync(process.execPath, [CLI, 'tree', '--net', file], { encoding: 'utf8' });
  t.is(tree.status, 0, tree.stderr);
  t.regex(tree.stdout, new RegExp(`✗ connect 127\\.0\\.0\\.1:${port}: abandoned \\(after [\\d.]+m?s\\)`));
  t.notRegex(tree.stdout, /errno null/);
  const stats = spawnSync(process.execPath, [CLI, 'stats', file], { encoding: 'utf8' });
  t.regex(stats.stdout, /│ abandoned +│ +\d+ │ 127\.0\.0\.1:/);
});
