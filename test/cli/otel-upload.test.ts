// `ptrace otel --endpoint`: the real CLI uploading to an OTLP/HTTP receiver
// started here on 127.0.0.1. Request bodies are decoded independently of the
// encoder: a small protobuf wire decoder with the field numbers of the
// official OTLP protos (collector/trace/v1/trace_service.proto,
// trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto),
// cross-checked with `protoc --decode_raw` when protoc is installed.

import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import { RSS_HOOK, readFigures, withoutFigures } from '../../bench/rss-figures.ts';
import { sampleCapture } from '../../testkit/otel/synthetic.ts';
import { type CliRun, ptraceOtel as ptrace } from '../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/ptrace.js');

const dir = mkdtempSync(join(tmpdir(), 'ptrace-otel-up-'));
const sample = join(dir, 'sample.raw');
writeFileSync(sample, sampleCapture());

// ---------------------------------------------------------------- protobuf wire decoding

type Field = { no: number; wire: number; varint?: bigint; bytes?: Buffer; fixed64?: Buffer; fixed32?: number };

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++]!;
      r |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return r;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, varint: varint() });
    else if (wire === 1) {
      out.push({ no, wire, fixed64: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error('truncated bytes');
      out.push({ no, wire, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 5) {
      out.push({ no, wire, fixed32: buf.readUInt32LE(pos) });
      pos += 4;
    } else throw new Error(`wire type ${wire}`);
  }
  if (pos !== buf.length) throw new Error('trailing bytes');
  return out;
}

const str = (f: Field): string => f.bytes!.toString('utf8');
const u64 = (f: Field): string => f.fixed64!.readBigUInt64LE(0).toString();

/** common.proto AnyValue → a plain value (ints as decimal strings, like OTLP/JSON). */
function anyValue(buf: Buffer): unknown {
  const [f] = fields(buf);
  if (f === undefined) return null;
  switch (f.no) {
    case 1:
      return str(f);
    case 2:
      return f.varint !== 0n;
    case 3:
      return BigInt.asIntN(64, f.varint!).toString();
    case 4:
      return f.fixed64!.readDoubleLE(0);
    case 5:
      return fields(f.bytes!)
        .filter((x) => x.no === 1)
        .map((x) => anyValue(x.bytes!));
    case 6:
      return keyValues(fields(f.bytes!).filter((x) => x.no === 1));
    case 7:
      return f.bytes!.toString('base64');
    default:
      throw new Error(`AnyValue field ${f.no}`);
  }
}

/** repeated KeyValue (1 key, 2 value) → object. */
function keyValues(list: Field[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const kv of list) {
    const fs = fields(kv.bytes!);
    o[str(fs.find((x) => x.no === 1)!)] = anyValue(fs.find((x) => x.no === 2)?.bytes ?? Buffer.alloc(0));
  }
  return o;
}

interface NSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  start: string;
  end: string;
  attributes: Record<string, unknown>;
  events: { name: string; time: string; attributes: Record<string, unknown> }[];
  status: { code: number; message: string };
  flags: number;
}
interface NRequest {
  resource: Record<string, unknown>;
  scope: { name: string; version: string };
  spans: NSpan[];
}

/** trace_service.proto ExportTraceServiceRequest → normalized. */
function decodeRequest(body: Buffer): NRequest[] {
  return fields(body)
    .filter((f) => f.no === 1) // resource_spans
    .map((rs) => {
      const rf = fields(rs.bytes!);
      const resource = keyValues(fields(rf.find((f) => f.no === 1)!.bytes!).filter((f) => f.no === 1));
      const scopeSpans = rf.filter((f) => f.no === 2).map((ss) => fields(ss.bytes!));
      if (scopeSpans.length !== 1) throw new Error('one scope expected');
      const sf = scopeSpans[0]!;
      const scopeF = fields(sf.find((f) => f.no === 1)!.bytes!);
      const scope = { name: str(scopeF.find((f) => f.no === 1)!), version: str(scopeF.find((f) => f.no === 2)!) };
      const spans = sf
        .filter((f) => f.no === 2)
        .map((sp): NSpan => {
          const s = fields(sp.bytes!);
          const one = (no: number): Field | undefined => s.find((f) => f.no === no);
          const statusF = one(15) === undefined ? [] : fields(one(15)!.bytes!);
          return {
            traceId: one(1)!.bytes!.toString('hex'),
            spanId: one(2)!.bytes!.toString('hex'),
            parentSpanId: one(4)?.bytes?.toString('hex') ?? '',
            name: str(one(5)!),
            kind: Number(one(6)?.varint ?? 0n),
            start: u64(one(7)!),
            end: u64(one(8)!),
            attributes: keyValues(s.filter((f) => f.no === 9)),
            events: s
              .filter((f) => f.no === 11)
              .map((e) => {
                const ef = fields(e.bytes!);
                return {
                  time: u64(ef.find((f) => f.no === 1)!),
                  name: str(ef.find((f) => f.no === 2)!),
                  attributes: keyValues(ef.filter((f) => f.no === 3)),
                };
              }),
            status: {
              code: Number(statusF.find((f) => f.no === 3)?.varint ?? 0n),
              message: statusF.find((f) => f.no === 2) === undefined ? '' : str(statusF.find((f) => f.no === 2)!),
            },
            flags: one(16)?.fixed32 ?? 0,
          };
        });
      return { resource, scope, spans };
    });
}

// OTLP/JSON → the same normalized shape.
type JAny = {
  stringValue?: string;
  intValue?: string;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: JAny[] };
  kvlistValue?: { values?: JKv[] };
};
type JKv = { key: string; value: JAny };
function jAny(v: JAny): unknown {
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(jAny);
  if (v.kvlistValue) return jKvs(v.kvlistValue.values ?? []);
  return v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue ?? null;
}
const jKvs = (l: JKv[]): Record<string, unknown> => Object.fromEntries(l.map((kv) => [kv.key, jAny(kv.value)]));
function normalizeJson(text: string): NRequest[] {
  const doc = JSON.parse(text) as {
    resourceSpans: {
      resource: { attributes: JKv[] };
      scopeSpans: { scope: { name: string; version: string }; spans: Record<string, never>[] }[];
    }[];
  };
  return doc.resourceSpans.map((rs) => ({
    resource: jKvs(rs.resource.attributes),
    scope: { name: rs.scopeSpans[0]!.scope.name, version: rs.scopeSpans[0]!.scope.version },
    spans: rs.scopeSpans[0]!.spans.map(
      // biome-ignore lint/suspicious/noExplicitAny: the collector's JSON, checked field by field below
      (s: Record<string, any>): NSpan => ({
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId ?? '',
        name: s.name,
        kind: s.kind,
        start: s.startTimeUnixNano,
        end: s.endTimeUnixNano,
        attributes: jKvs(s.attributes),
        events: (s.events as { name: string; timeUnixNano: string; attributes: JKv[] }[]).map((e) => ({
          name: e.name,
          time: e.timeUnixNano,
          attributes: jKvs(e.attributes),
        })),
        status: { code: s.status.code, message: s.status.message ?? '' },
        flags: s.flags,
      }),
    ),
  }));
}

// ---------------------------------------------------------------- the receiver

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** As sent (possibly gzipped). */
  raw: Buffer;
  /** Decompressed. */
  body: Buffer;
  at: number;
}
type Reply = { status: number; headers?: Record<string, string>; body?: string | Buffer } | 'hang';

async function receiver(
  script: Reply[] = [],
): Promise<{ url: string; port: number; requests: Received[]; close: () => Promise<void> }> {
  const requests: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, raw, body, at: Date.now() });
      const reply = script.shift() ?? { status: 200 };
      if (reply === 'hang') return;
      res.writeHead(reply.status, { 'Content-Type': 'application/x-protobuf', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let dumpCache: NRequest | null = null;
async function dumped(): Promise<NRequest> {
  if (dumpCache === null) {
    const r = await ptrace([sample, '--dump-otel']);
    if (r.code !== 0) throw new Error(r.stderr);
    dumpCache = normalizeJson(r.stdout)[0]!;
  }
  return dumpCache;
}

function merge(reqs: NRequest[][]): NRequest {
  const all = reqs.flat();
  return { resource: all[0]!.resource, scope: all[0]!.scope, spans: all.flatMap((r) => r.spans) };
}

const lastLine = (s: string): string => s.trimEnd().split('\n').at(-1)!;

// ---------------------------------------------------------------- tests

test('protobuf upload in batches: decoded spans equal the JSON dump; ids, parents, names, attributes, status, resource', async (t) => {
  const rx = await receiver();
  try {
    const r = await ptrace([
      sample,
      '--endpoint',
      rx.url,
      '--batch-size',
      '3',
      '--header',
      'x-api-key=s3cret',
      '--header',
      'X-Team=build',
    ]);
    t.is(r.code, 0, r.stderr);
    t.is(rx.requests.length, 4, '10 spans in batches of 3');
    for (const q of rx.requests) {
      t.is(q.method, 'POST');
      t.is(q.url, '/v1/traces', '/v1/traces appended to a base URL');
      t.is(q.headers['content-type'], 'application/x-protobuf');
      t.is(q.headers['x-api-key'], 's3cret');
      t.is(q.headers['x-team'], 'build');
      t.regex(q.headers['user-agent'] ?? '', /^ptrace\/\d/);
      t.is(q.headers['content-encoding'], undefined);
    }
    const got = merge(rx.requests.map((q) => decodeRequest(q.body)));
    const want = await dumped();
    t.deepEqual(got, want);

    // Direct checks on the decoded protobuf, independent of the JSON path.
    t.like(got.resource, {
      'service.name': 'ptrace',
      'host.name': 'buildhost',
      'os.type': 'linux',
      'os.description': '6.1.0-test',
    });
    t.deepEqual(got.scope, { name: 'ptrace', version: '0.1.0' });
    const [root, ...rest] = got.spans;
    t.regex(root!.traceId, /^[0-9a-f]{32}$/);
    t.is(root!.parentSpanId, '');
    t.is(root!.name, 'make');
    t.deepEqual(root!.status, { code: 2, message: 'exit code 2' });
    t.true(rest.every((s) => s.traceId === root!.traceId && s.kind === 1));
    const make = rest.find((s) => s.attributes['process.pid'] === '1000')!;
    t.is(make.parentSpanId, root!.spanId);
    const cc = rest.find((s) => s.name === 'cc')!;
    const sh = rest.find((s) => s.attributes['process.pid'] === '1001')!;
    t.is(cc.parentSpanId, sh.spanId);
    t.is(sh.parentSpanId, make.spanId);
    t.deepEqual(cc.attributes['process.command_args'], ['cc', '-c', 'a.c']);
    t.is(cc.attributes['process.executable.path'], '/usr/bin/cc');
    t.is(cc.attributes['process.exit.code'], '0');
    const sleep = rest.find((s) => s.name === 'sleep')!;
    t.deepEqual(sleep.status, { code: 2, message: 'killed by SIGKILL' });
    const ldFail = rest.find((s) => s.events.length > 0)!;
    t.is(ldFail.events[0]!.name, 'exec failed');
    t.is(ldFail.events[0]!.attributes['error.type'], 'ENOENT');
    t.regex(
      lastLine(r.stderr),
      /^ptrace: sent 10 spans of trace [0-9a-f]{32} in 4 batches to http:\/\/127\.0\.0\.1:\d+\/v1\/traces in \d+/,
    );
  } finally {
    await rx.close();
  }
});

test('protoc --decode_raw reads the request body', async (t) => {
  if (!existsSync('/usr/bin/protoc')) {
    t.pass('protoc not installed (apt-get install protobuf-compiler)');
    return;
  }
  const rx = await receiver();
  try {
    const r = await ptrace([sample, '--endpoint', rx.url]);
    t.is(r.code, 0, r.stderr);
    const p = spawnSync('/usr/bin/protoc', ['--decode_raw'], { input: rx.requests[0]!.body, encoding: 'utf8' });
    t.is(p.status, 0, p.stderr);
    // resource_spans(1) { resource(1) {...} scope_spans(2) { scope(1) { name(1): "ptrace" } spans(2) { ... name(5): "cc" } } }
    t.regex(p.stdout, /^1 \{\n {2}1 \{\n {4}1 \{\n {6}1: "service\.name"/);
    t.regex(p.stdout, /\n {6}5: "cc"\n/);
    t.regex(p.stdout, /\n {8}1: "process\.executable\.path"\n {8}2 \{\n {10}1: "\/usr\/bin\/cc"/);
  } finally {
    await rx.close();
  }
});

test('gzip and http/json: same spans; headers and protocol from OTEL_* variables, flags win', async (t) => {
  const rx = await receiver();
  try {
    const r = await ptrace([sample, '--compression', 'gzip'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: `${rx.url}/otlp/`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-scope=one',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'X-Scope=two',
    });
    t.is(r.code, 0, r.stderr);
    t.is(rx.requests.length, 1);
    const q = rx.requests[0]!;
    t.is(q.url, '/otlp/v1/traces', 'OTEL_EXPORTER_OTLP_ENDPOINT gets v1/traces appended to its path');
    t.is(q.headers['content-encoding'], 'gzip');
    t.is(q.headers['content-type'], 'application/json');
    t.is(q.headers.authorization, 'Bearer abc', 'percent-decoded');
    t.is(q.headers['x-scope'], 'two', 'traces-specific headers override');
    t.true(q.raw.length < q.body.length);
    t.deepEqual(normalizeJson(q.body.toString('utf8'))[0], await dumped());
    t.regex(lastLine(r.stderr), /\(http\/json, gzip\)$/);

    // Signal-specific endpoint used as is; --protocol beats the variable.
    const r2 = await ptrace([sample, '--protocol', 'http/protobuf'], {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${rx.url}/custom/path`,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1/never',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    t.is(r2.code, 0, r2.stderr);
    t.is(rx.requests[1]!.url, '/custom/path');
    t.is(rx.requests[1]!.headers['content-type'], 'application/x-protobuf');
    t.deepEqual(decodeRequest(rx.requests[1]!.body)[0], await dumped());

    // --endpoint with a path is used as is and beats both variables.
    const r3 = await ptrace([sample, '--endpoint', `${rx.url}/mine`], {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:1/x',
    });
    t.is(r3.code, 0, r3.stderr);
    t.is(rx.requests[2]!.url, '/mine');
  } finally {
    await rx.close();
  }
});

test('upload and --dump-otel together: one trace, same bytes as a dump alone', async (t) => {
  const rx = await receiver();
  try {
    const r = await ptrace([sample, '--endpoint', rx.url, '--protocol', 'http/json', '--dump-otel', '-']);
    t.is(r.code, 0, r.stderr);
    const alone = await ptrace([sample, '--dump-otel', '-']);
    t.is(r.stdout, alone.stdout);
    t.deepEqual(normalizeJson(rx.requests[0]!.body.toString('utf8'))[0], normalizeJson(alone.stdout)[0]);
  } finally {
    await rx.close();
  }
});

test.serial('connection refused: non-zero exit, one line naming the endpoint', async (t) => {
  const rx = await receiver();
  const url = rx.url;
  await rx.close();
  const r = await ptrace([sample, '--endpoint', url, '--deadline', '1500ms']);
  t.is(r.code, 1);
  t.regex(
    lastLine(r.stderr),
    new RegExp(`^ptrace: upload to ${url}/v1/traces failed: connection refused \\(ECONNREFUSED\\)`),
  );
  t.true(r.ms < 20_000, `bounded by the deadline (${r.ms} ms)`);
});

test('500 then 200: retried, success', async (t) => {
  const rx = await receiver([{ status: 500, body: 'boom' }, { status: 200 }]);
  try {
    const r = await ptrace([sample, '--endpoint', rx.url]);
    t.is(r.code, 0, r.stderr);
    t.is(rx.requests.length, 2);
    t.deepEqual(rx.requests[0]!.body, rx.requests[1]!.body);
    t.regex(r.stderr, /ptrace: retrying batch 1\/1 in \d+ms: HTTP 500 Internal Server Error/);
    t.regex(lastLine(r.stderr), /1 retry\)$/);
  } finally {
    await rx.close();
  }
});

test.serial('429 with Retry-After: 1 waits about a second, then succeeds', async (t) => {
  const rx = await receiver([{ status: 429, headers: { 'Retry-After': '1' } }, { status: 200 }]);
  try {
    const r = await ptrace([sample, '--endpoint', rx.url]);
    t.is(r.code, 0, r.stderr);
    t.is(rx.requests.length, 2);
    const waited = rx.requests[1]!.at - rx.requests[0]!.at;
    t.true(waited >= 950, `waited ${waited} ms`);
    t.regex(r.stderr, /retrying batch 1\/1 in 1s: HTTP 429/);
  } finally {
    await rx.close();
  }
});

test('400: not retried, non-zero exit naming endpoint and status', async (t) => {
  const status = Buffer.from([0x08, 0x03, 0x12, 0x0b, ...Buffer.from('bad payload')]); // google.rpc.Status{code: 3, message}
  const rx = await receiver([{ status: 400, body: status }]);
  try {
    const r = await ptrace([sample, '--endpoint', rx.url]);
    t.is(r.code, 1);
    t.is(rx.requests.length, 1);
    t.is(r.stderr.split('\n').length, 2, r.stderr);
    t.is(lastLine(r.stderr), `ptrace: upload to ${rx.url}/v1/traces failed: HTTP 400 Bad Request: bad payload`);
  } finally {
    await rx.close();
  }
});

test.serial('a server that never answers: timeout, non-zero exit, bounded time', async (t) => {
  const rx = await receiver(['hang', 'hang', 'hang', 'hang', 'hang', 'hang', 'hang', 'hang']);
  try {
    const r = await ptrace([sample, '--endpoint', rx.url, '--timeout', '300ms', '--deadline', '1s']);
    t.is(r.code, 1);
    t.regex(
      lastLine(r.stderr),
      new RegExp(`^ptrace: upload to ${rx.url}/v1/traces failed: .*(no response within|deadline)`),
    );
    t.true(rx.requests.length >= 1);
    t.true(r.ms < 20_000, `bounded by --timeout and --deadline (${r.ms} ms)`);
  } finally {
    await rx.close();
  }
});

// ExportTraceServiceResponse{partial_success: {rejected_spans: 2, error_message: "too old"}}, by hand.
const PARTIAL_INNER = Buffer.from([0x08, 0x02, 0x12, 0x07, ...Buffer.from('too old')]);
const PARTIAL_PROTOBUF = Buffer.from([0x0a, PARTIAL_INNER.length, ...PARTIAL_INNER]);

test('the hand-made partial success response decodes as intended (protoc --decode_raw)', (t) => {
  const r = spawnSync('protoc', ['--decode_raw'], { input: PARTIAL_PROTOBUF, encoding: 'utf8' });
  if (r.error !== undefined) {
    t.pass('protoc not installed');
    return;
  }
  t.is(r.stdout.replace(/\s+/g, ' ').trim(), '1 { 1: 2 2: "too old" }');
});

test('partial success (protobuf): rejected spans are counted, reported, and the exit is 1', async (t) => {
  const rx = await receiver([{ status: 200, body: PARTIAL_PROTOBUF }]);
  try {
    const r = await ptrace([sample, '--endpoint', rx.url]);
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, /warning: .* rejected 2 of 10 spans of batch 1: too old/);
    t.is(lastLine(r.stderr), `ptrace: upload to ${rx.url}/v1/traces: the receiver rejected 2 of 10 spans (too old)`);
    t.notRegex(r.stderr, /sent 10 spans/);
  } finally {
    await rx.close();
  }
});

test('partial success (JSON): rejectedSpans over several batches are added up', async (t) => {
  const reply = (n: number) => ({
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ partialSuccess: { rejectedSpans: String(n), errorMessage: 'quota\nexceeded' } }),
  });
  const rx = await receiver([reply(3), { status: 200, body: '{}' }, reply(1)]);
  try {
    const r = await ptrace([sample, '--endpoint', rx.url, '--protocol', 'http/json', '--batch-size', '4']);
    t.is(r.code, 1, r.stderr);
    t.is(rx.requests.length, 3);
    t.is(
      lastLine(r.stderr),
      `ptrace: upload to ${rx.url}/v1/traces: the receiver rejected 4 of 10 spans (quota exceeded)`,
    );
  } finally {
    await rx.close();
  }
});

test('an error message without rejected spans stays a warning (exit 0)', async (t) => {
  const rx = await receiver([
    {
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      body: '{"partialSuccess":{"errorMessage":"slow down"}}',
    },
  ]);
  try {
    const r = await ptrace([sample, '--endpoint', rx.url, '--protocol', 'http/json']);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /warning: .* rejected 0 of 10 spans of batch 1: slow down/);
  } finally {
    await rx.close();
  }
});

/** ptrace otel as a child with bench/rss-hook.ts: its peak RSS (KiB). */
function ptraceRss(args: string[]): Promise<CliRun & { ms: number; rssKb: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', RSS_HOOK, BIN, 'otel', ...args],
      { encoding: 'utf8', maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        const figures = readFigures(stderr);
        resolve({
          code,
          stdout,
          stderr: withoutFigures(stderr),
          ms: Date.now() - started,
          rssKb: figures?.rssKb ?? Infinity,
        });
      },
    );
  });
}

/** A receiver answering 200 with a body of `total` bytes (Infinity: until the client goes away); counts what it got out. */
async function floodingReceiver(
  total: number,
): Promise<{ url: string; written: () => number; close: () => Promise<void> }> {
  let written = 0;
  const chunk = Buffer.alloc(1 << 20, 0x41);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' });
      const pump = (): void => {
        while (written < total && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    written: () => written,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

test.serial('a huge response body is cut after 1 MiB: bounded RSS, the connection dropped', async (t) => {
  const normal = await receiver();
  const flood = await floodingReceiver(512 << 20);
  try {
    const base = await ptraceRss([sample, '--endpoint', normal.url]);
    t.is(base.code, 0, base.stderr);
    const r = await ptraceRss([sample, '--endpoint', flood.url, '--timeout', '60s']);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /warning: .* answered batch 1 with more than 1048576 bytes: the rest was not read/);
    t.true(r.rssKb < base.rssKb + 64 * 1024, `peak RSS ${r.rssKb} KiB, ${base.rssKb} KiB with a normal answer`);
    t.true(flood.written() < 512 << 20, `the server could not send it all (${flood.written()} bytes)`);
  } finally {
    await normal.close();
    await flood.close();
  }
});

test.serial('an endless response body: the upload ends, RSS bounded', async (t) => {
  const flood = await floodingReceiver(Infinity);
  try {
    const r = await ptraceRss([sample, '--endpoint', flood.url, '--timeout', '60s']);
    t.is(r.code, 0, r.stderr);
    t.true(r.rssKb < 400 * 1024, `peak RSS ${r.rssKb} KiB`);
  } finally {
    await flood.close();
  }
});

test('https:// to a plain HTTP port: a TLS handshake failure, not retried, one line', async (t) => {
  const rx = await receiver();
  try {
    const r = await ptrace([sample, '--endpoint', `https://127.0.0.1:${rx.port}`, '--deadline', '30s']);
    t.is(r.code, 1, r.stderr);
    t.notRegex(r.stderr, /retrying/);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.regex(
      r.stderr,
      /^ptrace: upload to https:\/\/127\.0\.0\.1:\d+\/v1\/traces failed: TLS handshake failed: the server does not speak TLS \(plain http:\/\/\?\) \(EPROTO\)\n$/,
    );
  } finally {
    await rx.close();
  }
});

test('bad exporter settings are one-line errors before reading the file', async (t) => {
  for (const [args, env, re] of [
    [['--endpoint', 'ftp://x'], {}, /bad --endpoint "ftp:\/\/x": only http and https/],
    [['--endpoint', 'not a url'], {}, /bad --endpoint "not a url": not a URL/],
    [['--endpoint', 'http://127.0.0.1:1', '--timeout', 'soon'], {}, /bad --timeout "soon"/],
    [['--endpoint', 'http://127.0.0.1:1', '--header', 'novalue'], {}, /bad --header "novalue"/],
    [
      [],
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      /grpc is not supported/,
    ],
    [['--endpoint', 'http://127.0.0.1:1', '--batch-size', '0'], {}, /batch-size/],
  ] as const) {
    const r = await ptrace([sample, ...args], env);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.is(r.stderr.split('\n').length, 2, r.stderr);
    t.regex(r.stderr, re);
  }
});
