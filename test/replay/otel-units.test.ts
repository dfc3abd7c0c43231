// The pure pieces of `ptrace otel`: id derivation, traceparent and list
// parsing, endpoint and header resolution, Retry-After, JSON fix-ups,
// expression values, environment resolution.

import test from 'ava';
import {
  appendTracesPath,
  parseMillis,
  resolveEndpoint,
  resolveExporter,
  resolveHeaders,
} from '../../analyze/otel/config.ts';
import { fixJsonInts, fixJsonIntsBytes } from '../../analyze/otel/encode.ts';
import { compileAttribute, evaluateAttribute, exprContext, toAttributeValue } from '../../analyze/otel/expr.ts';
import {
  deriveTraceId,
  identityKey,
  parseTraceIdFlag,
  parseTraceParent,
  processSpanId,
  rootSpanId,
} from '../../analyze/otel/ids.ts';
import { hostArch, parseKeyValueList } from '../../analyze/otel/resource.ts';
import { errorBodyMessage, parseRetryAfter } from '../../analyze/otel/upload.ts';
import { EnvResolver } from '../../analyze/replay/env.ts';
import { bareDumpMeansStdout } from '../../bin/commands/otel.ts';
import { UserError } from '../../formats/errors.ts';

test('ids: derived from the capture identity, stable, distinct', (t) => {
  const id = identityKey({ bootId: 'b', rootPid: 10, startBoottime: 5n, startRealtime: 7n });
  const trace = deriveTraceId(id);
  t.regex(trace, /^[0-9a-f]{32}$/);
  t.is(deriveTraceId(id), trace);
  t.not(deriveTraceId(identityKey({ bootId: 'b', rootPid: 11, startBoottime: 5n, startRealtime: 7n })), trace);
  const root = rootSpanId(trace, id);
  const a = processSpanId(trace, id, 12, 100n, 'exec:0');
  const b = processSpanId(trace, id, 12, 100n, 'exec:1');
  const c = processSpanId(trace, id, 12, 101n, 'exec:0');
  for (const s of [root, a, b, c]) t.regex(s, /^[0-9a-f]{16}$/);
  t.is(new Set([root, a, b, c]).size, 4);
  t.is(processSpanId(trace, id, 12, 100n, 'exec:0'), a);
});

test('--trace-id validation', (t) => {
  t.is(parseTraceIdFlag('ABCDEF0123456789abcdef0123456789'), 'abcdef0123456789abcdef0123456789');
  for (const bad of ['', 'abc', '0'.repeat(32), 'x'.repeat(32), 'a'.repeat(33)]) {
    t.throws(() => parseTraceIdFlag(bad), { instanceOf: UserError });
  }
});

test('W3C traceparent parsing', (t) => {
  t.deepEqual(parseTraceParent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    flags: 1,
  });
  t.is(parseTraceParent(' 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00 ')?.flags, 0);
  t.truthy(
    parseTraceParent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future'),
    'higher versions may add fields',
  );
  for (const bad of [
    '',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
    '0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  ]) {
    t.is(parseTraceParent(bad), null, bad);
  }
});

test('key=value lists (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS)', (t) => {
  t.deepEqual(parseKeyValueList(' a = 1 ,b=x%3Dy%2Cz,, c=%E2%9C%93 '), {
    values: [
      ['a', '1'],
      ['b', 'x=y,z'],
      ['c', '✓'],
    ],
    error: null,
  });
  t.deepEqual(parseKeyValueList('k=a=b').values, [['k', 'a=b']]);
  t.truthy(parseKeyValueList('a=1,nokey').error);
  t.truthy(parseKeyValueList('a=%E2%9C').error);
  t.truthy(parseKeyValueList('=v').error);
  t.deepEqual(parseKeyValueList('a=1,nokey').values, [], 'an error discards everything');
});

test('endpoints: --endpoint, traces-specific and generic variables', (t) => {
  const url = (flag: string | undefined, env: Record<string, string>): string | undefined =>
    resolveEndpoint(flag, env)?.url.href;
  t.is(url('http://h:4318', {}), 'http://h:4318/v1/traces');
  t.is(url('http://h:4318/', {}), 'http://h:4318/v1/traces');
  t.is(url('http://h:4318/custom', {}), 'http://h:4318/custom');
  t.is(url(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h:4318' }), 'http://h:4318/v1/traces');
  t.is(url(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://h/base/' }), 'https://h/base/v1/traces');
  t.is(url(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://h/base' }), 'https://h/base/v1/traces');
  t.is(
    url(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://h:4318', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }),
    'http://h:4318/',
  );
  t.is(url('http://flag/p', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://h/t' }), 'http://flag/p');
  t.is(url(undefined, {}), undefined);
  t.is(appendTracesPath(new URL('http://h/a/b')).pathname, '/a/b/v1/traces');
  t.throws(() => resolveEndpoint('grpc://h', {}), { instanceOf: UserError });
});

test('headers: generic < traces-specific < --header, case-insensitive names', (t) => {
  const warnings: string[] = [];
  const h = resolveHeaders(
    ['Authorization=Bearer flag', 'x-a=1=2'],
    {
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20env,x-env=e,x-both=generic',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'X-Both=traces',
    },
    (m) => warnings.push(m),
  );
  t.deepEqual(Object.fromEntries(h), { Authorization: 'Bearer flag', 'x-env': 'e', 'X-Both': 'traces', 'x-a': '1=2' });
  t.deepEqual(warnings, []);
  resolveHeaders([], { OTEL_EXPORTER_OTLP_HEADERS: 'bad header=1' }, (m) => warnings.push(m));
  t.is(warnings.length, 1);
});

test('exporter settings: precedence and defaults', (t) => {
  const warn = (): void => {};
  t.is(resolveExporter({}, {}, warn), null);
  const d = resolveExporter({ endpoint: 'http://h' }, {}, warn)!;
  t.like(d, { protocol: 'http/protobuf', compression: 'none', timeoutMs: 10_000, batchSize: 512 });
  const e = resolveExporter(
    {},
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
    },
    warn,
  )!;
  t.like(e, { protocol: 'http/json', compression: 'gzip', timeoutMs: 2500 });
  const f = resolveExporter(
    { protocol: 'http/protobuf', timeout: '1s', compression: 'none', deadline: '3s', batchSize: 7 },
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
    },
    warn,
  )!;
  t.like(f, { protocol: 'http/protobuf', compression: 'none', timeoutMs: 1000, deadlineMs: 3000, batchSize: 7 });
  const warnings: string[] = [];
  const g = resolveExporter(
    {},
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h',
      OTEL_EXPORTER_OTLP_TIMEOUT: 'soon',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd',
    },
    (m) => warnings.push(m),
  )!;
  t.like(g, { timeoutMs: 10_000, compression: 'none' });
  t.is(warnings.length, 2, 'bad variables are ignored with a warning');
  t.throws(() => resolveExporter({ timeout: 'soon' }, {}, warn), { instanceOf: UserError });
  t.throws(
    () => resolveExporter({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, warn),
    { instanceOf: UserError },
  );
  t.is(parseMillis('1.5s', 'x'), 1500);
  t.is(parseMillis('2m', 'x'), 120_000);
  t.throws(() => parseMillis('0', 'x'), { instanceOf: UserError });
  t.throws(() => parseMillis('-1s', 'x'), { instanceOf: UserError });
});

test('Retry-After: seconds or HTTP date', (t) => {
  t.is(parseRetryAfter('3'), 3000);
  t.is(parseRetryAfter(undefined), null);
  t.is(parseRetryAfter('soon'), null);
  const now = Date.parse('2026-01-01T00:00:00Z');
  t.is(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  t.is(parseRetryAfter('Thu, 01 Jan 2025 00:00:05 GMT', now), 0);
});

test('error bodies: google.rpc.Status, JSON, text', (t) => {
  const status = Buffer.from([0x08, 0x03, 0x12, 0x04, ...Buffer.from('nope')]);
  t.is(errorBodyMessage(status, 'application/x-protobuf'), 'nope');
  t.is(errorBodyMessage(Buffer.from('{"code":3,"message":"bad json"}'), 'application/json'), 'bad json');
  t.is(errorBodyMessage(Buffer.from('line1\nline2'), 'text/plain'), 'line1 line2');
  t.is(errorBodyMessage(Buffer.alloc(0), undefined), '');
  t.is(errorBodyMessage(Buffer.from([0xff, 0xff]), 'application/x-protobuf'), '');
});

test('OTLP/JSON int64 fix-up, on text and on bytes, never inside strings', (t) => {
  const src =
    '{"a":{"intValue":12},"b":{"intValue":-3},"s":{"stringValue":"{\\"intValue\\":5}"},"d":{"doubleValue":1.5},"n":{"intValue":"7"}}';
  const want =
    '{"a":{"intValue":"12"},"b":{"intValue":"-3"},"s":{"stringValue":"{\\"intValue\\":5}"},"d":{"doubleValue":1.5},"n":{"intValue":"7"}}';
  t.is(fixJsonInts(src), want);
  t.is(fixJsonIntsBytes(Buffer.from(src)).toString(), want);
  t.deepEqual(JSON.parse(want).s, { stringValue: '{"intValue":5}' });
  const none = Buffer.from('{"x":1}');
  t.is(fixJsonIntsBytes(none), none);
});

test('expression values → attribute values', (t) => {
  t.is(toAttributeValue(3n), 3);
  t.is(toAttributeValue(2n ** 60n), '1152921504606846976');
  t.is(toAttributeValue(1.5), 1.5);
  t.is(toAttributeValue(Number.NaN), 'NaN');
  t.is(toAttributeValue(null), undefined);
  t.is(toAttributeValue('s'), 's');
  t.deepEqual(toAttributeValue(['a', 'b']), ['a', 'b']);
  t.deepEqual(toAttributeValue([1n, 2n]), [1, 2]);
  t.deepEqual(toAttributeValue(['a', 1n]), ['a', '1']);
  t.is(toAttributeValue(new Map([['k', 1n]])), '{"k":1}');
  const a = compileAttribute('x=env["K"] + ":" + string(pid)');
  const ctx = exprContext({ env: new Map([['K', 'v']]), args: ['a', 'b'], exe: '/bin/a', cwd: '/', pid: 5, ppid: 1 });
  t.is(evaluateAttribute(a, ctx), 'v:5');
  const m = compileAttribute('x=env["MISSING"]');
  t.is(evaluateAttribute(m, ctx), undefined);
  t.is(m.errors, 0, 'a missing key is no error');
  const z = compileAttribute('x=pid / 0');
  t.is(evaluateAttribute(z, ctx), undefined);
  t.is(z.errors, 1);
  t.truthy(z.firstError);
  t.is(evaluateAttribute(compileAttribute('x=name'), ctx), 'a');
});

test('environments: full sets from base + differences', (t) => {
  const r = EnvResolver.ofRows(
    [
      { id: 1, baseId: null, size: 2 },
      { id: 2, baseId: 1, size: 2 },
      { id: 3, baseId: 2, size: 1 },
    ],
    [
      { envId: 1, name: 'A', value: '1', raw: null },
      { envId: 1, name: 'B', value: '2', raw: null },
      { envId: 2, name: 'B', value: 'two', raw: null },
      { envId: 3, name: 'A', value: null, raw: null },
    ],
    1,
  );
  t.deepEqual([...r.get(3)], [['B', 'two']]);
  t.deepEqual(Object.fromEntries(r.get(2)), { A: '1', B: 'two' });
  t.deepEqual(Object.fromEntries(r.get(1)), { A: '1', B: '2' });
  t.deepEqual([...r.get(3)], [['B', 'two']], 'again, after eviction');
  t.is(r.get(null).size, 0);
  t.is(r.get(99).size, 0);
});

test('host.arch mapping', (t) => {
  t.is(hostArch('x86_64'), 'amd64');
  t.is(hostArch('aarch64'), 'arm64');
  t.is(hostArch('armv7l'), 'arm32');
  t.is(hostArch('riscv64'), 'riscv64');
});

test('a bare --dump-otel means stdout', (t) => {
  t.deepEqual(bareDumpMeansStdout(['f.raw', '--dump-otel']), ['f.raw', '--dump-otel', '-']);
  t.deepEqual(bareDumpMeansStdout(['--dump-otel', '--trace-id', 'x', 'f.raw']), [
    '--dump-otel',
    '-',
    '--trace-id',
    'x',
    'f.raw',
  ]);
  t.deepEqual(bareDumpMeansStdout(['--dump-otel', 'out.json', 'f.raw']), ['--dump-otel', 'out.json', 'f.raw']);
  t.deepEqual(bareDumpMeansStdout(['--dump-otel', '-', 'f.raw']), ['--dump-otel', '-', 'f.raw']);
});
