// Events → rows (analyze/replay/model.ts, analyze/replay/env.ts): pure, no files.
import test from 'ava';
import { EnvInterner, EnvResolver } from '../../analyze/replay/env.ts';
import { argvBlob, type Model, ModelBuilder } from '../../analyze/replay/model.ts';
import { splitStrings, stringArea, stringsJson } from '../../formats/nul-area.ts';
import { readCaptureBuffer } from '../../formats/reader.ts';
import type { CaptureEvent, CaptureHeader, ExecEvent, ProcessKey } from '../../formats/types.ts';
import { buildScenario, Synth } from '../../testkit/synth.ts';

const REALTIME = 1_750_000_000_000_000_000n;
const BOOT = 5_000_000_000_000n;

function header(rootPid = 100): CaptureHeader {
  return {
    versionMajor: 1,
    versionMinor: 0,
    littleEndian: true,
    headerSize: 256,
    recordSize: 256,
    rootPid,
    capturePid: 99,
    // Cast: later format versions add option flags this test does not care about.
    options: {
      env: true,
      failedExecs: true,
      keepRoot: false,
      files: false,
      io: false,
      sched: false,
      net: false,
      dns: false,
      dnsMessages: false,
      raw: 3n,
    } as CaptureHeader['options'],
    start: { realtime: REALTIME, boottime: BOOT, monotonic: BOOT },
    argsLimit: 262144,
    ringbufSize: 1 << 25,
    kernelRelease: '6.1',
    kernelVersion: '#1',
    hostname: 'h',
    machine: 'x86_64',
    ptraceVersion: '0.1.0',
    captureArgv: [],
    commandArgv: ['sh'],
    bootId: '',
    osRelease: '',
    traceparent: '',
    attachPids: [],
    attachCgroup: '',
    unknownTlvs: [],
  };
}

const ms = (n: number): bigint => BOOT + BigInt(n * 1_000_000);
const key = (pid: number, startMs: number): ProcessKey => ({ pid, start: ms(startMs) });
const bytes = (s: string): { bytes: Buffer; truncated: boolean } => ({ bytes: Buffer.from(s), truncated: false });

function exec(p: ProcessKey, at: number, argv: (string | Buffer)[], env: string[] | null = ['A=1']): ExecEvent {
  return {
    kind: 'exec',
    ts: ms(at),
    process: p,
    tid: p.pid,
    parent: key(p.pid - 1, 0),
    ppid: p.pid - 1,
    oldTid: p.pid,
    uid: 1000,
    gid: 1000,
    euid: 1000,
    egid: 1000,
    nsPid: p.pid,
    nsLevel: 0,
    comm: 'x',
    argc: argv.length,
    envc: env?.length ?? 0,
    filename: bytes(`/bin/${String(argv[0])}`),
    interp: null,
    exe: bytes(`/bin/${String(argv[0])}`),
    cwd: bytes('/'),
    argv: argv.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)),
    argvTruncated: false,
    env: env === null ? null : env.map((e) => Buffer.from(e)),
    envTruncated: false,
  };
}

function build(events: CaptureEvent[], rootPid = 100): Model {
  const b = new ModelBuilder();
  for (const e of events) b.add(e);
  return b.finish(header(rootPid), null, { path: 'mem', warnings: [], recordCounts: {}, completeRecords: 0 });
}

test('processes: identity, parents, root, times, exit status', (t) => {
  const root = key(100, 0);
  const child = key(101, 5);
  const m = build([
    exec(root, 1, ['sh', '-c', 'x']),
    { kind: 'fork', ts: ms(5), process: root, tid: 100, child, childPpid: 100 },
    exec(child, 6, ['x']),
    { kind: 'thread', ts: ms(7), process: child, tid: 101, newTid: 102 },
    {
      kind: 'exit',
      ts: ms(9),
      process: child,
      tid: 101,
      status: 0x8b,
      exitCode: null,
      signal: 11,
      signalName: 'SIGSEGV',
      coreDumped: true,
      comm: 'x',
      rusage: null,
    } as CaptureEvent,
    {
      kind: 'exit',
      ts: ms(10),
      process: root,
      tid: 100,
      status: 2 << 8,
      exitCode: 2,
      signal: null,
      signalName: null,
      coreDumped: false,
      comm: 'sh',
      rusage: null,
    } as CaptureEvent,
  ]);
  t.is(m.processes.length, 2);
  const [r, c] = m.processes;
  t.like(r, {
    id: 1,
    pid: 100,
    parentId: null,
    parentPid: 99,
    isRoot: true,
    forked: false,
    exitCode: 2,
    state: 'exited',
    execCount: 1,
  });
  t.is(r!.start, REALTIME + 1_000_000n); // the root starts at its exec (its fork was the capture's)
  t.is(r!.end, REALTIME + 10_000_000n);
  t.like(c, {
    id: 2,
    pid: 101,
    parentId: 1,
    ppid: 100,
    forked: true,
    signal: 11,
    signalName: 'SIGSEGV',
    coreDumped: true,
    threads: 2,
  });
  t.is(c!.start, REALTIME + 5_000_000n);
  t.is(c!.startBoot, ms(5));
});

test('a process seen only through exec (no fork) still gets a row; running and unknown states', (t) => {
  const root = key(100, 0);
  const orphan = key(300, 3);
  const lost = key(301, 4);
  const m = build([
    exec(root, 1, ['sh']),
    exec(orphan, 3.5, ['daemon']),
    { kind: 'running', ts: ms(20), process: orphan, tid: 0 },
    exec(lost, 4.5, ['lost']),
  ]);
  t.is(m.processes.length, 3);
  const byPid = new Map(m.processes.map((p) => [p.pid, p]));
  t.like(byPid.get(300), { state: 'running', end: null, forked: false, parentId: null, parentPid: 299, execCount: 1 });
  t.like(byPid.get(301), { state: 'unknown', end: null });
  t.like(byPid.get(100), { state: 'unknown', isRoot: true });
});

test('pid reuse: two processes with one pid are two rows', (t) => {
  const root = key(100, 0);
  const a = key(200, 1);
  const b = key(200, 50);
  const m = build([
    exec(root, 0.5, ['sh']),
    { kind: 'fork', ts: ms(1), process: root, tid: 100, child: a, childPpid: 100 },
    {
      kind: 'exit',
      ts: ms(2),
      process: a,
      tid: 200,
      status: 0,
      exitCode: 0,
      signal: null,
      signalName: null,
      coreDumped: false,
      comm: 'a',
      rusage: null,
    } as CaptureEvent,
    { kind: 'fork', ts: ms(50), process: root, tid: 100, child: b, childPpid: 100 },
    {
      kind: 'exit',
      ts: ms(51),
      process: b,
      tid: 200,
      status: 256,
      exitCode: 1,
      signal: null,
      signalName: null,
      coreDumped: false,
      comm: 'b',
      rusage: null,
    } as CaptureEvent,
  ]);
  const twos = m.processes.filter((p) => p.pid === 200);
  t.deepEqual(
    twos.map((p) => [p.id, p.exitCode]),
    [
      [2, 0],
      [3, 1],
    ],
  );
});

test('execs: seq in time order, one row per image, exact argv bytes', (t) => {
  const root = key(100, 0);
  const weird = Buffer.from([0x66, 0xff, 0xfe, 0x6f]); // invalid UTF-8
  const m = build([exec(root, 1, ['sh', '-c', 'exec env']), exec(root, 3, ['env', '', weird, 'a b'])]);
  t.deepEqual(
    m.execs.map((x) => [x.seq, x.exe]),
    [
      [0, '/bin/sh'],
      [1, '/bin/env'],
    ],
  );
  const blob = m.execs[1]!.argv;
  t.deepEqual(splitStrings(blob), [Buffer.from('env'), Buffer.alloc(0), weird, Buffer.from('a b')]);
  t.deepEqual(JSON.parse(stringsJson(blob)), ['env', '', 'f\uFFFD\uFFFDo', 'a b']);
  t.is(m.processes[0]!.execCount, 2);
});

test('argvBlob: every argument NUL-terminated; empty argv is empty', (t) => {
  t.deepEqual(argvBlob([]), Buffer.alloc(0));
  t.deepEqual(argvBlob([Buffer.from('a'), Buffer.from('')]), Buffer.from('a\0\0'));
  const area = Buffer.from('x\0yz\0');
  t.deepEqual(stringArea([area.subarray(0, 1), area.subarray(2, 4)]), area);
  t.deepEqual(splitStrings(Buffer.from('a\0\0b\0')), [Buffer.from('a'), Buffer.alloc(0), Buffer.from('b')]);
});

test('failed execs and losses become rows', (t) => {
  const root = key(100, 0);
  const m = build([
    exec(root, 1, ['sh']),
    {
      kind: 'exec_failed',
      ts: ms(2),
      process: root,
      tid: 100,
      errno: 2,
      errnoName: 'ENOENT',
      filename: bytes('/nope'),
    },
    { kind: 'loss', ts: ms(3), process: { pid: 0, start: 0n }, tid: 0, category: 1, categoryName: 'exec', count: 4n },
  ]);
  t.like(m.execFailures[0], { processId: 1, path: '/nope', errno: 2, errnoName: 'ENOENT' });
  t.like(m.losses[0], { category: 1, categoryName: 'exec', count: 4n });
});

// ---------------------------------------------------------------- environments

function fullEnv(
  m: {
    envs: { id: number; baseId: number | null }[];
    envVars: { envId: number; name: string; value: string | null }[];
  },
  id: number,
): [string, string][] {
  return EnvResolver.ofRows(m.envs, m.envVars).entries(id);
}

/** What getenv(3) sees: the first value of each name. */
function expected(env: string[]): [string, string][] {
  const m = new Map<string, string>();
  for (const e of env) {
    const eq = e.indexOf('=');
    const [k, v] = eq < 0 ? [e, ''] : [e.slice(0, eq), e.slice(eq + 1)];
    if (!m.has(k)) m.set(k, v);
  }
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

test('env: identical environments share a row; a child stores only its difference', (t) => {
  const root = key(100, 0);
  const child = key(101, 2);
  const grand = key(102, 4);
  const base = Array.from({ length: 30 }, (_, i) => `V${i}=${'x'.repeat(i)}`);
  const m = build([
    exec(root, 1, ['make'], base),
    { kind: 'fork', ts: ms(2), process: root, tid: 100, child, childPpid: 100 },
    exec(child, 3, ['cc'], base),
    { kind: 'fork', ts: ms(4), process: child, tid: 101, child: grand, childPpid: 101 },
    exec(
      grand,
      5,
      ['cc1'],
      [...base.filter((e) => !e.startsWith('V3=')).map((e) => (e.startsWith('V7=') ? 'V7=changed' : e)), 'COLLECT=1'],
    ),
  ]);
  t.is(m.execs[0]!.envId, m.execs[1]!.envId);
  const g = m.envs.find((e) => e.id === m.execs[2]!.envId)!;
  t.is(g.baseId, m.execs[0]!.envId);
  const diff = m.envVars.filter((v) => v.envId === g.id);
  t.deepEqual(diff.map((v) => [v.name, v.value]).sort(), [
    ['COLLECT', '1'],
    ['V3', null],
    ['V7', 'changed'],
  ]);
  t.deepEqual(
    fullEnv(m, g.id),
    expected([...base.filter((e) => !e.startsWith('V3=') && !e.startsWith('V7=')), 'COLLECT=1', 'V7=changed']),
  );
});

// ringBytes: the default, and a ring so small that bases and recent environments are written over
// (their bytes are gone, found by entry ids instead) and some environments do not fit at all.
for (const ringBytes of [undefined, 320]) {
  test(`env: random environments always resolve to exactly what was captured (ring ${ringBytes ?? 'default'})`, (t) => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const interner = new EnvInterner(undefined, ringBytes);
    const seen: { id: number; env: string[]; base: number | null }[] = [];
    let current: string[] = Array.from({ length: 12 }, (_, i) => `N${i}=${i}`);
    let baseId: number | null = null;
    for (let round = 0; round < 400; round++) {
      const env = [...current];
      const op = rnd(7);
      if (op === 0)
        env.push(`N${rnd(40)}=${rnd(5)}`); // may duplicate a name: first wins
      else if (op === 1 && env.length > 0) env.splice(rnd(env.length), 1);
      else if (op === 2 && env.length > 0) env[rnd(env.length)] = `N${rnd(40)}=${rnd(9)}`;
      else if (op === 3) env.unshift(`FIRST=${rnd(3)}`);
      else if (op === 4) env.reverse();
      else if (op === 5) env.push('NOEQUALS');
      const base = rnd(3) === 0 ? null : baseId;
      const id = interner.intern(
        env.map((e) => Buffer.from(e)),
        base,
      );
      seen.push({ id, env, base });
      if (rnd(2) === 0) {
        current = env;
        baseId = id;
      }
    }
    const m = { envs: interner.envs, envVars: interner.vars };
    for (const { id, env } of seen) t.deepEqual(fullEnv(m, id), expected(env));
    // Compact: far fewer stored variables than captured.
    t.true(interner.vars.length < seen.reduce((n, s) => n + s.env.length, 0) / 4);
    // Whatever the ring held: the same ids and rows as with a ring that keeps every environment.
    const all = new EnvInterner(undefined, 1 << 24);
    t.deepEqual(
      seen.map(({ env, base }) =>
        all.intern(
          env.map((e) => Buffer.from(e)),
          base,
        ),
      ),
      seen.map((s) => s.id),
    );
    t.deepEqual(all.envs, interner.envs);
    t.deepEqual(all.vars, interner.vars);
  });
}

test('env: an environment whose bytes the ring wrote over is never compared by those bytes', (t) => {
  // A ring of 320 bytes holds four 80-byte environments: E's bytes land where A's were.
  const interner = new EnvInterner(undefined, 320);
  const env = (tag: string): Buffer[] =>
    Array.from({ length: 8 }, (_, i) => Buffer.from(`${tag}${i}=${tag.repeat(6)}`));
  t.is(stringArea(env('A')).length, 80);
  const [a, , , , e] = ['A', 'B', 'C', 'D', 'E'].map((tag) => interner.intern(env(tag), null));
  // E's strings, inheriting from A: E's environment, not A's.
  t.is(interner.intern(env('E'), a!), e);
  t.not(interner.intern(env('A'), a!), e);
});

test('env: strings that are not UTF-8 keep their exact bytes', (t) => {
  const interner = new EnvInterner();
  const bad = Buffer.concat([Buffer.from('BIN='), Buffer.from([0xc3, 0x28])]);
  const id = interner.intern([bad, Buffer.from('OK=1')], null);
  const row = interner.vars.find((v) => v.envId === id && v.name === 'BIN')!;
  t.deepEqual(row.raw, bad);
  t.is(interner.vars.find((v) => v.name === 'OK')!.raw, null);
});

test('env: capture without environments gives null env ids', (t) => {
  const m = build([exec(key(100, 0), 1, ['sh'], null)]);
  t.is(m.execs[0]!.envId, null);
  t.is(m.envs.length, 0);
});

test('the writer → reader → builder path gives the same rows twice (determinism)', (t) => {
  const buf = buildScenario().buffer();
  const once = (): Model => {
    const c = readCaptureBuffer(buf, 'scenario');
    const b = new ModelBuilder();
    for (const e of c.events) b.add(e);
    return b.finish(c.header, c.footer, {
      path: 'scenario',
      warnings: c.warnings,
      recordCounts: c.recordCounts,
      completeRecords: c.completeRecords,
    });
  };
  const a = once();
  const b = once();
  t.deepEqual(a, b);
  t.is(a.processes.length, 44);
  t.is(a.processes.filter((p) => p.isRoot).length, 1);
});

test('Synth builds what it is told', (t) => {
  const s = new Synth({ rootPid: 10 });
  const r = s.root(['true'], { at: 1 });
  s.exit(r, 2);
  const c = readCaptureBuffer(s.buffer(), 'x');
  t.deepEqual(
    c.events.map((e) => e.kind),
    ['exec', 'exit'],
  );
});
