// ptrace diff on real captures: a small Makefile project built and run
// twice, B with one thing changed (a broken source file, an environment
// variable, a deleted input). The summary line and the exit status are
// asserted. Timing is real noise here (a loaded machine doubles a compile's
// wall time), so the runs that must be equal are compared without it.
import { copyFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { ptraceSync } from '../helpers/cli.ts';
import { captureSync, realCaptureTest, TEST_ENV, tempDir } from '../helpers/real-capture.ts';

const MAKEFILE = `CC ?= cc
app: main.o util.o
\t$(CC) -o app main.o util.o
%.o: %.c
\t$(CC) -O1 -c $< -o $@
run: app
\t./app
\tcat data.txt
\tsh -c 'test "$$GREETING" = hello'
`;
const UTIL_OK = 'int util(void) { return 42; }\n';
const UTIL_BROKEN = 'int util(void) { return 42\n';

function project(): string {
  const dir = tempDir('ptrace-diff-project-');
  writeFileSync(join(dir, 'Makefile'), MAKEFILE);
  writeFileSync(
    join(dir, 'main.c'),
    '#include <stdio.h>\nint util(void);\nint main(void) { printf("%d\\n", util()); return 0; }\n',
  );
  writeFileSync(join(dir, 'util.c'), UTIL_OK);
  writeFileSync(join(dir, 'data.txt'), 'data\n');
  return dir;
}

/** `make run` from a clean tree, traced; GREETING in the environment. */
function run(t: ExecutionContext, dir: string, name: string, greeting = 'hello', expectStatus = 0): string {
  for (const f of ['main.o', 'util.o', 'app']) rmSync(join(dir, f), { force: true });
  const r = captureSync(['make', 'run'], {
    cwd: dir,
    env: { ...TEST_ENV, GREETING: greeting },
    file: join(dir, `${name}.raw`),
    flags: ['-q'],
  });
  t.is(r.status, expectStatus, `${name}: ${r.stderr}`);
  return r.file;
}

const diff = (a: string, b: string, ...rest: string[]) => ptraceSync(['diff', a, b, ...rest]);
const WITHOUT_TIMING = [
  '--only',
  'failures',
  '--only',
  'processes',
  '--only',
  'env',
  '--only',
  'files',
  '--only',
  'net',
];

realCaptureTest(
  'the same build twice: no difference but timing; B with a broken source: its compile is the first divergence',
  (t) => {
    const dir = project();
    const a = run(t, dir, 'a');
    const again = run(t, dir, 'again');
    const same = diff(a, again, ...WITHOUT_TIMING);
    t.is(same.code, 0, same.stdout);
    t.is(same.stdout.split('\n')[0], 'no differences beyond the noise thresholds');

    writeFileSync(join(dir, 'util.c'), UTIL_BROKEN);
    const broken = run(t, dir, 'broken', 'hello', 2);
    const r = diff(a, broken);
    t.is(r.code, 1, r.stderr);
    const summary = r.stdout.split('\n')[0]!;
    // cc1 of util.c fails first, then cc, then make; the link, the program, cat and sh never run
    // (7 processes: as, cc + collect2 + ld, app, cat, sh).
    t.regex(
      summary,
      /^B failed: `cc1 [^`]* util\.c [^`]*` exit 1 \(new\); 2 other outcomes changed; 7 processes only in A(;|$)/,
    );
    t.regex(r.stdout, /\n {2}B: make run → cc -O1 -c util\.c -o util\.o → cc1 [^\n]*\(exit 1\)\n/);
  },
);

realCaptureTest('B with a changed environment variable: the variable, once, and the script it broke', (t) => {
  const dir = project();
  const a = run(t, dir, 'a');
  const b = run(t, dir, 'bye', 'bye', 2);
  const r = diff(a, b);
  t.is(r.code, 1, r.stderr);
  t.true(
    r.stdout.startsWith(
      `B failed: \`sh -c 'test "$GREETING" = hello'\` exit 1 (new); 1 other outcome changed; env: GREETING changed`,
    ),
    r.stdout,
  );
  t.regex(r.stdout, /\n {2}~ GREETING: hello → bye {2}at make run\n/);
  const only = diff(a, b, '--only', 'env');
  t.is(only.code, 1);
  t.is(only.stdout.split('\n')[0], 'env: GREETING changed');
});

realCaptureTest('B with a deleted input file: the new ENOENT where A opened it', (t) => {
  const dir = project();
  const a = run(t, dir, 'a');
  copyFileSync(join(dir, 'data.txt'), join(dir, 'data.keep'));
  unlinkSync(join(dir, 'data.txt'));
  const b = run(t, dir, 'missing', 'hello', 2);
  const r = diff(a, b);
  t.is(r.code, 1, r.stderr);
  t.true(
    r.stdout.startsWith(
      `B failed: \`cat data.txt\` exit 1 (new); 1 other outcome changed; 1 process only in A; new ENOENT: ${dir}/data.txt`,
    ),
    r.stdout,
  );
  const files = diff(a, b, '--only', 'files', '--json');
  t.is(files.code, 1);
  const doc = JSON.parse(files.stdout);
  t.deepEqual(
    doc.files.newFailures.map((f: { path: string; errno: string; where: { argv: string[] } }) => [
      f.path,
      f.errno,
      f.where.argv,
    ]),
    [[`${dir}/data.txt`, 'ENOENT', ['cat', 'data.txt']]],
  );
});
