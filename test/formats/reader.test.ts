import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { FormatError, UserError } from '../../formats/errors.ts';
import { DF, DK, END, F, FILE_HEADER, RECORD_SIZE, RT, VERSION_MINOR } from '../../formats/layout.ts';
import { decodeWaitStatus, errnoName, histKindName, lossCategoryName, signalName } from '../../formats/names.ts';
import { splitStrings } from '../../formats/nul-area.ts';
import {
  isoMicros,
  parseHeader,
  readCapture,
  readCaptureBuffer,
  readCaptureStream,
  wallClockNs,
} from '../../formats/reader.ts';
import { RECORD_TYPES } from '../../formats/records/index.ts';
import type { CaptureEvent, ExecEvent, ExitEvent, HistEvent, OpenEvent } from '../../formats/types.ts';
import type { RawHead, RawRecord } from '../../testkit/raw-records.ts';
import { CaptureWriter, chunkString, encodeHeader, encodeRecord, writeCapture } from '../../testkit/writer.ts';
import {
  cb,
  exec,
  execFailed,
  exit,
  fork,
  hist,
  key,
  loss,
  open,
  running,
  SAMPLE_HEADER,
  sampleEvents,
  someRusage,
  T0,
} from '../helpers/capture.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ptrace-reader-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

const orders = [
  ['little endian', true],
  ['big endian', false],
] as const;

function codes(c: { warnings: { code: string }[] }): string[] {
  return c.warnings.map((w) => w.code);
}

function throwsFormat(
  t: import('ava').ExecutionContext,
  fn: () => unknown,
  code: string,
  message: string | RegExp,
): void {
  const err = t.throws(fn, { instanceOf: FormatError });
  t.is(err?.code, code);
  if (typeof message === 'string') t.is(err?.message, message);
  else t.regex(err?.message ?? '', message);
  t.false(err?.message.includes('\n'), 'one line');
}

for (const [name, le] of orders) {
  test(`round trip of every record type, ${name}`, (t) => {
    const events = sampleEvents();
    const buf = writeCapture(SAMPLE_HEADER, events, {
      littleEndian: le,
      footer: { rootStatus: 1 << 8, signalled: true },
    });
    const c = readCaptureBuffer(buf, 'run.raw');
    t.deepEqual(c.warnings, []);
    t.deepEqual(c.events, events);
    t.is(c.header.littleEndian, le);
    t.is(c.header.hostname, 'buildbox');
    t.is(c.header.kernelRelease, '6.8.0-45-generic');
    t.is(c.header.kernelVersion, '#45-Ubuntu SMP PREEMPT_DYNAMIC');
    t.is(c.header.machine, 'x86_64');
    t.is(c.header.ptraceVersion, '0.1.0');
    t.deepEqual(c.header.captureArgv, SAMPLE_HEADER.captureArgv);
    t.deepEqual(c.header.commandArgv, ['make', '-j4']);
    t.is(c.header.bootId, SAMPLE_HEADER.bootId!);
    t.is(c.header.osRelease, 'Ubuntu 24.04.1 LTS');
    t.is(c.header.traceparent, SAMPLE_HEADER.traceparent!);
    t.is(c.header.rootPid, 100);
    t.is(c.header.capturePid, 99);
    t.deepEqual(c.header.options, {
      env: true,
      failedExecs: true,
      keepRoot: false,
      files: false,
      io: false,
      sched: false,
      net: false,
      dns: false,
      dnsMessages: false,
      attach: false,
      raw: 3n,
    });
    t.is(c.header.versionMajor, 1);
    t.is(c.header.versionMinor, 8);
    t.is(c.header.recordSize, 256);
    t.is(c.header.headerSize % 8, 0);
    t.deepEqual(c.header.unknownTlvs, []);
    t.deepEqual(c.recordCounts, {
      fork: 2,
      thread: 1,
      exec: 3,
      exec_failed: 1,
      exit: 2,
      data: 18,
      open: 2,
      hist: 2,
      tcp: 0,
      dns: 0,
      dns_msg: 0,
      attached: 0,
      cgroup: 0,
      loss: 1,
      running: 1,
      footer: 1,
    });
    t.is(c.completeRecords, 34);
    t.is(c.footer?.checksum?.segmentRecords, 1024, 'a 1.7 writer sets the checksums');
    t.is(c.footer?.checksum?.segments.length, 1);
    t.deepEqual(
      { ...c.footer, checksum: null },
      {
        records: 33n,
        lost: 2n,
        stop: {
          realtime: c.header.start.realtime + 9_000n,
          boottime: T0 + 9_000n,
          monotonic: c.header.start.monotonic + 9_000n,
        },
        rootStatus: 256,
        processes: 3,
        stillRunning: 1,
        signalled: true,
        waitedAll: true,
        interrupted: false,
        durationElapsed: false,
        checksum: null,
      },
    );
  });

  test(`every field of every raw record is read back by the reader, ${name}`, (t) => {
    // Distinct values in every field, at the edges the reader keeps as they are, so a field
    // written to or read from the wrong offset, size or signedness shows.
    const process = key(0xfffffffe, T0 - 1_000n);
    const tid = 0xfffffffd;
    const max = 2n ** 53n - 1n;
    const h = (type: number, ts: bigint, flags = 0): RawHead => ({
      type,
      flags,
      tid,
      ts,
      start: process.start,
      pid: process.pid,
      cpu: 3,
    });
    const base = (ts: bigint) => ({ ts, process, tid });
    const buckets = Array.from({ length: 32 }, (_, i) => (i * 0x9e3779b9) >>> 0);
    const execHead = h(RT.EXEC, T0 + 3n);
    const failedHead = h(RT.EXEC_FAILED, T0 + 4n);
    const openHeads = [h(RT.OPEN, T0 + 6n), h(RT.OPEN, T0 + 7n)] as const;
    const attachedHead = { ...h(RT.ATTACHED, T0 + 11n), start: 3n, pid: 40, tid: 40 };
    const cgroupHead: RawHead = { type: RT.CGROUP, flags: 0, tid: 0, ts: T0 + 11n, start: 0n, pid: 0, cpu: 0 };
    const records: RawRecord[] = [
      {
        kind: 'fork',
        head: h(RT.FORK, T0 + 1n),
        childStart: T0 + 99n,
        childPid: 0xffffffff,
        childPpid: 6,
        childContainer: { cgroupId: 2 ** 53 - 1, pidNs: 0xffffffff, mntNs: 21, netNs: 22, utsNs: 23 },
      },
      { kind: 'thread', head: h(RT.THREAD, T0 + 2n), newTid: 4_000_000 },
      {
        kind: 'exec',
        head: execHead,
        parentStart: T0 + 12n,
        ppid: 1,
        oldTid: 2,
        uid: 3,
        gid: 4,
        euid: 5,
        egid: 6,
        nsPid: 7,
        nsLevel: 8,
        argc: 2,
        envc: 1,
        argvLen: 8,
        envLen: 4,
        comm: 'fifteen-chars!!',
        container: { cgroupId: 31, pidNs: 32, mntNs: 33, netNs: 34, utsNs: 0xfffffffe },
      },
      ...chunkString(execHead, DK.FILENAME, Buffer.from('/bin/x'), false),
      ...chunkString(execHead, DK.INTERP, Buffer.from('/bin/sh'), false),
      ...chunkString(execHead, DK.EXE, Buffer.from('/bin/y'), false),
      ...chunkString(execHead, DK.CWD, Buffer.from('/'), false),
      ...chunkString(execHead, DK.ARGV, Buffer.from('one\0two\0'), false),
      ...chunkString(execHead, DK.ENV, Buffer.from('A=1\0'), false),
      { kind: 'exec_failed', head: failedHead, err: -13, syscallNr: 322 },
      ...chunkString(failedHead, DK.FILENAME, Buffer.from('/nope'), false),
      {
        kind: 'exit',
        head: h(RT.EXIT, T0 + 5n, F.CORE_DUMPED),
        status: 0x8b,
        nrThreadsSeen: 3,
        comm: 'x',
        rusage: someRusage(),
      },
      {
        kind: 'open',
        head: openHeads[0],
        dirfd: -100,
        result: -2147483648,
        flags: 0xffffffff,
        mode: 0o755,
        syscallNr: 437,
        latencyNs: max,
      },
      ...chunkString(openHeads[0], DK.PATH, Buffer.from('/a'), false),
      {
        kind: 'open',
        head: openHeads[1],
        dirfd: 2147483647,
        result: 2147483647,
        flags: 0,
        mode: 0,
        syscallNr: 2,
        latencyNs: 0n,
      },
      ...chunkString(openHeads[1], DK.PATH, Buffer.from('/b'), true),
      { kind: 'hist', head: h(RT.HIST, T0 + 8n), histKind: 4, count: max, totalNs: 12345n, maxNs: 2n ** 52n, buckets },
      { kind: 'loss', head: h(RT.LOSS, T0 + 9n), category: 3, count: max - 1n },
      { kind: 'running', head: h(RT.RUNNING, T0 + 10n) },
      { kind: 'unknown', head: h(99, T0 + 11n), payload: Buffer.alloc(224, 9) },
      {
        kind: 'attached',
        head: attachedHead,
        parentStart: 77n,
        ppid: 41,
        reason: 2,
        uid: 42,
        gid: 43,
        euid: 44,
        egid: 45,
        nsPid: 46,
        nsLevel: 47,
        argvLen: 0xfffffff0,
        envLen: 49,
        comm: 'attached-comm!!',
        container: { cgroupId: 51, pidNs: 52, mntNs: 53, netNs: 54, utsNs: 55 },
        nrThreads: 56,
      },
      ...chunkString(attachedHead, DK.EXE, Buffer.from('/usr/bin/agent'), false),
      ...chunkString(attachedHead, DK.CWD, Buffer.from('/srv'), true),
      ...chunkString(attachedHead, DK.ARGV, Buffer.from('agent\0--serve\0'), false),
      ...chunkString(attachedHead, DK.ENV, Buffer.from('B=2\0'), true),
      { kind: 'cgroup', head: cgroupHead, cgroupId: 2n ** 53n - 2n, level: 3 },
      ...chunkString(cgroupHead, DK.CGROUP, Buffer.from('/a/b/c'), false),
    ];
    const stop = { realtime: 2n ** 62n, boottime: T0 + 12n, monotonic: 5n };
    const footer: RawRecord = {
      kind: 'footer',
      head: h(RT.FOOTER, T0 + 12n),
      records: BigInt(records.length),
      lost: 2n,
      stop,
      rootStatus: 6,
      processes: 7,
      stillRunning: 8,
      endFlags: END.SIGNALLED | END.WAITED_ALL | END.INTERRUPTED | END.DURATION,
    };
    const c = readCaptureBuffer(
      Buffer.concat([encodeHeader({}, { littleEndian: le }), ...[...records, footer].map((r) => encodeRecord(r, le))]),
    );
    const execEvent = exec({
      ts: T0 + 3n,
      process,
      tid,
      parent: key(1, T0 + 12n),
      filename: '/bin/x',
      interp: '/bin/sh',
      exe: '/bin/y',
      cwd: '/',
      argv: ['one', 'two'],
      env: ['A=1'],
      comm: 'fifteen-chars!!',
    });
    Object.assign(execEvent, {
      oldTid: 2,
      uid: 3,
      gid: 4,
      euid: 5,
      egid: 6,
      nsPid: 7,
      nsLevel: 8,
      container: { cgroupId: 31, pidNs: 32, mntNs: 33, netNs: 34, utsNs: 0xfffffffe },
    });
    t.deepEqual(c.events, [
      {
        kind: 'fork',
        ...base(T0 + 1n),
        child: key(0xffffffff, T0 + 99n),
        childPpid: 6,
        childContainer: { cgroupId: 2 ** 53 - 1, pidNs: 0xffffffff, mntNs: 21, netNs: 22, utsNs: 23 },
      },
      { kind: 'thread', ...base(T0 + 2n), newTid: 4_000_000 },
      execEvent,
      { ...execFailed(T0 + 4n, process, 13, '/nope', tid), syscallNr: 322 },
      {
        kind: 'exit',
        ...base(T0 + 5n),
        status: 0x8b,
        ...decodeWaitStatus(0x8b, true),
        comm: 'x',
        nrThreadsSeen: 3,
        rusage: someRusage(),
      },
      open({
        ts: T0 + 6n,
        process,
        tid,
        dirfd: -100,
        result: -2147483648,
        flags: 0xffffffff,
        mode: 0o755,
        syscallNr: 437,
        latencyNs: max,
        path: '/a',
      }),
      open({
        ts: T0 + 7n,
        process,
        tid,
        dirfd: 2147483647,
        result: 2147483647,
        syscallNr: 2,
        path: '/b',
        truncated: true,
      }),
      {
        kind: 'hist',
        ...base(T0 + 8n),
        histKind: histKindName(4),
        count: max,
        totalNs: 12345n,
        maxNs: 2n ** 52n,
        buckets,
      },
      { kind: 'loss', ...base(T0 + 9n), category: 3, categoryName: lossCategoryName(3), count: max - 1n },
      { kind: 'running', ...base(T0 + 10n) },
      {
        kind: 'attached',
        ts: T0 + 11n,
        process: key(40, 3n),
        tid: 40,
        reason: 'joined',
        parent: key(41, 77n),
        ppid: 41,
        uid: 42,
        gid: 43,
        euid: 44,
        egid: 45,
        nsPid: 46,
        nsLevel: 47,
        comm: 'attached-comm!!',
        exe: cb('/usr/bin/agent'),
        cwd: cb('/srv', true),
        argv: [Buffer.from('agent'), Buffer.from('--serve')],
        argvTruncated: false,
        env: [Buffer.from('B=2')],
        envTruncated: true,
        argvLen: 0xfffffff0,
        envLen: 49,
        nrThreads: 56,
        container: { cgroupId: 51, pidNs: 52, mntNs: 53, netNs: 54, utsNs: 55 },
      },
      {
        kind: 'cgroup',
        ts: T0 + 11n,
        process: key(0, 0n),
        tid: 0,
        cgroupId: 2 ** 53 - 2,
        level: 3,
        path: cb('/a/b/c'),
      },
    ]);
    t.deepEqual(c.footer, {
      records: BigInt(records.length),
      lost: 2n,
      stop,
      rootStatus: 6,
      processes: 7,
      stillRunning: 8,
      signalled: true,
      waitedAll: true,
      interrupted: true,
      durationElapsed: true,
      checksum: null,
    });
    t.is(c.recordCounts.type99, 1);
    t.deepEqual(codes(c), ['unknown-record-type']);
    const other = readCaptureBuffer(
      Buffer.concat([encodeHeader({}, { littleEndian: !le }), encodeRecord(records[0]!, le)]),
    );
    t.notDeepEqual(other.events, c.events.slice(0, 1), 'the other byte order reads something else');
  });
}

test('attached and cgroup events round-trip through the writer (format 1.8), with the attach header and end flags', (t) => {
  for (const le of [true, false]) {
    const events: CaptureEvent[] = [
      {
        kind: 'attached',
        ts: T0 + 5n,
        process: key(300, T0 - 9_000_000_000n),
        tid: 300,
        reason: 'running',
        parent: key(1, 100n),
        ppid: 1,
        uid: 0,
        gid: 0,
        euid: 0,
        egid: 0,
        nsPid: 300,
        nsLevel: 0,
        comm: 'agent',
        exe: cb('/usr/bin/agent'),
        cwd: cb('/'),
        argv: [Buffer.from('agent'), Buffer.alloc(0), Buffer.from('x'.repeat(500))],
        argvTruncated: false,
        env: null,
        envTruncated: false,
        argvLen: 508,
        envLen: 0,
        nrThreads: 4,
        container: { cgroupId: 7, pidNs: 1, mntNs: 2, netNs: 3, utsNs: 4 },
      },
      { kind: 'cgroup', ts: T0 + 6n, process: key(0, 0n), tid: 0, cgroupId: 7, level: 1, path: cb('/svc') },
      { ...fork(T0 + 7n, key(300, T0 - 9_000_000_000n), key(301, T0 + 7n)), childContainer: null },
    ];
    const c = readCaptureBuffer(
      writeCapture({ options: { attach: true }, attachPids: [300, 7], attachCgroup: '' }, events, {
        littleEndian: le,
        footer: { interrupted: true, waitedAll: false },
      }),
    );
    t.deepEqual(c.warnings, []);
    t.deepEqual(c.events, events);
    t.true(c.header.options.attach);
    t.deepEqual(c.header.attachPids, [300, 7]);
    t.is(c.header.attachCgroup, '');
    t.true(c.footer!.interrupted);
    t.false(c.footer!.durationElapsed);
    t.is(c.footer!.processes, 2, 'one attached and one forked');
  }
});

test('every header field and TLV is read back', (t) => {
  const start = { realtime: 1_700_000_000_123_456_789n, boottime: 42_000_000_000n, monotonic: 41_000_000_000n };
  for (const le of [true, false]) {
    const h = parseHeader(
      encodeHeader(
        {
          ...SAMPLE_HEADER,
          start,
          argsLimit: 131072,
          ringbufSize: 1 << 26,
          options: { env: false, failedExecs: true, keepRoot: true, io: true },
        },
        { littleEndian: le },
      ),
    );
    t.deepEqual(h.start, start);
    t.is(h.argsLimit, 131072);
    t.is(h.ringbufSize, 1 << 26);
    t.deepEqual(h.options, {
      env: false,
      failedExecs: true,
      keepRoot: true,
      files: false,
      io: true,
      sched: false,
      net: false,
      dns: false,
      dnsMessages: false,
      attach: false,
      raw: 0x16n,
    });
    const all = parseHeader(
      encodeHeader({ options: { files: true, io: true, sched: true } }, { littleEndian: le }),
    ).options;
    t.deepEqual(all, {
      env: true,
      failedExecs: true,
      keepRoot: false,
      files: true,
      io: true,
      sched: true,
      net: false,
      dns: false,
      dnsMessages: false,
      attach: false,
      raw: 0x3bn,
    });
    t.deepEqual(parseHeader(encodeHeader({ options: 1n << 63n }, { littleEndian: le })).options, {
      env: false,
      failedExecs: false,
      keepRoot: false,
      files: false,
      io: false,
      sched: false,
      net: false,
      dns: false,
      dnsMessages: false,
      attach: false,
      raw: 1n << 63n,
    });
    t.is(h.traceparent, SAMPLE_HEADER.traceparent!);
  }
});

test('an empty header (no TLVs) reads as empty strings', (t) => {
  const h = parseHeader(encodeHeader({}, { littleEndian: true }));
  t.is(h.headerSize, 80);
  t.is(h.hostname, '');
  t.deepEqual(h.commandArgv, []);
});

function argvRoundTrip(argv: Buffer[], env: Buffer[] | null): ExecEvent {
  const e = exec({ ts: T0 + 1n, process: key(5, T0), argv, env });
  for (const le of [true, false]) {
    const c = readCaptureBuffer(writeCapture({}, [e], { littleEndian: le }));
    if (c.warnings.length !== 0) throw new Error(JSON.stringify(c.warnings));
    const got = c.events[0] as ExecEvent;
    if (c.events.length !== 1 || got.kind !== 'exec') throw new Error('expected one exec');
    if (!le) return got;
  }
  throw new Error('unreachable');
}

test('argv: a 100 KiB argument', (t) => {
  const big = Buffer.alloc(100 * 1024, 'a');
  big[1234] = 0xff;
  const got = argvRoundTrip([Buffer.from('echo'), big, Buffer.from('end')], []);
  t.is(got.argv.length, 3);
  t.true(got.argv[1]!.equals(big));
  t.is(got.argv[2]!.toString(), 'end');
  t.false(got.argvTruncated);
  t.is(got.argvLen, 5 + big.length + 1 + 4);
});

test('argv: 2000 arguments, empty ones, invalid UTF-8 and newlines preserved exactly', (t) => {
  const argv: Buffer[] = [];
  for (let i = 0; i < 2000; i++) {
    if (i % 7 === 0) argv.push(Buffer.alloc(0));
    else if (i % 11 === 0) argv.push(Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x41]));
    else if (i % 13 === 0) argv.push(Buffer.from(`line1\nline2\r\n${i}`));
    else argv.push(Buffer.from(`arg-${i}`));
  }
  argv.push(Buffer.alloc(0)); // a trailing empty argument
  const got = argvRoundTrip(argv, null);
  t.is(got.argv.length, 2001);
  t.deepEqual(got.argv, argv);
  t.is(got.argc, 2001);
  t.is(got.env, null);
});

test('env: 1000 variables', (t) => {
  const env = Array.from({ length: 1000 }, (_, i) => Buffer.from(`VAR_${i}=${'v'.repeat(i % 50)}`));
  const got = argvRoundTrip([Buffer.from('env')], env);
  t.deepEqual(got.env, env);
  t.is(got.envc, 1000);
  t.false(got.envTruncated);
});

test('argv: only an empty string, and no arguments at all', (t) => {
  t.deepEqual(argvRoundTrip([Buffer.alloc(0)], []).argv, [Buffer.alloc(0)]);
  const none = argvRoundTrip([], []);
  t.deepEqual(none.argv, []);
  t.deepEqual(none.env, []);
});

test('splitStrings', (t) => {
  const s = (x: string) => splitStrings(Buffer.from(x)).map((b) => b.toString());
  t.deepEqual(s(''), []);
  t.deepEqual(s('\0'), ['']);
  t.deepEqual(s('a\0\0b\0'), ['a', '', 'b']);
  t.deepEqual(s('a\0partial'), ['a', 'partial']);
});

test('truncation: flags from the writer come back', (t) => {
  const e: ExecEvent = {
    ...exec({ ts: T0 + 1n, process: key(5, T0), argv: ['a', 'b'], env: ['X=1'] }),
    filename: cb('/very/long', true),
    argvTruncated: true,
    envTruncated: true,
  };
  const c = readCaptureBuffer(writeCapture({}, [e]));
  t.deepEqual(c.events, [e]);
});

/** Writes an exec record by hand, then the given chunks (as raw records). */
function handmade(parts: (owner: RawHead) => ReturnType<typeof chunkString>, flags = 0, le = true): Buffer {
  const w = new CaptureWriter({}, { littleEndian: le });
  const head: RawHead = { type: RT.EXEC, flags, tid: 9, ts: T0 + 50n, start: T0, pid: 9, cpu: 0 };
  w.writeRecord({
    kind: 'exec',
    head,
    parentStart: 1n,
    ppid: 1,
    oldTid: 9,
    uid: 0,
    gid: 0,
    euid: 0,
    egid: 0,
    nsPid: 9,
    nsLevel: 0,
    argc: 2,
    envc: 0,
    argvLen: 0,
    envLen: 0,
    comm: 'x',
  });
  for (const r of parts(head)) w.writeRecord(r);
  w.writeFooter();
  return w.finish();
}

const basic = (h: RawHead) => [
  ...chunkString(h, DK.FILENAME, Buffer.from('/bin/x'), false),
  ...chunkString(h, DK.EXE, Buffer.from('/bin/x'), false),
  ...chunkString(h, DK.CWD, Buffer.from('/'), false),
];

test('truncation: DF_TRUNCATED, head flags, a missing final NUL', (t) => {
  const buf = handmade(
    (h) => [
      ...basic(h),
      ...chunkString(h, DK.ARGV, Buffer.from('one\0two\0thr'), true),
      ...chunkString(h, DK.ENV, Buffer.from('A=1\0'), false),
    ],
    F.ENV_TRUNCATED,
  );
  const c = readCaptureBuffer(buf);
  const e = c.events[0] as ExecEvent;
  t.deepEqual(e.argv.map(String), ['one', 'two', 'thr']);
  t.true(e.argvTruncated);
  t.deepEqual(e.env?.map(String), ['A=1']);
  t.true(e.envTruncated, 'from PT_F_ENV_TRUNCATED');
  t.false(e.filename.truncated);
  t.deepEqual(c.warnings, []);
});

test('truncation: a gap keeps the bytes before it, a missing LAST chunk marks the string', (t) => {
  const long = Buffer.alloc(1000, 'x');
  const buf = handmade((h) => {
    const argv = chunkString(h, DK.ARGV, long, false);
    const env = chunkString(h, DK.ENV, Buffer.from('A=1\0B=2\0'), false);
    const cwd = chunkString(h, DK.CWD, Buffer.from('/tmp'), false);
    for (const r of cwd) if (r.kind === 'data') r.dataFlags = 0; // its LAST chunk never made it
    return [
      ...chunkString(h, DK.FILENAME, Buffer.from('/bin/x'), false),
      ...chunkString(h, DK.EXE, Buffer.from('/bin/x'), false),
      ...cwd,
      argv[0]!,
      ...argv.slice(2), // chunk 1 lost
      ...env,
    ];
  });
  const e = readCaptureBuffer(buf).events[0] as ExecEvent;
  t.true(e.argvTruncated);
  t.is(e.argv.length, 1);
  t.is(e.argv[0]!.length, 208, 'only the bytes before the gap');
  t.deepEqual(e.cwd, cb('/tmp', true));
  t.deepEqual(e.env?.map(String), ['A=1', 'B=2']);
  t.false(e.envTruncated);
});

test('a faulted chunk is flagged', (t) => {
  const buf = handmade((h) => {
    const fn = chunkString(h, DK.FILENAME, Buffer.alloc(4), false);
    for (const r of fn) if (r.kind === 'data') r.dataFlags |= DF.FAULT;
    return [...fn, ...basic(h).slice(1)];
  }, F.ENV_SKIPPED);
  const e = readCaptureBuffer(buf).events[0] as ExecEvent;
  t.deepEqual(e.filename, { bytes: Buffer.alloc(4), truncated: true, faulted: true });
  t.is(e.env, null);
  t.deepEqual(e.argv, [], 'no argv chunk at all');
  t.true(e.argvTruncated);
});

test('chunks from several threads interleave; events keep the order of their records', (t) => {
  const a = exec({ ts: T0 + 10n, process: key(10, T0), argv: ['a'] });
  const b = exec({ ts: T0 + 20n, process: key(20, T0), argv: ['b'] });
  const f = fork(T0 + 30n, key(30, T0), key(31, T0 + 30n));
  const records: Buffer[] = [];
  for (const [e, ev] of [
    [a, 'a'],
    [b, 'b'],
  ] as const) {
    const one = writeCapture({}, [e], { footer: null });
    const hs = one.readUInt32LE(FILE_HEADER.header_size);
    const recs: Buffer[] = [];
    for (let off = hs; off < one.length; off += RECORD_SIZE) recs.push(one.subarray(off, off + RECORD_SIZE));
    records.push(...recs.map((r) => Object.assign(r, { owner: ev })));
  }
  const ra = records.filter((r) => (r as Buffer & { owner: string }).owner === 'a');
  const rb = records.filter((r) => (r as Buffer & { owner: string }).owner === 'b');
  const fr = writeCapture({}, [f], { footer: null });
  const forkRec = fr.subarray(fr.readUInt32LE(FILE_HEADER.header_size));
  // a's exec, b's exec, the fork, then the chunks alternately.
  const body = [ra[0]!, rb[0]!, forkRec];
  for (let i = 1; i < Math.max(ra.length, rb.length); i++) {
    if (ra[i]) body.push(ra[i]!);
    if (rb[i]) body.push(rb[i]!);
  }
  const file = Buffer.concat([encodeHeader({}, { littleEndian: true }), ...body]);
  const c = readCaptureBuffer(file);
  t.deepEqual(c.events, [a, b, f]);
  t.deepEqual(codes(c), ['no-footer']);
});

test('an exec is emitted when its thread writes its next record, even without the final chunk', (t) => {
  const p = key(9, T0);
  const buf = handmade((h) => [...basic(h), ...chunkString(h, DK.ARGV, Buffer.from('x\0'), false)]);
  // Replace the footer by an exit of the same thread followed by a late chunk (an orphan now).
  const hs = buf.readUInt32LE(FILE_HEADER.header_size);
  const body = buf.subarray(hs, buf.length - RECORD_SIZE);
  const ex = writeCapture({}, [exit(T0 + 99n, p, 0)], { footer: null });
  const exitRec = ex.subarray(ex.readUInt32LE(FILE_HEADER.header_size));
  const late = encodeRecord(
    chunkString(
      { type: RT.EXEC, flags: 0, tid: 9, ts: T0 + 50n, start: T0, pid: 9, cpu: 0 },
      DK.ENV,
      Buffer.from('A=1\0'),
      false,
    )[0]!,
    true,
  );
  const c = readCaptureBuffer(Buffer.concat([buf.subarray(0, hs), body, exitRec, late]));
  t.deepEqual(
    c.events.map((e) => e.kind),
    ['exec', 'exit'],
  );
  const e = c.events[0] as ExecEvent;
  t.deepEqual(e.env, []);
  t.true(e.envTruncated);
  t.deepEqual(codes(c), ['orphan-data', 'no-footer']);
  t.regex(c.warnings[0]!.message, /^1 data chunk had no owner record/);
});

test('orphan chunks: wrong pid, wrong owner timestamp, no owner at all', (t) => {
  const owner: RawHead = { type: RT.EXEC, flags: 0, tid: 9, ts: T0 + 50n, start: T0, pid: 9, cpu: 0 };
  const w = new CaptureWriter({});
  w.write(exec({ ts: T0 + 50n, process: key(9, T0), tid: 9 }));
  w.writeRecord(chunkString({ ...owner, pid: 8 }, DK.ENV, Buffer.from('x'), false)[0]!);
  w.writeRecord(chunkString({ ...owner, ts: T0 + 51n }, DK.ENV, Buffer.from('x'), false)[0]!);
  w.writeRecord(chunkString({ ...owner, tid: 4242 }, DK.ENV, Buffer.from('x'), false)[0]!);
  w.writeFooter();
  const c = readCaptureBuffer(w.finish());
  t.is(c.events.length, 1);
  t.deepEqual(c.warnings, [{ code: 'orphan-data', message: '3 data chunks had no owner record (ignored)' }]);
});

test('exit status decoding, signal, errno and category names', (t) => {
  const p = key(3, T0);
  const c = readCaptureBuffer(
    writeCapture({}, [
      exit(T0, p, 3 << 8),
      exit(T0, p, 9),
      exit(T0, p, 11 | 0x80),
      { ...exit(T0, p, 15), coreDumped: true },
      loss(T0, 9, 4n),
    ]),
  );
  const got = c.events.map((e) =>
    e.kind === 'exit' ? [e.exitCode, e.signal, e.signalName, e.coreDumped] : e.kind === 'loss' ? e.categoryName : null,
  );
  t.deepEqual(got, [
    [3, null, null, false],
    [null, 9, 'SIGKILL', false],
    [null, 11, 'SIGSEGV', true],
    [null, 15, 'SIGTERM', true],
    'category9',
  ]);
  t.is(signalName(34), 'SIGRTMIN+2');
  t.is(signalName(99), 'SIG99');
  for (const [n, name] of [
    [1, 'EPERM'],
    [2, 'ENOENT'],
    [7, 'E2BIG'],
    [8, 'ENOEXEC'],
    [12, 'ENOMEM'],
    [13, 'EACCES'],
    [14, 'EFAULT'],
    [20, 'ENOTDIR'],
    [21, 'EISDIR'],
    [26, 'ETXTBSY'],
    [36, 'ENAMETOOLONG'],
    [40, 'ELOOP'],
    [58, 'E58'],
    [4000, 'E4000'],
  ] as const) {
    t.is(errnoName(n), name);
  }
  t.deepEqual([0, 1, 2, 3, 7, 8].map(lossCategoryName), [
    'process',
    'exec',
    'exec_failed',
    'tracking',
    'dns',
    'category8',
  ]);
});

test('a missing footer is a warning with the number of complete records', (t) => {
  const buf = writeCapture({}, sampleEvents(), { footer: null });
  const c = readCaptureBuffer(buf);
  t.is(c.footer, null);
  t.deepEqual(c.events, sampleEvents());
  t.deepEqual(c.warnings, [
    {
      code: 'no-footer',
      message: 'no footer: the capture did not finish (crash, SIGKILL or full disk); read 33 complete records',
    },
  ]);
});

test('a partial last record is reported with its size', (t) => {
  const buf = writeCapture({}, sampleEvents(), { footer: null });
  const c = readCaptureBuffer(buf.subarray(0, buf.length - 100));
  t.is(c.completeRecords, 32);
  t.deepEqual(c.warnings, [
    { code: 'partial-record', message: 'the last record is cut short: 156 bytes, expected 256 (ignored)' },
    {
      code: 'no-footer',
      message: 'no footer: the capture did not finish (crash, SIGKILL or full disk); read 32 complete records',
    },
  ]);
  // The exit of sh was the last full record before the cut: the running record is gone.
  t.deepEqual(c.events, sampleEvents().slice(0, -1));
});

test('garbage after the footer is ignored with a warning', (t) => {
  const buf = writeCapture({}, sampleEvents());
  const c = readCaptureBuffer(Buffer.concat([buf, Buffer.alloc(300, 0xaa)]));
  t.deepEqual(c.events, sampleEvents());
  t.deepEqual(c.warnings, [
    { code: 'garbage-after-footer', message: '300 bytes of garbage after the footer (ignored)' },
  ]);
});

test('a footer whose count disagrees is a warning', (t) => {
  const c = readCaptureBuffer(writeCapture({}, sampleEvents(), { footer: { records: 5n } }));
  t.deepEqual(c.warnings, [{ code: 'footer-count', message: 'the footer counts 5 records but 33 precede it' }]);
});

/** The warning every file of a newer minor format version gets. */
function newerMinor(minor: number): { code: string; message: string } {
  return {
    code: 'newer-minor-version',
    message: `format version 1.${minor} is newer than this ptrace's 1.${VERSION_MINOR}: what it added is skipped; a newer ptrace shows everything`,
  };
}

test('a newer minor version: unknown record types are skipped, unknown TLVs kept, longer payloads ignored', (t) => {
  for (const le of [true, false]) {
    const w = new CaptureWriter(
      {
        versionMinor: VERSION_MINOR + 1,
        unknownTlvs: [
          { tag: 77, value: Buffer.from('future') },
          { tag: 300, value: Buffer.alloc(0) },
        ],
        hostname: 'h',
      },
      { littleEndian: le },
    );
    const events = sampleEvents();
    w.write(events[0]!);
    const head: RawHead = { type: 40, flags: 0, tid: 100, ts: T0 + 1_500n, start: T0 + 10n, pid: 100, cpu: 0 };
    w.writeRecord({ kind: 'unknown', head, payload: Buffer.alloc(224, 1) });
    w.writeRecord({ kind: 'unknown', head, payload: Buffer.alloc(224, 2) });
    w.writeRecord({ kind: 'unknown', head: { ...head, type: 20 }, payload: Buffer.alloc(224, 3) });
    for (const e of events.slice(1)) w.write(e);
    w.writeFooter();
    const file = w.finish();
    const c = readCaptureBuffer(file, 'new.raw');
    t.is(c.header.versionMinor, VERSION_MINOR + 1);
    t.is(c.header.hostname, 'h');
    t.deepEqual(c.header.unknownTlvs, [
      { tag: 77, value: Buffer.from('future') },
      { tag: 300, value: Buffer.alloc(0) },
    ]);
    t.deepEqual(c.events, events);
    t.is(c.recordCounts.type20, 1);
    t.is(c.recordCounts.type40, 2);
    t.deepEqual(c.warnings, [
      newerMinor(VERSION_MINOR + 1),
      {
        code: 'unknown-record-type',
        message: `skipped 3 records of unknown type: 20 (1), 40 (2) (file format 1.${VERSION_MINOR + 1})`,
      },
    ]);
  }
});

test('a newer minor version: chunks of an unknown data kind are ignored, before or after the owner is complete', (t) => {
  const e = exec({ ts: T0 + 50n, process: key(9, T0), argv: ['x'] });
  const owner: RawHead = { type: RT.EXEC, flags: 0, tid: 9, ts: T0 + 50n, start: T0, pid: 9, cpu: 0 };
  const w = new CaptureWriter({ versionMinor: VERSION_MINOR + 3 });
  w.writeRecord(chunkString(owner, DK.CWD, Buffer.from('?'), false)[0]!); // no owner yet: an orphan
  w.writeRecord({ kind: 'unknown', head: { ...owner, type: 15, ts: T0 + 40n }, payload: Buffer.alloc(224) }); // a newer record type…
  w.writeRecord(chunkString({ ...owner, ts: T0 + 40n }, 11, Buffer.from('/etc/passwd'), false)[0]!); // …and its string
  w.write(e);
  for (const r of chunkString(owner, 12, Buffer.alloc(300, 7), false)) w.writeRecord(r);
  w.writeRecord(chunkString(owner, DK.ARGV, Buffer.from('late\0'), false)[0]!); // after argv's LAST: an orphan
  w.write(exit(T0 + 60n, key(9, T0), 0));
  w.writeFooter();
  const c = readCaptureBuffer(w.finish());
  t.deepEqual(c.events, [e, exit(T0 + 60n, key(9, T0), 0)]);
  const minor = VERSION_MINOR + 3;
  t.deepEqual(c.warnings, [
    newerMinor(minor),
    { code: 'orphan-data', message: '2 data chunks had no owner record (ignored)' },
    {
      code: 'unknown-data-kind',
      message: `ignored 3 data chunks of unknown kind: 11 (1), 12 (2) (file format 1.${minor})`,
    },
    { code: 'unknown-record-type', message: `skipped 1 record of unknown type: 15 (1) (file format 1.${minor})` },
  ]);
});

test('bytes beyond the known payload fields are ignored', (t) => {
  const events = [fork(T0 + 1n, key(1, T0), key(2, T0 + 1n))];
  const buf = writeCapture({ versionMinor: 1 }, events);
  const hs = buf.readUInt32LE(FILE_HEADER.header_size);
  buf.fill(0x5a, hs + 72, hs + RECORD_SIZE); // struct pt_fork ends at 72 since 1.8
  t.deepEqual(readCaptureBuffer(buf).events, events);
});

test('a newer major version is refused with an upgrade message', (t) => {
  for (const le of [true, false]) {
    const buf = writeCapture({ versionMajor: 2, versionMinor: 0 }, [], { littleEndian: le });
    throwsFormat(
      t,
      () => readCaptureBuffer(buf, 'run.raw'),
      'version-too-new',
      'run.raw: format version 2.0 is newer than this ptrace reads (1.x): install a newer ptrace, e.g. npm install -g ptrace@latest',
    );
  }
  throwsFormat(
    t,
    () => readCaptureBuffer(writeCapture({ versionMajor: 0, versionMinor: 9 }, []), 'old.raw'),
    'version-unsupported',
    'old.raw: format version 0.9 is not supported: this ptrace reads 1.x',
  );
});

test('a record size other than 256 is refused', (t) => {
  throwsFormat(
    t,
    () => readCaptureBuffer(writeCapture({ recordSize: 192 }, []), 'run.raw'),
    'record-size',
    'run.raw: event size mismatch: header says 192 bytes per record, format 1 has 256',
  );
});

test('wrong magic', (t) => {
  throwsFormat(
    t,
    () =>
      readCaptureBuffer(
        Buffer.from(
          '\x7fELF\x02\x01\x01\x00 and more bytes to be long enough.................................',
          'latin1',
        ),
        'a.out',
      ),
    'bad-magic',
    'a.out: not a ptrace raw file: magic is "\\x7fELF\\x02\\x01\\x01\\x00" (7f454c4602010100), expected "PTRACE\\r\\n"',
  );
  // Text-mode mangling of \r\n is what the magic is there to catch.
  const good = writeCapture({}, []);
  const mangled = Buffer.concat([Buffer.from('PTRACE\n'), good.subarray(8)]);
  throwsFormat(t, () => readCaptureBuffer(mangled, 'x.raw'), 'bad-magic', /magic is "PTRACE\\nM" \(5054524143450a4d\)/);
  throwsFormat(
    t,
    () => readCaptureBuffer(Buffer.from('hi'), 'x'),
    'bad-magic',
    'x: not a ptrace raw file: magic is "hi" (6869), expected "PTRACE\\r\\n"',
  );
});

test('bad byte-order mark', (t) => {
  const buf = writeCapture({}, []);
  buf.writeUInt32LE(0x12345678, FILE_HEADER.byte_order);
  throwsFormat(
    t,
    () => readCaptureBuffer(buf, 'x.raw'),
    'bad-byte-order',
    'x.raw: byte-order mark is 78563412, expected 1a2b3c4d (big endian) or 4d3c2b1a (little endian)',
  );
});

test('truncated header', (t) => {
  const buf = writeCapture(SAMPLE_HEADER, []);
  throwsFormat(
    t,
    () => readCaptureBuffer(Buffer.alloc(0), 'e.raw'),
    'truncated-header',
    'e.raw: truncated header: 0 bytes, expected at least 72',
  );
  throwsFormat(
    t,
    () => readCaptureBuffer(buf.subarray(0, 40), 'run.raw'),
    'truncated-header',
    'run.raw: truncated header: 40 bytes, expected at least 72',
  );
  throwsFormat(
    t,
    () => readCaptureBuffer(buf.subarray(0, 5), 'run.raw'),
    'truncated-header',
    'run.raw: truncated header: 5 bytes, expected at least 72',
  );
  const hs = buf.readUInt32LE(FILE_HEADER.header_size);
  throwsFormat(
    t,
    () => readCaptureBuffer(buf.subarray(0, hs - 8), 'run.raw'),
    'truncated-header',
    `run.raw: truncated header: ${hs - 8} bytes, expected at least ${hs} (header_size)`,
  );
});

test('bad header_size', (t) => {
  const buf = writeCapture({}, sampleEvents());
  for (const bad of [0, 64, 81]) {
    const b = Buffer.from(buf);
    b.writeUInt32LE(bad, FILE_HEADER.header_size);
    throwsFormat(
      t,
      () => readCaptureBuffer(b, 'r'),
      'bad-header-size',
      `r: header_size is ${bad}, expected a multiple of 8 that is at least 72`,
    );
  }
});

test('a TLV running past header_size is a warning; the records are still read', (t) => {
  const buf = writeCapture({ hostname: 'abc' }, sampleEvents());
  buf.writeUInt32LE(5000, 72 + 4);
  const c = readCaptureBuffer(buf);
  t.deepEqual(codes(c), ['tlv-overrun']);
  t.is(c.header.hostname, '');
  t.deepEqual(c.events, sampleEvents());
});

const bigPath = join(tmp, 'big.raw');
let bigWritten = false;

function writeBig(): void {
  if (bigWritten) return;
  bigWritten = true;
  const fd = openSync(bigPath, 'w');
  const w = new CaptureWriter(SAMPLE_HEADER, { fd, littleEndian: false, bufferSize: 100_000 });
  const root = key(100, T0);
  const env = Array.from({ length: 60 }, (_, i) => `V${i}=${'z'.repeat(i)}`);
  let ts = T0 + 1n;
  for (let i = 0; w.records < 40_000; i++) {
    const p = key(1000 + i, ts);
    w.write(fork(ts++, root, p));
    w.write(exec({ ts: ts++, process: p, argv: ['cc', `f${i}.c`], env: i % 3 === 0 ? null : env }));
    w.write(open({ ts: ts++, process: p, path: `/usr/include/h${i % 50}.h`, result: i % 4 === 0 ? -2 : 3 }));
    w.write(exit(ts++, p, (i % 256) << 8));
  }
  w.writeFooter();
  w.finish();
  closeSync(fd);
}

// Both ways of reading a stream: directly, and one chunk ahead on a worker thread (formats/prefetch.ts).
const streamModes = [
  ['read directly', { prefetchAbove: Infinity }],
  ['read ahead', { prefetchAbove: 0 }],
] as const;

for (const [mode, opts] of streamModes) {
  test(`the streaming reader gives the same events as the whole-file reader, across 4 MiB reads (${mode})`, (t) => {
    writeBig();
    const whole = readCapture(bigPath);
    const streamed: CaptureEvent[] = [];
    const rest = readCaptureStream(bigPath, (e) => streamed.push(e), opts);
    t.deepEqual(rest.warnings, []);
    t.is(streamed.length, whole.events.length);
    t.deepEqual(streamed, whole.events);
    const { events: _events, ...wholeRest } = whole;
    t.deepEqual(rest, wholeRest);
    t.true(rest.completeRecords > 16384 * 2);
  });

  test(`the streaming reader reports the tail like the whole-file reader (${mode})`, (t) => {
    const buf = writeCapture({}, sampleEvents(), { footer: null });
    const cut = join(tmp, `cut-${mode}.raw`);
    writeFileSync(cut, buf.subarray(0, buf.length - 10));
    const streamed: CaptureEvent[] = [];
    const r = readCaptureStream(cut, (e) => streamed.push(e), opts);
    t.deepEqual(codes(r), ['partial-record', 'no-footer']);
    const junk = join(tmp, `junk-${mode}.raw`);
    writeFileSync(junk, Buffer.concat([writeCapture({}, sampleEvents()), Buffer.alloc(3)]));
    t.deepEqual(readCaptureStream(junk, () => {}, opts).warnings, [
      { code: 'garbage-after-footer', message: '3 bytes of garbage after the footer (ignored)' },
    ]);
    const tiny = join(tmp, `tiny-${mode}.raw`);
    writeFileSync(tiny, buf.subarray(0, 30));
    t.throws(() => readCaptureStream(tiny, () => {}, opts), {
      instanceOf: FormatError,
      message: `${tiny}: truncated header: 30 bytes, expected at least 72`,
    });
    // Records ending exactly at a chunk boundary, then nothing: no tail, no footer.
    const exact = join(tmp, `exact-${mode}.raw`);
    const w = new CaptureWriter({}, {});
    for (let i = 0; w.records < 16384; i++) w.write(exit(T0 + BigInt(i), key(2000 + i, T0), 0));
    const records = w.finish();
    t.is(records.length - parseHeader(records).headerSize, 16384 * RECORD_SIZE);
    writeFileSync(exact, records);
    t.deepEqual(codes(readCaptureStream(exact, () => {}, opts)), ['no-footer']);
  });

  test(`an error thrown by the event callback is not disguised (${mode})`, (t) => {
    const path = join(tmp, `cb-${mode}.raw`);
    writeFileSync(path, writeCapture({}, sampleEvents()));
    const boom = new Error('boom');
    t.is(
      t.throws(() =>
        readCaptureStream(
          path,
          () => {
            throw boom;
          },
          opts,
        ),
      ),
      boom,
    );
  });
}

test('unreadable paths are one-line user errors', (t) => {
  const missing = join(tmp, 'nope.raw');
  for (const read of [readCapture, (p: string) => readCaptureStream(p, () => {})]) {
    const err = t.throws(() => read(missing), { instanceOf: UserError });
    t.is(err?.message, `cannot read ${missing}: no such file (ENOENT)`);
    t.false(err instanceof FormatError);
    t.is(t.throws(() => read(tmp), { instanceOf: UserError })?.message, `cannot read ${tmp}: is a directory (EISDIR)`);
  }
});

test('wall clock from the start anchor, ISO 8601 with microseconds', (t) => {
  const c = readCaptureBuffer(
    writeCapture({ start: { realtime: 1_750_000_000_123_456_789n, boottime: 1_000n, monotonic: 0n } }, []),
  );
  t.is(wallClockNs(c.header, 1_000n + 2_000_000_001n), 1_750_000_002_123_456_790n);
  t.is(isoMicros(1_750_000_000_123_456_789n), '2025-06-15T15:06:40.123456Z');
  t.is(isoMicros(0n), '1970-01-01T00:00:00.000000Z');
  t.is(isoMicros(-5n), '-5ns');
  t.is(isoMicros(2n ** 64n - 1n), '2554-07-21T23:34:33.709551Z');
});

test('a record of type 0 (zeroed space at the end of a crashed file) is counted as unknown', (t) => {
  const buf = Buffer.concat([writeCapture({}, sampleEvents(), { footer: null }), Buffer.alloc(RECORD_SIZE * 2)]);
  const c = readCaptureBuffer(buf);
  t.deepEqual(c.events, sampleEvents());
  t.is(c.recordCounts.type0, 2);
  t.deepEqual(codes(c), ['unknown-record-type', 'no-footer']);
});

test('running and loss records keep their order with the rest', (t) => {
  const events = [loss(T0 + 1n, 0, 1n), running(T0 + 2n, key(5, T0)), loss(T0 + 3n, 0, 4n)];
  t.deepEqual(readCaptureBuffer(writeCapture({}, events)).events, events);
});

// ---------------------------------------------------------------- format 1.1: opens, histograms, resource usage

for (const [name, le] of orders) {
  test(`opens: short and multi-chunk paths, cut paths, failed opens, ${name}`, (t) => {
    const p = key(50, T0);
    const long = Buffer.alloc(4096, 'd');
    long.write('/', 0);
    long[100] = 0xff; // not UTF-8
    const exact = Buffer.alloc(208, 'e');
    const events: CaptureEvent[] = [
      open({
        ts: T0 + 1n,
        process: p,
        path: 'rel/x',
        result: 0,
        dirfd: 5,
        flags: 0o100 | 0o1,
        mode: 0o600,
        latencyNs: 1n,
      }),
      open({ ts: T0 + 2n, process: p, path: long, result: -36, truncated: true, latencyNs: 2n ** 53n - 1n }),
      open({ ts: T0 + 3n, process: p, path: exact, result: 1_000_000 }),
      open({ ts: T0 + 4n, process: p, path: '', result: -2 }),
      open({ ts: T0 + 5n, process: p, path: Buffer.alloc(209, 'f'), result: -4095, syscallNr: 85 }),
    ];
    const c = readCaptureBuffer(writeCapture({ options: { files: true } }, events, { littleEndian: le }));
    t.deepEqual(c.warnings, []);
    t.deepEqual(c.events, events);
    t.is(c.recordCounts.open, 5);
    t.is(c.recordCounts.data, 1 + 20 + 1 + 1 + 2);
    t.true(c.header.options.files);
    const [a, b, , d, e] = c.events as OpenEvent[];
    t.deepEqual([a!.fd, a!.errno, a!.errnoName], [0, null, null]);
    t.deepEqual([b!.fd, b!.errno, b!.errnoName], [null, 36, 'ENAMETOOLONG']);
    t.deepEqual([d!.errno, d!.errnoName, d!.path], [2, 'ENOENT', cb('')]);
    t.is(e!.errnoName, 'E4095');
  });

  test(`histograms and resource usage round trip, ${name}`, (t) => {
    const p = key(60, T0);
    const events: CaptureEvent[] = [
      exit(T0 + 10n, p, 0, 'w', 61, someRusage()),
      hist(T0 + 11n, p, 'read', { 0: 3, 1: 1 }, { totalNs: 5n, maxNs: 3n }, 61),
      hist(T0 + 11n, p, 'write', { 12: 7 }, { totalNs: 40_000n, maxNs: 8_000n }, 61),
      hist(T0 + 11n, p, 'fsync', { 24: 1 }, { totalNs: 20_000_000n, maxNs: 20_000_000n }, 61),
      hist(
        T0 + 11n,
        p,
        'offcpu',
        { 31: 0xffffffff },
        { count: 2n ** 53n - 1n, totalNs: 2n ** 53n - 1n, maxNs: 2n ** 53n - 1n },
        61,
      ),
      hist(T0 + 11n, p, 'kind9', {}, {}, 61), // a kind from a newer minor version
    ];
    const c = readCaptureBuffer(writeCapture({ options: { io: true, sched: true } }, events, { littleEndian: le }));
    t.deepEqual(c.warnings, []);
    t.deepEqual(c.events, events);
    t.deepEqual(
      c.events.map((x) => (x.kind === 'hist' ? x.histKind : x.kind)),
      ['exit', 'read', 'write', 'fsync', 'offcpu', 'kind9'],
    );
    t.is((c.events[1] as HistEvent).buckets.length, 32);
    t.deepEqual((c.events[0] as ExitEvent).rusage, someRusage());
    t.deepEqual([c.header.options.io, c.header.options.sched, c.header.options.files], [true, true, false]);
  });
}

test('an open owns its path chunks only: interleaved threads, lost chunks, chunks of other kinds', (t) => {
  const p = key(70, T0);
  const a = open({ ts: T0 + 10n, process: p, tid: 71, path: `/a/${'x'.repeat(300)}`, result: 3 });
  const b = open({ ts: T0 + 11n, process: p, tid: 72, path: '/b', result: 4 });
  const w = new CaptureWriter({});
  const oa = writeCapture({}, [a], { footer: null });
  const ob = writeCapture({}, [b], { footer: null });
  const recs = (f: Buffer): Buffer[] => {
    const out: Buffer[] = [];
    for (let off = f.readUInt32LE(FILE_HEADER.header_size); off < f.length; off += RECORD_SIZE)
      out.push(f.subarray(off, off + RECORD_SIZE));
    return out;
  };
  const [a0, a1, a2] = recs(oa);
  const [b0, b1] = recs(ob);
  // a's open, b's open, b's path, a's first chunk, then an exit of thread 71 (a's second chunk is lost),
  // then a's second chunk (late: an orphan), a FILENAME chunk naming b (wrong kind for an open: an orphan).
  for (const r of [a0!, b0!, b1!, a1!]) w.writeRecordBytes(r);
  w.write(exit(T0 + 20n, p, 0, 'x', 71));
  w.writeRecordBytes(a2!);
  const owner: RawHead = { type: RT.OPEN, flags: 0, tid: 72, ts: T0 + 11n, start: T0, pid: 70, cpu: 0 };
  w.writeRecord(chunkString(owner, DK.FILENAME, Buffer.from('/b'), false)[0]!);
  // a PATH chunk whose owner is an exec: an orphan too.
  const e = exec({ ts: T0 + 30n, process: p, tid: 73 });
  w.write(e);
  w.writeRecord(chunkString({ ...owner, type: RT.EXEC, tid: 73, ts: T0 + 30n }, DK.PATH, Buffer.from('/p'), false)[0]!);
  w.writeFooter();
  const c = readCaptureBuffer(w.finish());
  const gotA = c.events[0] as OpenEvent;
  t.is(gotA.path.bytes.toString(), `/a/${'x'.repeat(205)}`, 'the bytes before the loss');
  t.true(gotA.path.truncated);
  t.deepEqual(c.events.slice(1), [b, exit(T0 + 20n, p, 0, 'x', 71), e]);
  t.deepEqual(c.warnings, [{ code: 'orphan-data', message: '3 data chunks had no owner record (ignored)' }]);
});

test('65,536 threads with an open each, then one more: every path assembled across the sweep of the owner table', (t) => {
  const p = key(90, T0);
  const w = new CaptureWriter({});
  const threads = 65_536;
  for (let i = 0; i < threads; i++) {
    w.write(open({ ts: T0 + BigInt(10 + 2 * i), process: p, tid: 1000 + i, path: `/t/${i}`, result: 3 }));
    w.write(exit(T0 + BigInt(11 + 2 * i), p, 0, 'x', 1000 + i));
  }
  // A late chunk of the first thread's open (its thread has moved on): an orphan.
  const first: RawHead = { type: RT.OPEN, flags: 0, tid: 1000, ts: T0 + 10n, start: T0, pid: 90, cpu: 0 };
  w.writeRecord(chunkString(first, DK.PATH, Buffer.from('/late'), false)[0]!);
  // The first thread again, a two-chunk path; between its chunks, an open of a thread not seen yet
  // (the table is full: it is swept, and the pending open must survive that).
  const again = open({ ts: T0 + 200_000n, process: p, tid: 1000, path: `/again/${'y'.repeat(300)}`, result: 4 });
  const newcomer = open({ ts: T0 + 200_001n, process: p, tid: 999_999, path: '/new', result: 5 });
  const [r0, r1, r2] = ((f: Buffer): Buffer[] => {
    const out: Buffer[] = [];
    for (let off = f.readUInt32LE(FILE_HEADER.header_size); off < f.length; off += RECORD_SIZE)
      out.push(f.subarray(off, off + RECORD_SIZE));
    return out;
  })(writeCapture({}, [again], { footer: null }));
  w.writeRecordBytes(r0!).writeRecordBytes(r1!);
  w.write(newcomer);
  w.writeRecordBytes(r2!);
  w.writeFooter();
  const c = readCaptureBuffer(w.finish());
  const opens = c.events.filter((e): e is OpenEvent => e.kind === 'open');
  t.is(opens.length, threads + 2);
  t.true(opens.slice(0, threads).every((o, i) => o.path.bytes.toString() === `/t/${i}` && !o.path.truncated));
  t.deepEqual(opens.slice(threads), [again, newcomer]);
  t.deepEqual(c.warnings, [{ code: 'orphan-data', message: '1 data chunk had no owner record (ignored)' }]);
});

test('an open whose path never arrives is emitted at the end of the file with an empty, truncated path', (t) => {
  const p = key(80, T0);
  const w = new CaptureWriter({});
  w.writeRecord({
    kind: 'open',
    head: { type: RT.OPEN, flags: 0, tid: 80, ts: T0 + 1n, start: T0, pid: 80, cpu: 2 },
    dirfd: -100,
    result: 3,
    flags: 0,
    mode: 0,
    syscallNr: 257,
    latencyNs: 5n,
  });
  w.write(fork(T0 + 2n, key(81, T0), key(82, T0 + 2n)));
  const c = readCaptureBuffer(w.finish());
  t.deepEqual(c.events, [
    { ...open({ ts: T0 + 1n, process: p, path: '', result: 3, latencyNs: 5n }), path: cb('', true) },
    fork(T0 + 2n, key(81, T0), key(82, T0 + 2n)),
  ]);
  t.deepEqual(codes(c), ['no-footer']);
});

test('format 1.0: a file written as 1.0 reads with no resource usage', (t) => {
  for (const le of [true, false]) {
    const p = key(90, T0);
    const events = [fork(T0 + 1n, key(1, T0), p), exit(T0 + 2n, p, 3 << 8, 'x', 90, null)];
    const buf = writeCapture({ versionMinor: 0 }, events, { littleEndian: le });
    const c = readCaptureBuffer(buf);
    t.is(c.header.versionMinor, 0);
    t.deepEqual(c.warnings, []);
    t.deepEqual(c.events, events);
    // Whatever a 1.0 file holds where 1.1 put the usage, a 1.0 exit has none.
    const hs = le ? buf.readUInt32LE(FILE_HEADER.header_size) : buf.readUInt32BE(FILE_HEADER.header_size);
    buf.fill(0x77, hs + RECORD_SIZE + 56, hs + 2 * RECORD_SIZE);
    t.deepEqual(readCaptureBuffer(buf).events, events);
    // The same bytes in a 1.1 file are usage.
    const v11 = writeCapture({}, [exit(T0 + 2n, p, 0, 'x', 90, someRusage())], { littleEndian: le });
    t.deepEqual((readCaptureBuffer(v11).events[0] as ExitEvent).rusage, someRusage());
  }
});

test('format 1.0: a real 1.0 capture (test/fixtures/format-1.0.raw) still reads cleanly', (t) => {
  const path = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'format-1.0.raw');
  const c = readCapture(path);
  t.deepEqual(c.warnings, []);
  t.is(`${c.header.versionMajor}.${c.header.versionMinor}`, '1.0');
  t.deepEqual([c.header.options.files, c.header.options.io, c.header.options.sched], [false, false, false]);
  const exits = c.events.filter((e): e is ExitEvent => e.kind === 'exit');
  t.is(exits.length, 13);
  t.true(exits.every((e) => e.rusage === null));
  t.is(c.events.filter((e) => e.kind === 'open' || e.kind === 'hist').length, 0);
  t.is(c.recordCounts.open, 0);
  t.is(c.recordCounts.hist, 0);
  t.is(c.events.filter((e) => e.kind === 'exec').length, 11);
  t.not(c.footer, null);
  const streamed: CaptureEvent[] = [];
  readCaptureStream(path, (e) => streamed.push(e));
  t.deepEqual(streamed, c.events);
});

test('a 1.1 file as a 1.0 reader sees it: new records skipped, their chunks ignored, exits unchanged', (t) => {
  // What this reader does with types and kinds newer than it knows is tested above; here, the
  // 1.1 additions stripped of their meaning must leave every 1.0 event as it was.
  const all = sampleEvents();
  const buf = writeCapture(SAMPLE_HEADER, all);
  const hs = buf.readUInt32LE(FILE_HEADER.header_size);
  for (let off = hs; off + RECORD_SIZE <= buf.length; off += RECORD_SIZE) {
    const type = buf.readUInt16LE(off);
    if (type === RT.OPEN) buf.writeUInt16LE(14, off); // an unknown type
    if (type === RT.HIST) buf.writeUInt16LE(15, off);
    if (type === RT.DATA && buf[off + 46] === DK.PATH) buf[off + 46] = 12; // an unknown kind
  }
  const c = readCaptureBuffer(buf);
  t.deepEqual(
    c.events,
    all.filter((e) => e.kind !== 'open' && e.kind !== 'hist'),
  );
  t.deepEqual(codes(c), ['unknown-data-kind', 'unknown-record-type']);
});

// ---------------------------------------------------------------- format 1.2: TCP connections

for (const le of [true, false]) {
  test(`tcp events round trip with IPv4, IPv6 and IPv4-mapped addresses, abandoned and at-stop (1.5), ${le ? 'little' : 'big'} endian`, (t) => {
    const base = { tid: 7, process: { pid: 7, start: 1_000n }, tcpState: null, softErrno: null };
    const events = [
      {
        ...base,
        kind: 'tcp',
        ts: 2_000n,
        event: 'connected',
        role: 'client',
        family: 4,
        localAddress: '127.0.0.1',
        localPort: 40000,
        remoteAddress: '10.1.2.3',
        remotePort: 443,
        errno: null,
        connId: 1,
        startTs: 1_500n,
        latencyNs: 500n,
        bytesSent: 0n,
        bytesReceived: 0n,
        retransmits: 0,
      },
      {
        ...base,
        kind: 'tcp',
        ts: 3_000n,
        event: 'closed',
        role: 'client',
        family: 4,
        localAddress: '127.0.0.1',
        localPort: 40000,
        remoteAddress: '10.1.2.3',
        remotePort: 443,
        errno: null,
        connId: 1,
        startTs: 1_500n,
        latencyNs: 0n,
        bytesSent: 1000n,
        bytesReceived: 5000n,
        retransmits: 2,
      },
      {
        ...base,
        kind: 'tcp',
        ts: 4_000n,
        event: 'failed',
        role: 'client',
        family: 6,
        localAddress: '::',
        localPort: 0,
        remoteAddress: '2001:db8::1',
        remotePort: 80,
        errno: 111,
        connId: 2,
        startTs: 3_500n,
        latencyNs: 500n,
        bytesSent: 0n,
        bytesReceived: 0n,
        retransmits: 0,
      },
      {
        ...base,
        kind: 'tcp',
        ts: 5_000n,
        event: 'accepted',
        role: 'server',
        family: 6,
        localAddress: '::ffff:127.0.0.1',
        localPort: 8080,
        remoteAddress: 'fe80::1:2:0:0:3',
        remotePort: 50000,
        errno: null,
        connId: 3,
        startTs: 5_000n,
        latencyNs: 0n,
        bytesSent: 0n,
        bytesReceived: 0n,
        retransmits: 0,
      },
      {
        ...base,
        kind: 'tcp',
        ts: 6_000n,
        event: 'failed',
        role: 'client',
        family: 4,
        localAddress: '0.0.0.0',
        localPort: 0,
        remoteAddress: '10.9.9.9',
        remotePort: 22,
        errno: null,
        softErrno: 113,
        connId: 4,
        startTs: 5_500n,
        latencyNs: 500n,
        bytesSent: 0n,
        bytesReceived: 0n,
        retransmits: 0,
      },
      {
        ...base,
        kind: 'tcp',
        ts: 7_000n,
        event: 'at-stop',
        role: 'server',
        family: 6,
        localAddress: '::ffff:127.0.0.1',
        localPort: 8080,
        remoteAddress: 'fe80::1:2:0:0:3',
        remotePort: 50000,
        errno: null,
        tcpState: 'CLOSE_WAIT',
        connId: 3,
        startTs: 5_000n,
        latencyNs: 0n,
        bytesSent: 12n,
        bytesReceived: 34n,
        retransmits: 1,
      },
    ] as const;
    const c = readCaptureBuffer(writeCapture({ options: { net: true } }, events, { littleEndian: le }));
    t.true(c.header.options.net);
    t.deepEqual(c.warnings, []);
    const tcp = c.events.filter((e) => e.kind === 'tcp');
    t.deepEqual(
      tcp.map((e) => ({ ...e, errnoName: undefined, softErrnoName: undefined })),
      events.map((e) => ({ ...e, errnoName: undefined, softErrnoName: undefined })),
    );
    t.is(tcp[2]!.kind === 'tcp' ? tcp[2]!.errnoName : '', 'ECONNREFUSED');
    t.is(tcp[4]!.kind === 'tcp' ? tcp[4]!.softErrnoName : '', 'EHOSTUNREACH');
    t.is(c.recordCounts.tcp, 6);
  });
}

for (const le of [true, false]) {
  test(`dns events round trip: answers of both families, a failure, a name over several chunks, ${le ? 'little' : 'big'} endian`, (t) => {
    const base = { tid: 8, process: { pid: 8, start: 1_000n } };
    const long = `${'a'.repeat(250)}.example`;
    const events = [
      {
        ...base,
        kind: 'dns',
        ts: 2_000n,
        name: 'localhost',
        result: 0,
        count: 2,
        answers: [
          { family: 4, address: '127.0.0.1' },
          { family: 6, address: '::1' },
        ],
        startTs: 1_900n,
        latencyNs: 100n,
      },
      {
        ...base,
        kind: 'dns',
        ts: 3_000n,
        name: long,
        result: -2,
        count: 0,
        answers: [],
        startTs: 2_900n,
        latencyNs: 100n,
      },
    ] as const;
    const c = readCaptureBuffer(writeCapture({ options: { dns: true } }, events, { littleEndian: le }));
    t.true(c.header.options.dns);
    t.deepEqual(c.warnings, []);
    const dns = c.events.filter((e) => e.kind === 'dns');
    t.is(dns.length, 2);
    const [a, b] = dns as Extract<(typeof c.events)[number], { kind: 'dns' }>[];
    t.is(a!.name.bytes.toString(), 'localhost');
    t.deepEqual(a!.answers, events[0].answers);
    t.is(a!.resultName, null);
    t.is(b!.name.bytes.toString(), long);
    t.false(b!.name.truncated);
    t.is(b!.resultName, 'EAI_NONAME');
    t.is(c.recordCounts.dns, 2);
  });
}

for (const le of [true, false]) {
  test(`dns_msg events round trip: both directions and families, binary bytes over several chunks, a cut message, ${le ? 'little' : 'big'} endian`, (t) => {
    const base = { tid: 8, process: { pid: 8, start: 1_000n } };
    const query = Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x61, 0, 0x62, 0, 0, 1, 0, 1]); // NULs inside: binary, not a string
    const big = Buffer.alloc(700, 0xa5);
    const events = [
      {
        ...base,
        kind: 'dns_msg',
        ts: 2_000n,
        direction: 'sent',
        family: 4,
        localAddress: '127.0.0.1',
        localPort: 40000,
        remoteAddress: '127.0.0.53',
        remotePort: 53,
        length: query.length,
        message: { bytes: query, truncated: false },
      },
      {
        ...base,
        kind: 'dns_msg',
        ts: 3_000n,
        direction: 'received',
        family: 6,
        localAddress: '::1',
        localPort: 40001,
        remoteAddress: 'fd00::53',
        remotePort: 53,
        length: 1500,
        message: { bytes: big, truncated: true },
      },
    ] as const;
    const c = readCaptureBuffer(writeCapture({ options: { dnsMessages: true } }, events, { littleEndian: le }));
    t.true(c.header.options.dnsMessages);
    t.false(c.header.options.dns);
    t.deepEqual(c.warnings, []);
    t.deepEqual(c.events, events);
    t.is(c.recordCounts.dns_msg, 2);
    t.is(c.recordCounts.data, 1 + 4);
  });
}

test('every record type of ptrace.h but PT_DATA and PT_FOOTER has its module in formats/records/', (t) => {
  for (const [name, type] of Object.entries(RT)) {
    if (type === RT.DATA || type === RT.FOOTER) continue;
    t.is(RECORD_TYPES[type]?.type, type, `PT_${name}`);
  }
});
