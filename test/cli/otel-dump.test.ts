// `ptrace otel --dump-otel`: the real CLI as a child process on synthetic
// captures (testkit/writer.ts) and the samples/ captures.

import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { SECRET_VALUE, sampleCapture, writeBigBuild } from '../../testkit/otel/synthetic.ts';
import { ptraceOtel as ptrace } from '../helpers/cli.ts';
import { matchesGolden, readGolden } from '../helpers/golden.ts';
import { type KeyValue, type OtlpDoc, type OtlpSpan, otlpProjection, plainValue } from '../helpers/otel-projection.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/ptrace.js');

const dir = mkdtempSync(join(tmpdir(), 'ptrace-otel-'));
let n = 0;
function rawFile(buf: Buffer): string {
  const p = join(dir, `c${n++}.raw`);
  writeFileSync(p, buf);
  return p;
}

type Doc = OtlpDoc;
type JSpan = OtlpSpan;
const attrs = (list: KeyValue[]): Record<string, unknown> =>
  Object.fromEntries(list.map((a) => [a.key, plainValue(a.value)]));
const spansOf = (d: Doc): JSpan[] => d.resourceSpans[0]!.scopeSpans[0]!.spans;

/** Compares the dump, pretty-printed so a difference shows as lines, with the golden `name`. */
function checkGolden(t: import('ava').ExecutionContext, name: string, json: string): void {
  matchesGolden(t, name, `${JSON.stringify(JSON.parse(json), null, 2)}\n`);
}

const sample = rawFile(sampleCapture());

test('--dump-otel - matches the golden file and follows OTLP/JSON encoding', async (t) => {
  const r = await ptrace([sample, '--dump-otel', '-']);
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.endsWith('}\n'));
  t.is(r.stdout.indexOf('\n'), r.stdout.length - 1, 'one line');
  checkGolden(t, 'otel-sample.json', r.stdout);
  const doc = JSON.parse(r.stdout) as Doc;
  for (const s of spansOf(doc)) {
    t.regex(s.traceId, /^[0-9a-f]{32}$/);
    t.regex(s.spanId, /^[0-9a-f]{16}$/);
    if (s.parentSpanId !== undefined) t.regex(s.parentSpanId, /^[0-9a-f]{16}$/);
    t.is(typeof s.startTimeUnixNano, 'string');
    t.is(s.kind, 1, 'SPAN_KIND_INTERNAL as an integer');
    t.is(typeof s.status.code, 'number');
  }
  // int64 attribute values are decimal strings, never JSON numbers.
  t.notRegex(r.stdout, /"intValue":-?\d/);
  t.regex(r.stdout, /"intValue":"1000"/);
});

test('span model: root, exec images, fork-only spans, nesting, status, events', async (t) => {
  const r = await ptrace([sample, '--dump-otel']);
  t.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as Doc;
  const spans = spansOf(doc);
  const res = attrs(doc.resourceSpans[0]!.resource.attributes);
  t.like(res, {
    'service.name': 'ptrace',
    'host.name': 'buildhost',
    'os.type': 'linux',
    'os.description': '6.1.0-test',
  });
  t.is(doc.resourceSpans[0]!.scopeSpans[0]!.scope.name, 'ptrace');

  const root = spans[0]!;
  t.is(root.parentSpanId, undefined);
  t.is(root.name, 'make');
  const ra = attrs(root.attributes);
  t.like(ra, {
    'ptrace.span.type': 'capture',
    'ptrace.capture.complete': true,
    'ptrace.capture.lost_records': '3',
    'ptrace.capture.truncated': true,
    'ptrace.capture.truncated_argv': '1',
  });
  t.deepEqual(root.status, { code: 2, message: 'exit code 2' });
  t.deepEqual(
    root.events.map((e) => e.name),
    ['ptrace.loss'],
  );
  t.like(attrs(root.events[0]!.attributes), { 'ptrace.loss.category': 'exec', 'ptrace.loss.count': '3' });

  const byPid = (pid: number): JSpan[] => spans.filter((s) => attrs(s.attributes)['process.pid'] === String(pid));
  const [make] = byPid(1000);
  t.is(make!.parentSpanId, root.spanId);
  t.like(attrs(make!.attributes), {
    'process.executable.name': 'make',
    'process.executable.path': '/usr/bin/make',
    'process.command_args': ['make', '-j2'],
    'process.working_directory': '/work/project',
    'process.owner': '1000',
    'process.exit.code': '2',
    'process.parent_pid': '999',
    'error.type': '2',
  });
  const [sh] = byPid(1001);
  const [cc] = byPid(1002);
  t.is(sh!.parentSpanId, make!.spanId);
  t.is(cc!.parentSpanId, sh!.spanId);
  t.is(cc!.name, 'cc');
  t.deepEqual(cc!.status, { code: 0 });

  // A fork without exec: named after the parent's image; its child nests under it.
  const [sub] = byPid(1003);
  t.is(sub!.name, 'make');
  t.is(attrs(sub!.attributes)['ptrace.span.type'], 'fork');
  t.is(sub!.parentSpanId, make!.spanId);
  t.is(byPid(1004)[0]!.parentSpanId, sub!.spanId);

  // Two execs in one process: two consecutive spans, failed exec attempt as an event.
  const ld = byPid(1005);
  t.deepEqual(
    ld.map((s) => s.name),
    ['sh', 'ld'],
  );
  t.is(ld[0]!.endTimeUnixNano, ld[1]!.startTimeUnixNano);
  t.is(ld[0]!.parentSpanId, make!.spanId);
  t.is(ld[1]!.parentSpanId, make!.spanId);
  t.like(attrs(ld[0]!.attributes), { 'ptrace.exec.replaced': true });
  t.is(attrs(ld[0]!.attributes)['process.exit.code'], undefined);
  t.deepEqual(ld[1]!.status, { code: 2, message: 'exit code 1' });
  t.deepEqual(
    ld[0]!.events.map((e) => e.name),
    ['exec failed'],
  );
  t.like(attrs(ld[0]!.events[0]!.attributes), {
    'process.executable.path': '/usr/local/bin/ld',
    'error.type': 'ENOENT',
    'ptrace.exec.errno': '2',
  });

  const [sleep] = byPid(1006);
  t.deepEqual(sleep!.status, { code: 2, message: 'killed by SIGKILL' });
  t.like(attrs(sleep!.attributes), {
    'ptrace.process.signal': 'SIGKILL',
    'error.type': 'SIGKILL',
    'ptrace.exec.argv_truncated': true,
  });

  const [daemon] = byPid(1007);
  t.is(daemon!.endTimeUnixNano, root.endTimeUnixNano, 'still running: ends with the capture');
  t.is(attrs(daemon!.attributes)['ptrace.process.state'], 'running');
  t.deepEqual(daemon!.status, { code: 0 });

  // Every parent id points at a span of the trace; one trace id.
  const ids = new Set(spans.map((s) => s.spanId));
  t.is(ids.size, spans.length);
  for (const s of spans.slice(1)) t.true(ids.has(s.parentSpanId!));
  t.is(new Set(spans.map((s) => s.traceId)).size, 1);
});

test('determinism: two runs give identical bytes; a file dump equals stdout', async (t) => {
  const out = join(dir, 'dump.json');
  const [a, b, c] = await Promise.all([
    ptrace([sample, '--dump-otel', '-']),
    ptrace([sample, '--dump-otel', '-']),
    ptrace([sample, '--dump-otel', out]),
  ]);
  t.is(a.code, 0);
  t.is(c.code, 0, c.stderr);
  t.is(a.stdout, b.stdout);
  t.is(readFileSync(out, 'utf8'), a.stdout);
  t.regex(c.stderr, /wrote 10 spans of trace [0-9a-f]{32} to /);
  t.false(
    readdirSync(dir).some((f) => f.endsWith('.tmp')),
    'no temp file left',
  );
  // Existing file: refused without --force, replaced with it.
  const again = await ptrace([sample, '--dump-otel', out]);
  t.is(again.code, 2);
  t.regex(again.stderr, /^ptrace: .*exists \(use --force/);
  const forced = await ptrace([sample, '--dump-otel', out, '--force', '-q']);
  t.is(forced.code, 0, forced.stderr);
  t.is(forced.stderr, '');
});

test('--dump-otel to a FIFO writes in place (never renames over a special file)', async (t) => {
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  const chunks: Buffer[] = [];
  const reader = new Promise<void>((resolve, reject) => {
    createReadStream(fifo)
      .on('data', (c) => chunks.push(c as Buffer))
      .on('end', resolve)
      .on('error', reject);
  });
  const [r, ref] = await Promise.all([ptrace([sample, '--dump-otel', fifo]), ptrace([sample, '--dump-otel'])]);
  await reader;
  t.is(r.code, 0, r.stderr);
  t.is(Buffer.concat(chunks).toString('utf8'), ref.stdout);
  t.true(statSync(fifo).isFIFO());
});

test('a reader that goes away (| head) ends the dump quietly', async (t) => {
  const big = join(dir, 'big.raw');
  const fd = openSync(big, 'w');
  writeBigBuild(fd, 3000);
  closeSync(fd);
  const env = { ...process.env };
  const r = await new Promise<{ code: number | null; stderr: string; got: number }>((resolve) => {
    const p = spawn(process.execPath, [BIN, 'otel', big, '--dump-otel', '-'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let got = 0;
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.stdout.once('data', (c: Buffer) => {
      got = c.length;
      p.stdout.destroy();
    });
    p.on('close', (code) => resolve({ code, stderr, got }));
  });
  t.true(r.got > 0);
  t.is(r.code, 0);
  t.is(r.stderr, '');
});

test('a capture cut short (no footer): same ids, marked incomplete on the root span', async (t) => {
  const other = rawFile(sampleCapture({ noFooter: true }));
  const [a, b] = await Promise.all([ptrace([sample, '--dump-otel']), ptrace([other, '--dump-otel'])]);
  // Same boot, pid and start: same trace id and span ids (same capture identity); only the end differs.
  t.is(spansOf(JSON.parse(a.stdout) as Doc)[0]!.traceId, spansOf(JSON.parse(b.stdout) as Doc)[0]!.traceId);
  const bRoot = spansOf(JSON.parse(b.stdout) as Doc)[0]!;
  t.like(attrs(bRoot.attributes), { 'ptrace.capture.complete': false, 'ptrace.capture.truncated': true });
  t.true(
    bRoot.events.some((e) => e.name === 'ptrace.warning' && attrs(e.attributes)['ptrace.warning.code'] === 'no-footer'),
  );
  t.regex(b.stderr, /ptrace: warning: no footer/);
});

test('--trace-id sets the trace id; invalid ones are one-line errors', async (t) => {
  const id = '0123456789ABCDEF0123456789abcdef';
  const r = await ptrace([sample, '--dump-otel', '--trace-id', id]);
  t.is(r.code, 0, r.stderr);
  const spans = spansOf(JSON.parse(r.stdout) as Doc);
  t.true(spans.every((s) => s.traceId === id.toLowerCase()));
  t.is(spans[0]!.parentSpanId, undefined);
  t.is(attrs(spans[0]!.attributes)['ptrace.trace_id.source'], 'flag');
  for (const bad of ['123', '0'.repeat(32), 'g'.repeat(32), `${id}00`]) {
    const e = await ptrace([sample, '--dump-otel', '--trace-id', bad]);
    t.is(e.code, 2, bad);
    t.is(e.stdout, '');
    t.regex(e.stderr, /^ptrace: bad --trace-id .*\n$/, bad);
  }
});

const TP_COMMAND = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const TP_CAPTURE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('TRACEPARENT of the traced command: the root span is its child', async (t) => {
  const f = rawFile(sampleCapture({ commandTraceparent: TP_COMMAND, captureTraceparent: TP_CAPTURE }));
  const r = await ptrace([f, '--dump-otel']);
  t.is(r.code, 0, r.stderr);
  const spans = spansOf(JSON.parse(r.stdout) as Doc);
  t.true(spans.every((s) => s.traceId === '0af7651916cd43dd8448eb211c80319c'));
  t.is(spans[0]!.parentSpanId, 'b7ad6b7169203331');
  t.is(spans[0]!.flags, 0x301, 'sampled, parent is remote');
  t.is(attrs(spans[0]!.attributes)['ptrace.trace_id.source'], 'command-env');
  // --trace-id still wins.
  const w = await ptrace([f, '--dump-otel', '--trace-id', 'f'.repeat(32)]);
  t.is(spansOf(JSON.parse(w.stdout) as Doc)[0]!.traceId, 'f'.repeat(32));
  t.is(spansOf(JSON.parse(w.stdout) as Doc)[0]!.parentSpanId, undefined);
});

test('TRACEPARENT of the capture environment (header) when the command has none; invalid ones ignored', async (t) => {
  const f = rawFile(sampleCapture({ captureTraceparent: TP_CAPTURE }));
  const r = await ptrace([f, '--dump-otel']);
  const spans = spansOf(JSON.parse(r.stdout) as Doc);
  t.is(spans[0]!.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  t.is(spans[0]!.parentSpanId, '00f067aa0ba902b7');
  t.is(attrs(spans[0]!.attributes)['ptrace.trace_id.source'], 'capture-env');

  const bad = rawFile(
    sampleCapture({
      commandTraceparent: '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      captureTraceparent: TP_CAPTURE,
    }),
  );
  const b = await ptrace([bad, '--dump-otel']);
  t.regex(b.stderr, /warning: ignoring the invalid TRACEPARENT of the traced command/);
  t.is(spansOf(JSON.parse(b.stdout) as Doc)[0]!.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');

  const none = rawFile(sampleCapture({ captureTraceparent: 'garbage' }));
  const c = await ptrace([none, '--dump-otel']);
  t.regex(c.stderr, /warning: ignoring the invalid TRACEPARENT of the capture environment/);
  t.is(spansOf(JSON.parse(c.stdout) as Doc)[0]!.parentSpanId, undefined);
  t.is(attrs(spansOf(JSON.parse(c.stdout) as Doc)[0]!.attributes)['ptrace.trace_id.source'], 'derived');
});

test('environment values never appear by default; --env exports the named ones', async (t) => {
  const r = await ptrace([sample, '--dump-otel']);
  t.false(r.stdout.includes(SECRET_VALUE));
  t.false(r.stdout.includes('/home/builder'));
  t.false(r.stdout.includes('environment_variable'));
  const e = await ptrace([sample, '--dump-otel', '--env', 'HOME,CI_JOB_ID', '--env', 'NOT_SET']);
  t.is(e.code, 0, e.stderr);
  t.false(e.stdout.includes(SECRET_VALUE));
  const make = spansOf(JSON.parse(e.stdout) as Doc)[1]!;
  const a = attrs(make.attributes);
  t.is(a['process.environment_variable.HOME'], '/home/builder');
  t.is(a['process.environment_variable.CI_JOB_ID'], '4242');
  t.false('process.environment_variable.NOT_SET' in a);
});

test('-a attributes from CEL expressions; undefined results are omitted', async (t) => {
  const r = await ptrace([
    sample,
    '--dump-otel',
    '-a',
    'ci.job=env["CI_JOB_ID"]',
    '-a',
    'cmd=cmdline',
    '-a',
    'argc=size(args)',
    '-a',
    'is.cc=name == "cc"',
    '-a',
    'first.arg=args[1]',
    '-a',
    'pids=pid + ppid',
    '-a',
    'missing=env["NOPE"]',
    '-a',
    'opt=env[?"NOPE"].orValue("dflt")',
    '-a',
    'ratio=double(pid) / 4.0',
  ]);
  t.is(r.code, 0, r.stderr);
  t.false(r.stdout.includes(SECRET_VALUE));
  const spans = spansOf(JSON.parse(r.stdout) as Doc);
  t.false('ci.job' in attrs(spans[0]!.attributes), 'not on the capture span');
  const cc = spans.find((s) => s.name === 'cc')!;
  t.like(attrs(cc.attributes), {
    'ci.job': '4242',
    cmd: 'cc -c a.c',
    argc: '3',
    'is.cc': true,
    'first.arg': '-c',
    pids: String(1002 + 1001),
    opt: 'dflt',
    ratio: 1002 / 4,
  });
  t.false('missing' in attrs(cc.attributes));
  const tru = spans.find((s) => s.name === 'true')!;
  t.false('first.arg' in attrs(tru.attributes), 'index out of range: omitted');
});

test('-a: bad expressions are one-line errors before any output', async (t) => {
  const out = join(dir, 'never.json');
  for (const [spec, re] of [
    ['x=env["A"', /bad --attribute x: /],
    ['x=nosuchvar', /bad --attribute x: .*nosuchvar/],
    ['x=pid + "a"', /bad --attribute x: /],
    ['noequals', /bad --attribute "noequals": expected name=EXPR/],
    ['=pid', /bad --attribute "=pid"/],
  ] as const) {
    const r = await ptrace([sample, '--dump-otel', out, '-a', spec]);
    t.is(r.code, 2, spec);
    t.is(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
    t.regex(r.stderr, re);
    t.false(existsSync(out));
  }
});

test('errors: bad raw file, missing file, nothing to do', async (t) => {
  const garbage = rawFile(Buffer.from('this is not a capture file at all, not even close to one'));
  const g = await ptrace([garbage, '--dump-otel']);
  t.not(g.code, 0);
  t.is(g.stdout, '');
  t.regex(g.stderr, /^ptrace: [^\n]+\n$/);
  const m = await ptrace([join(dir, 'nope.raw'), '--dump-otel']);
  t.not(m.code, 0);
  t.regex(m.stderr, /^ptrace: cannot read .*nope\.raw: no such file/);
  const nothing = await ptrace([sample]);
  t.is(nothing.code, 2);
  t.regex(nothing.stderr, /^ptrace: nothing to do: /);
  const before = readFileSync(sample);
  await ptrace([sample, '--dump-otel']);
  t.deepEqual(readFileSync(sample), before, 'the raw file is never modified');
});

test('resource: --service-name > OTEL_SERVICE_NAME > OTEL_RESOURCE_ATTRIBUTES > default', async (t) => {
  const res = async (args: string[], env: Record<string, string>): Promise<Record<string, unknown>> => {
    const r = await ptrace([sample, '--dump-otel', ...args], env);
    t.is(r.code, 0, r.stderr);
    return attrs((JSON.parse(r.stdout) as Doc).resourceSpans[0]!.resource.attributes);
  };
  const ra = 'service.name=from-ra,deployment.environment=ci%2Cstaging, team = build ';
  t.like(await res([], { OTEL_RESOURCE_ATTRIBUTES: ra }), {
    'service.name': 'from-ra',
    'deployment.environment': 'ci,staging',
    team: 'build',
  });
  t.like(await res([], { OTEL_RESOURCE_ATTRIBUTES: ra, OTEL_SERVICE_NAME: 'from-env' }), {
    'service.name': 'from-env',
  });
  t.like(await res(['--service-name', 'from-flag'], { OTEL_RESOURCE_ATTRIBUTES: ra, OTEL_SERVICE_NAME: 'from-env' }), {
    'service.name': 'from-flag',
  });
  const r = await ptrace([sample, '--dump-otel'], { OTEL_RESOURCE_ATTRIBUTES: 'a=1,broken' });
  t.regex(r.stderr, /warning: OTEL_RESOURCE_ATTRIBUTES ignored/);
  t.false('a' in attrs((JSON.parse(r.stdout) as Doc).resourceSpans[0]!.resource.attributes));
});

// ---- samples/ (real captures)
const SAMPLES = join(ROOT, 'samples');
const sampleFiles = existsSync(SAMPLES)
  ? readdirSync(SAMPLES)
      .filter((f) => f.endsWith('.raw'))
      .sort()
  : [];
// Their goldens are the compact projection (test/helpers/otel-projection.ts says
// what it keeps); otel-sample.json above is the one full golden.
for (const f of sampleFiles) {
  test(`samples/${f}: golden projection, deterministic, well-formed tree`, async (t) => {
    const [a, b] = await Promise.all([
      ptrace([join(SAMPLES, f), '--dump-otel']),
      ptrace([join(SAMPLES, f), '--dump-otel']),
    ]);
    t.is(a.code, 0, a.stderr);
    t.is(a.stdout, b.stdout);
    matchesGolden(t, `otel-${f.replace(/\.raw$/, '')}.txt`, otlpProjection(JSON.parse(a.stdout) as Doc));
    const spans = spansOf(JSON.parse(a.stdout) as Doc);
    const ids = new Set(spans.map((s) => s.spanId));
    t.is(ids.size, spans.length);
    for (const s of spans.slice(1)) t.true(ids.has(s.parentSpanId!), `${s.name} has a parent in the trace`);
    // No environment value of the capture leaks (HOME and PATH values are in every environment).
    t.false(a.stdout.includes('PATH='));
  });
}

test('the projection of the samples notices a changed key attribute, a changed parent, a lost or renamed attribute, a lost span', (t) => {
  const full = readGolden('otel-sample.json');
  const base = otlpProjection(JSON.parse(full) as Doc);
  const changed = (edit: (spans: JSpan[]) => void): string => {
    const doc = JSON.parse(full) as Doc;
    edit(spansOf(doc));
    return otlpProjection(doc);
  };
  const byName = (spans: JSpan[], name: string, nth = 0): JSpan => spans.filter((s) => s.name === name)[nth]!;
  const attr = (s: JSpan, key: string) => s.attributes.find((a) => a.key === key)!;
  t.is(
    changed(() => {}),
    base,
    'an unchanged dump projects the same',
  );
  t.not(
    changed((spans) => (attr(byName(spans, 'ld'), 'process.exit.code').value = { intValue: '0' })),
    base,
    'exit code',
  );
  t.not(
    changed(
      (spans) =>
        (attr(byName(spans, 'cc'), 'process.command_args').value.arrayValue!.values[2] = { stringValue: 'b.c' }),
    ),
    base,
    'argv',
  );
  // `true` is the child of the second `make` (a fork at depth 2); moved under the first `sh`, also at depth 2.
  t.not(
    changed((spans) => (byName(spans, 'true').parentSpanId = byName(spans, 'sh').spanId)),
    base,
    'parent at the same depth',
  );
  // Moved up under the root process: the same place in pre-order, one level up.
  t.not(
    changed((spans) => (byName(spans, 'true').parentSpanId = byName(spans, 'make', 1).spanId)),
    base,
    'parent one level up',
  );
  t.not(
    changed((spans) => spans.splice(spans.indexOf(byName(spans, 'sleep')), 1)),
    base,
    'a lost leaf span',
  );
  t.not(
    changed((spans) => (attr(byName(spans, 'cc'), 'process.owner').key = 'process.user')),
    base,
    'a renamed attribute outside the key ones',
  );
  t.not(
    changed((spans) => (byName(spans, 'sleep').status = { code: 0 })),
    base,
    'status',
  );
});
