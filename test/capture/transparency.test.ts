// `ptrace capture -o FILE -- CMD` must behave exactly like `CMD`: the same
// argv, file descriptors, process state and signals, and its figures must
// agree across every report. Real captures through the `ptrace` launcher
// (bin/ptrace), as a user runs it.

import type { SpawnSyncOptions } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import { readCapture } from '../../formats/reader.ts';
import type { ExecFailedEvent } from '../../formats/types.ts';
import { cc, execs, ROOT, realCaptureTest, tempDir } from '../helpers/real-capture.ts';

const LAUNCHER = join(ROOT, 'bin/ptrace');
/** The launcher runs `node` from PATH for the replay commands: this one. */
const ENV: NodeJS.ProcessEnv = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, LANG: 'C' };

function ptrace(args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(LAUNCHER, args, { encoding: 'utf8', env: ENV, timeout: 120_000, maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Runs a bash script (for redirections and process substitution) with $PTRACE set to the launcher. */
function bash(script: string, cwd: string) {
  const r = spawnSync('bash', ['-c', script], {
    cwd,
    encoding: 'utf8',
    env: { ...ENV, PTRACE: LAUNCHER },
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function helper(t: ExecutionContext, dir: string, name: string, source: string): string {
  const src = join(dir, `${name}.c`);
  writeFileSync(src, source);
  const bin = join(dir, name);
  cc(t, src, bin);
  return bin;
}

// ---- 1. argv ----------------------------------------------------------------

realCaptureTest('everything after the first -- reaches the command byte for byte (ptrace flags, a second --)', (t) => {
  const dir = tempDir();
  const argv = [
    'sh',
    '-c',
    'printf "[%s]" "$0" "$@"',
    '-o',
    'x',
    '-q',
    '-f',
    '--force',
    '--',
    '--help',
    '-h',
    ' a  b ',
    '',
  ];
  const r = ptrace(['capture', '-q', '-o', join(dir, 'run.raw'), '--', ...argv]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, '[-o][x][-q][-f][--force][--][--help][-h][ a  b ][]');
  const recorded = execs(readCapture(join(dir, 'run.raw')))[0]!.argv.map((b) => b.toString());
  t.deepEqual(recorded, argv);
});

realCaptureTest('cc -o app main.c through ptrace capture builds app', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'main.c'), 'int main(void) { return 7; }\n');
  const r = ptrace(['capture', '-q', '-o', 'run.raw', '--', 'cc', '-o', 'app', 'main.c'], { cwd: dir });
  t.is(r.status, 0, r.stderr);
  t.is(spawnSync(join(dir, 'app')).status, 7);
});

realCaptureTest(
  'a missing -- or an empty command is one ptrace: line, exit 2, nothing written; -h and --help before -- show the help',
  (t) => {
    const dir = tempDir();
    const file = join(dir, 'run.raw');
    for (const args of [
      ['-o', file, 'true'],
      ['-o', file],
      ['-o', file, '--'],
      ['-o', '--', 'true'],
    ]) {
      const r = ptrace(['capture', ...args], { cwd: dir });
      t.is(r.status, 2, args.join(' '));
      t.regex(r.stderr, /^ptrace: missing (`--` before the command|command after `--`)[^\n]*\n$/, args.join(' '));
      t.false(existsSync(file));
    }
    t.false(existsSync(join(dir, '--')), '`-o --` is not taken as the separator');
    for (const help of ['-h', '--help']) {
      const r = ptrace(['capture', '-o', file, help], { cwd: dir });
      t.is(r.status, 0, help);
      t.regex(r.stdout, /^USAGE\n {2}\$ ptrace capture -o FILE \[FLAGS\] -- COMMAND \[ARGS\.\.\.\]$/m, help);
    }
  },
);

// ---- 2. descriptors and process state -----------------------------------------

realCaptureTest('fd 3, a /dev/fd/63 from process substitution and a pipe pair reach the command', (t) => {
  const dir = tempDir();
  const r = bash(
    [
      '"$PTRACE" capture -q -o a.raw -- sh -c "echo on-fd-3 >&3" 3>fd3.log',
      '"$PTRACE" capture -q -o b.raw -- cat <(echo substituted)',
      // a pipe pair on fds 7 (read) and 8 (write), as make passes its jobserver
      'exec 8> >(cat > pipe.log); exec 7< <(printf token)',
      '"$PTRACE" capture -q -o c.raw -- sh -c "head -c 5 <&7 >&8"',
      'exec 8>&-',
      'wait',
    ].join('\n'),
    dir,
  );
  t.is(r.status, 0, r.stderr);
  t.is(readFileSync(join(dir, 'fd3.log'), 'utf8'), 'on-fd-3\n');
  t.is(r.stdout, 'substituted\n');
  // the writer behind >(…) finishes asynchronously
  for (let i = 0; i < 100 && readFileSync(join(dir, 'pipe.log'), 'utf8') === ''; i++) spawnSync('sleep', ['0.05']);
  t.is(readFileSync(join(dir, 'pipe.log'), 'utf8'), 'token');
});

realCaptureTest("a sub-make under ptrace capture uses the parent make's jobserver", (t) => {
  const dir = tempDir();
  const sub = ['all: a b c d', 'a b c d:', '\t@sleep 0.1; echo $@', ''].join('\n');
  writeFileSync(join(dir, 'sub.mk'), sub);
  writeFileSync(
    join(dir, 'Makefile'),
    ['all:', '\t+"$$PTRACE" capture -q -o sub.raw -- $(MAKE) -f sub.mk', ''].join('\n'),
  );
  const r = bash('make -s -j2', dir);
  t.is(r.status, 0, r.stderr);
  t.notRegex(r.stderr, /jobserver/, 'no "jobserver unavailable" warning');
  t.deepEqual(r.stdout.trim().split('\n').sort(), ['a', 'b', 'c', 'd']);
});

const CALLER_STATE = `
// Sets a process state unlike any default, then execs argv[1..]: SIGUSR1
// blocked, SIGINT and SIGHUP ignored, SIGPIPE default, 777 open files, umask 027.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
  (void)argc;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, 0);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_DFL);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = 777;
  setrlimit(RLIMIT_NOFILE, &rl);
  umask(027);
  execvp(argv[1], argv + 1);
  return 127;
}
`;

realCaptureTest(
  'the command sees the caller’s ignored signals, signal mask, open-files limit, umask and environment',
  (t) => {
    const dir = tempDir();
    const withState = helper(t, dir, 'caller-state', CALLER_STATE);
    const env = { ...ENV, SOME_VAR: 'kept as is' };
    const both = (command: string[]) => {
      const direct = spawnSync(withState, command, { encoding: 'utf8', env });
      const traced = spawnSync(
        withState,
        [LAUNCHER, 'capture', '-q', '-f', '-o', join(dir, 'run.raw'), '--', ...command],
        { encoding: 'utf8', env },
      );
      t.is(traced.status, 0, traced.stderr);
      return { direct: direct.stdout, traced: traced.stdout };
    };
    // grep directly: a shell would reset the mask
    const signals = both(['grep', '-E', '^(SigBlk|SigIgn):', '/proc/self/status']);
    t.is(
      signals.direct,
      'SigBlk:\t0000000000000200\nSigIgn:\t0000000000000003\n',
      'SIGUSR1 blocked; SIGHUP and SIGINT ignored, SIGPIPE not',
    );
    t.is(signals.traced, signals.direct);
    const rest = both(['sh', '-c', 'echo "nofile $(ulimit -Sn)"; echo "umask $(umask)"; env | sort']);
    t.regex(rest.direct, /^nofile 777\numask 0027\n/);
    t.is(rest.traced, rest.direct);
  },
);

realCaptureTest('the command is the child of the pid the caller started, in its process group', async (t) => {
  const dir = tempDir();
  // fields 4 and 5 of /proc/self/stat: ppid, pgid (the command name has no spaces here)
  const child = spawn(
    LAUNCHER,
    ['capture', '-q', '-o', join(dir, 'run.raw'), '--', 'cut', '-d', ' ', '-f', '4,5', '/proc/self/stat'],
    {
      env: ENV,
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const status = await new Promise((resolve) => child.on('exit', resolve));
  t.is(status, 0);
  t.is(out, `${child.pid} ${child.pid}\n`, 'parent: the pid the caller started; process group: the caller’s');
  t.is(readCapture(join(dir, 'run.raw')).header.capturePid, child.pid!);
});

realCaptureTest(
  'PATH search as execvp: a non-executable entry is skipped, a script without #! runs with sh, a command only found without x fails with EACCES',
  (t) => {
    const dir = tempDir();
    for (const d of ['a', 'b']) spawnSync('mkdir', [join(dir, d)]);
    writeFileSync(join(dir, 'a/tool'), '#!/bin/sh\necho from-a\n', { mode: 0o644 });
    writeFileSync(join(dir, 'b/tool'), '#!/bin/sh\necho from-b\n', { mode: 0o755 });
    writeFileSync(join(dir, 'b/noshebang'), 'echo "no #! line: $1"\n', { mode: 0o755 });
    const env = { ...ENV, PATH: `${join(dir, 'a')}:${join(dir, 'b')}:/usr/bin:/bin` };
    const failedExecs = (file: string) =>
      readCapture(join(dir, file))
        .events.filter((e): e is ExecFailedEvent => e.kind === 'exec_failed')
        .map((e) => `${e.filename.bytes} ${e.errnoName}`);

    const tool = ptrace(['capture', '-q', '-o', 'tool.raw', '--', 'tool'], { cwd: dir, env });
    t.is(tool.stdout, 'from-b\n');
    t.deepEqual(failedExecs('tool.raw'), []);

    const script = ptrace(['capture', '-q', '-o', 'script.raw', '--', 'noshebang', 'x'], { cwd: dir, env });
    t.is(script.stdout, 'no #! line: x\n');
    // as with execvp: the kernel refuses the file once (ENOEXEC), then /bin/sh runs it
    t.deepEqual(failedExecs('script.raw'), [`${join(dir, 'b/noshebang')} ENOEXEC`]);

    const denied = ptrace(['capture', '-q', '-o', 'denied.raw', '--', 'tool'], {
      cwd: dir,
      env: { ...env, PATH: join(dir, 'a') },
    });
    t.is(denied.status, 126);
    t.is(denied.stderr, 'ptrace: tool: Permission denied\n');
    t.deepEqual(failedExecs('denied.raw'), [`${join(dir, 'a/tool')} EACCES`]);
  },
);

// ---- 3. signals -------------------------------------------------------------

const COUNT_SIGNALS = String.raw`
// Appends a line to argv[1] for each SIGINT it gets; SIGTERM or SIGQUIT, or 60 s, ends it.
// It spins for its first 10 s: a running process takes a signal at once, so a
// second SIGINT sent a moment later is a second delivery, not merged with the first.
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
static int out;
static volatile sig_atomic_t done;
/* a second SIGINT sent while the handler runs stays pending and is counted after it */
static void on_int(int sig) { (void)sig; write(out, "INT\n", 4); usleep(200000); }
static void on_term(int sig) { write(out, sig == SIGTERM ? "TERM\n" : "QUIT\n", 5); done = 1; }
static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  if (argc < 2) return 2;
  out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND, 0644);
  struct sigaction sa = {0};
  sa.sa_handler = on_int;
  sigaction(SIGINT, &sa, 0);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, 0);
  sigaction(SIGQUIT, &sa, 0);
  write(out, "ready\n", 6);
  double start = now();
  while (!done && now() - start < 10)
    ;
  for (int i = 0; i < 1000 && !done; i++) usleep(50000);
  return 0;
}
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForFile(path: string, text: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (existsSync(path) && readFileSync(path, 'utf8').includes(text)) return;
    await sleep(25);
  }
}

for (const target of [
  'the process group',
  'the capture alone',
  'the process group and relayed to the capture (as sudo does)',
] as const) {
  realCaptureTest(
    `each SIGINT sent to ${target} reaches the command once`,
    async (t) => {
      const dir = tempDir();
      const counter = helper(t, dir, 'count-signals', COUNT_SIGNALS);
      const log = join(dir, 'signals.log');
      // detached: the capture leads its own process group, as a job started by a shell or CI runner does
      const child = spawn(LAUNCHER, ['capture', '-q', '-o', join(dir, 'run.raw'), '--', counter, log], {
        env: ENV,
        detached: true,
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await waitForFile(log, 'ready');
      // each round: a second delivery shows unless both arrive before the command runs (then they merge)
      const rounds = 5;
      for (let i = 0; i < rounds; i++) {
        if (target === 'the capture alone') process.kill(child.pid!, 'SIGINT');
        else process.kill(-child.pid!, 'SIGINT');
        if (target.includes('relayed')) spawnSync('kill', ['-INT', String(child.pid)]); // another sender, a moment later
        await sleep(400);
      }
      process.kill(child.pid!, 'SIGTERM');
      await exited;
      t.is(readFileSync(log, 'utf8'), `ready\n${'INT\n'.repeat(rounds)}TERM\n`);
    },
    { serial: true },
  );
}

realCaptureTest(
  'Ctrl-C typed at a terminal reaches the command once; a foreground command reads the terminal',
  async (t) => {
    const dir = tempDir();
    const counter = helper(t, dir, 'count-signals', COUNT_SIGNALS);
    const log = join(dir, 'signals.log');
    // script(1) runs the capture as the foreground job of a new pseudo-terminal and copies our input to it
    const run = (command: string) => {
      const child = spawn('script', ['-qfec', command, '/dev/null'], {
        cwd: dir,
        env: { ...ENV, PTRACE: LAUNCHER },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      child.stdin.on('error', (err) => t.log(`script's input: ${err.message}`));
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const done = new Promise<number | null>((resolve) => child.on('exit', resolve));
      return { child, done, output: () => output };
    };

    // exec: the capture leads the session, as in a terminal where it was typed (a shell in between would die of Ctrl-\)
    const ctrlC = run(`exec "$PTRACE" capture -q -o int.raw -- ${counter} ${log}`);
    await waitForFile(log, 'ready');
    ctrlC.child.stdin.write('\x03'); // Ctrl-C
    await sleep(400);
    ctrlC.child.stdin.write('\x1c'); // Ctrl-\ (SIGQUIT) ends the counter
    await ctrlC.done;
    t.is(
      readFileSync(log, 'utf8'),
      'ready\nINT\nQUIT\n',
      ctrlC.output() + ptrace(['tree', join(dir, 'int.raw')]).stdout,
    );

    const reader = run('"$PTRACE" capture -q -o read.raw -- sh -c \'read line; echo "got $line"\'');
    await sleep(300);
    reader.child.stdin.write('hello\r');
    const status = await Promise.race([reader.done, sleep(30_000).then(() => 'timeout')]);
    t.is(status, 0, reader.output());
    t.regex(reader.output(), /got hello/);
  },
  { serial: true },
);

realCaptureTest(
  'job control in an interactive shell: Ctrl-Z stops the capture with its command, fg resumes both, the command reads the terminal',
  async (t) => {
    const dir = tempDir();
    const shell = spawn('script', ['-qfec', 'bash --norc --noprofile -i', '/dev/null'], {
      cwd: dir,
      env: { ...ENV, PS1: '$ ', TERM: 'dumb', PTRACE: LAUNCHER },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    shell.stdin.on('error', (err) => t.log(`script's input: ${err.message}`));
    let out = '';
    shell.stdout.on('data', (d) => (out += d));
    const done = new Promise((resolve) => shell.on('exit', resolve));
    const type = async (keys: string, waitMs: number) => {
      shell.stdin.write(keys);
      await sleep(waitMs);
    };
    const until = async (text: string) => {
      for (let i = 0; i < 400 && !out.includes(text); i++) await sleep(25);
    };
    await sleep(300);
    await type(`"$PTRACE" capture -q -o jc.raw -- sh -c 'echo reading; read x; echo "got $x"'\r`, 0);
    await until('\nreading\r\n'); // the command's output, not the echo of the typed line
    await type('\x1a', 0); // Ctrl-Z
    await until('Stopped');
    await type('fg\r', 500);
    await type('hello\r', 0);
    await until('got hello');
    await type('echo "status $?"\r', 0);
    await until('status ');
    await type('exit\r', 0);
    await Promise.race([done, sleep(10_000)]);
    const at = (text: string) => out.indexOf(text);
    t.true(at('\nreading\r\n') >= 0 && at('\nreading\r\n') < at('Stopped'), JSON.stringify(out));
    t.true(at('Stopped') < at('got hello') && at('got hello') < at('status 0'), JSON.stringify(out));
  },
  { serial: true },
);

// ---- 4. the root's start and duration -------------------------------------------

function rootFigures(t: ExecutionContext, dir: string, file: string) {
  const json = (args: string[]) => {
    const r = ptrace(args, { cwd: dir });
    t.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const info = json(['info', file, '--json']);
  const captureStart = BigInt(info.time.startNs);
  const tree = json(['tree', file, '--json']);
  const stats = json(['stats', file, '--json']);
  ptrace(['db', file, '-o', 'run.db', '-f'], { cwd: dir });
  const db = new Database(join(dir, 'run.db'), { readonly: true });
  const summary = db
    .prepare('SELECT start_ns, duration_ns FROM process_summary WHERE parent_id IS NULL')
    .safeIntegers(true)
    .get() as { start_ns: bigint; duration_ns: bigint };
  db.close();
  const exported = ptrace(['export', file, '--format', 'jsonl'], { cwd: dir })
    .stdout.trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const rootRow = exported.find((p) => p.is_root);
  const otel = json(['otel', file, '--dump-otel', '-']);
  const spans = otel.resourceSpans[0].scopeSpans[0].spans as {
    name: string;
    startTimeUnixNano: string;
    endTimeUnixNano: string;
    attributes: { key: string; value: { stringValue?: string; intValue?: string } }[];
  }[];
  const attr = (s: (typeof spans)[0], k: string) => s.attributes.find((a) => a.key === k)?.value;
  const rootSpan = spans.find(
    (s) =>
      attr(s, 'ptrace.span.type')?.stringValue !== 'capture' &&
      attr(s, 'process.pid')?.intValue === String(info.capture.rootPid),
  );
  t.truthy(rootSpan, 'a span for the root process');
  return {
    captureStart,
    captureDuration: BigInt(info.time.durationNs),
    starts: {
      tree: captureStart + BigInt(tree.roots[0].startNs),
      stats: captureStart + BigInt(stats.slowest.find((p: { processId: number }) => p.processId === 1).startNs),
      db: summary.start_ns,
      export: BigInt(rootRow.start_ns),
      otel: BigInt(rootSpan!.startTimeUnixNano),
    },
    durations: {
      tree: BigInt(tree.roots[0].durationNs),
      stats: BigInt(stats.slowest.find((p: { processId: number }) => p.processId === 1).durationNs),
      db: BigInt(summary.duration_ns),
      export: BigInt(rootRow.duration_ns),
      otel: BigInt(rootSpan!.endTimeUnixNano) - BigInt(rootSpan!.startTimeUnixNano),
    },
    timeline: stats.timeline.buckets as { startNs: number }[],
    peakAtNs: stats.overview.peakAtNs as number,
  };
}

for (const command of [['/bin/true'], ['sh', '-c', 'sleep 0.2']]) {
  realCaptureTest(
    `the root of \`${command.join(' ')}\` has one start and one duration in info, tree, stats, db, export and otel`,
    (t) => {
      const dir = tempDir();
      const r = ptrace(['capture', '-q', '-o', 'run.raw', '--', ...command], { cwd: dir });
      t.is(r.status, 0, r.stderr);
      const f = rootFigures(t, dir, 'run.raw');
      const starts = Object.values(f.starts);
      const durations = Object.values(f.durations);
      t.true(
        starts.every((s) => s === f.starts.tree),
        `starts ${JSON.stringify(f.starts, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
      );
      t.true(
        durations.every((d) => d === f.durations.tree),
        `durations ${JSON.stringify(f.durations, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
      );
      t.true(f.starts.tree >= f.captureStart, 'the root starts within the capture');
      t.true(f.captureDuration >= f.durations.tree, 'the capture lasts at least as long as its root');
      t.true(f.timeline.every((b) => b.startNs >= 0) && f.peakAtNs >= 0, 'no negative offsets');
    },
  );
}

// ---- 5. no launcher PATH search in the record -------------------------------------

realCaptureTest(
  'capture -- true records no failed exec: the PATH search makes no failing execve (strace -f agrees)',
  (t) => {
    const dir = tempDir();
    const path = `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
    const r = ptrace(['capture', '-q', '-o', 'run.raw', '--', 'true'], { cwd: dir, env: { ...ENV, PATH: path } });
    t.is(r.status, 0, r.stderr);
    const capture = readCapture(join(dir, 'run.raw'));
    t.deepEqual(
      capture.events
        .filter((e): e is ExecFailedEvent => e.kind === 'exec_failed')
        .map((e) => e.filename.bytes.toString()),
      [],
    );
    t.deepEqual(
      execs(capture).map((e) => e.filename.bytes.toString()),
      ['/usr/bin/true'],
    );
    const stats = ptrace(['stats', 'run.raw'], { cwd: dir });
    t.regex(stats.stdout, /│ failed execs +│ 0 +│/);

    const strace = spawnSync(
      'strace',
      [
        '-f',
        '-qq',
        '-e',
        'trace=execve',
        '-o',
        join(dir, 'strace.log'),
        LAUNCHER,
        'capture',
        '-q',
        '-o',
        'strace.raw',
        '--',
        'true',
      ],
      { cwd: dir, env: { ...ENV, PATH: path } },
    );
    if (strace.error) {
      t.log(`strace not run: ${strace.error.message}`);
      return;
    }
    const failedExecve = readFileSync(join(dir, 'strace.log'), 'utf8')
      .split('\n')
      .filter((l) => /execve\(/.test(l) && / = -1 /.test(l));
    t.deepEqual(failedExecve, [], 'no failed execve anywhere: launcher, capture tool or command');
  },
);

realCaptureTest(
  'stats tells PATH-search misses (a later exec of the same name succeeded) from real failed execs',
  (t) => {
    const dir = tempDir();
    // env(1) searches PATH with execvp: two misses before /usr/bin/true; four failures for a name found nowhere
    const path = `${join(dir, 'nope1')}:${join(dir, 'nope2')}:/usr/bin:/bin`;
    const r = ptrace(
      [
        'capture',
        '-q',
        '-o',
        'run.raw',
        '--',
        'sh',
        '-c',
        'env true; env ptrace-no-such-command-xyz 2>/dev/null; exit 0',
      ],
      { cwd: dir, env: { ...ENV, PATH: path } },
    );
    t.is(r.status, 0, r.stderr);
    const stats = ptrace(['stats', 'run.raw'], { cwd: dir });
    t.regex(stats.stdout, /│ failed execs +│ 6 \(2 PATH-search misses, 4 real\) +│/);
    const json = JSON.parse(ptrace(['stats', 'run.raw', '--json'], { cwd: dir }).stdout);
    t.like(json.overview, { failedExecs: 6, failedExecSearchMisses: 2 });
  },
);

// ---- 7. --wait-all on a fork chain -------------------------------------------------

const FORK_CHAIN = `
// Each process forks its successor and exits at once: argv[1] links.
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int links = argc > 1 ? atoi(argv[1]) : 0;
  for (int i = 0; i < links; i++) {
    pid_t pid = fork();
    if (pid != 0)
      _exit(pid < 0);
  }
  _exit(0);
}
`;

realCaptureTest('--wait-all waits for every link of a 2,000-process fork chain, 20 times in a row', (t) => {
  const dir = tempDir();
  const chain = helper(t, dir, 'fork-chain', FORK_CHAIN);
  const recorded: number[] = [];
  for (let run = 0; run < 20; run++) {
    const file = join(dir, `chain-${run}.raw`);
    const r = ptrace([
      'capture',
      '-q',
      '--wait-all',
      '--no-files',
      '--no-net',
      '--no-dns',
      '-o',
      file,
      '--',
      chain,
      '2000',
    ]);
    t.is(r.status, 0, r.stderr);
    const capture = readCapture(file);
    recorded.push(capture.events.filter((e) => e.kind === 'exit').length);
  }
  t.deepEqual(recorded, Array(20).fill(2001));
});

// ---- 10. a full disk ----------------------------------------------------------------

/** A fresh tmpfs of `size` mounted on a temp dir, unmounted when the test ends. */
function smallDisk(t: ExecutionContext, size: string): string {
  const dir = tempDir('ptrace-disk-');
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'ptrace-test', dir], {
    encoding: 'utf8',
  });
  if (m.status !== 0) throw new Error(`mount tmpfs: ${m.stderr}`);
  t.teardown(() => {
    spawnSync('umount', [dir]);
  });
  return dir;
}

realCaptureTest(
  'a full disk: the command runs to its end, the failure is one line at once, info says where writing stopped, the file reads',
  (t) => {
    const disk = smallDisk(t, '256k');
    const work = tempDir();
    const file = join(disk, 'run.raw');
    // ~300 execs with their environments: far more than 256 KiB of records
    const script = 'i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done; echo "$i" > "$1"';
    const r = ptrace(['capture', '-o', file, '--', 'sh', '-c', script, 'sh', join(work, 'done')]);
    t.is(r.status, 0, 'the command’s own exit code');
    t.is(readFileSync(join(work, 'done'), 'utf8'), '300\n', 'the command ran to its end');
    const lines = r.stderr.trim().split('\n');
    t.is(lines.length, 1, r.stderr);
    t.regex(
      lines[0]!,
      /^ptrace: disk full: writing .*run\.raw stopped at \+[0-9.]+s \(No space left on device\) after \d+ records; the command keeps running$/,
    );

    const info = ptrace(['info', file]);
    t.is(info.status, 0, info.stderr);
    t.regex(info.stdout, /^end: +stopped writing at \+[0-9.]+s: disk full \(ENOSPC\); \d+ complete records$/m);
    const json = JSON.parse(ptrace(['info', file, '--json']).stdout);
    t.is(json.end.state, 'write-stopped');
    t.is(json.end.writeStop.errnoName, 'ENOSPC');
    t.is(json.end.writeStop.records, json.end.completeRecords, 'the file was cut after its last whole record');
    t.false(json.warnings.some((w: { code: string }) => w.code === 'partial-record'));
    const tree = ptrace(['tree', file]);
    t.is(tree.status, 0, tree.stderr);
    t.regex(tree.stdout, /^sh -c /);
  },
);

realCaptureTest('a disk too full for the header: refused before the command runs, no file left', (t) => {
  const disk = smallDisk(t, '64k');
  spawnSync('sh', ['-c', `cat /dev/zero > ${join(disk, 'filler')}`]);
  const work = tempDir();
  const file = join(disk, 'run.raw');
  const r = ptrace(['capture', '-o', file, '--', 'sh', '-c', 'echo ran > "$1"', 'sh', join(work, 'ran')]);
  t.is(r.status, 1);
  t.is(r.stderr, `ptrace: cannot write the header of ${file}: No space left on device\n`);
  t.false(existsSync(join(work, 'ran')), 'the command did not run');
  t.false(existsSync(file));
});
