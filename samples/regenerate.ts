#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
// Regenerates the sample raw files from real runs (needs root and the built
// capture tool): `sudo node samples/regenerate.ts [NAME…]` (all of them, or
// only the named ones, e.g. `hostile`). Run it whenever the raw format
// changes, then update the golden files (UPDATE_GOLDEN=1 npm test).
// Each run uses a small, fixed environment so no secrets of the machine that
// made it end up in a committed file.
import { $, cd, fs, path, tmpdir } from 'zx';

const here = path.dirname(fileURLToPath(import.meta.url));
const capture = process.env.PTRACE_CAPTURE_BIN || path.join(here, '../capture/build/ptrace-capture');
if (process.getuid?.() !== 0) {
  console.error('samples/regenerate: needs root to load BPF (sudo node samples/regenerate.ts)');
  process.exit(1);
}
$.verbose = false;

const work = tmpdir('ptrace-samples');
const home = path.join(work, 'home');
await fs.mkdirp(home);
const env = {
  PATH: '/usr/bin:/bin',
  HOME: home,
  LANG: 'C.UTF-8',
  USER: 'sample',
  CI: 'true',
  CI_JOB_ID: '4242',
  API_TOKEN: 'not-a-real-token-0000',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Sample Author',
  GIT_AUTHOR_EMAIL: 'author@example.invalid',
  GIT_COMMITTER_NAME: 'Sample Author',
  GIT_COMMITTER_EMAIL: 'author@example.invalid',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
};

const only = process.argv.slice(2);
const wanted = (name: string): boolean => only.length === 0 || only.includes(name);

async function record(
  name: string,
  cwd: string,
  command: string[],
  expectedExit: number,
  extra: { env?: Record<string, string>; flags?: string[] } = {},
) {
  const out = path.join(here, `${name}.raw`);
  cd(cwd);
  const result = await $({
    env: { ...env, ...extra.env },
    nothrow: true,
  })`${capture} -q -f -o ${out} ${extra.flags ?? []} -- ${command}`;
  if (result.exitCode !== expectedExit) {
    throw new Error(`${name}: expected exit ${expectedExit}, got ${result.exitCode}: ${result.stderr}`);
  }
  const size = (await fs.stat(out)).size;
  if (size > 1024 * 1024) throw new Error(`${name}: ${size} bytes, samples must stay under 1 MiB`);
  await fs.chmod(out, 0o644);
  console.log(`${name}.raw: ${size} bytes, exit ${result.exitCode}`);
}

// 1. A small C build with make -j2: 4 objects, one link.
if (wanted('make-build')) {
  const build = path.join(work, 'make-build');
  await fs.mkdirp(build);
  for (const n of ['one', 'two', 'three', 'four']) {
    await fs.writeFile(path.join(build, `${n}.c`), `int ${n}(int x) { return x * ${n.length}; }\n`);
  }
  await fs.writeFile(
    path.join(build, 'main.c'),
    'int one(int), two(int), three(int), four(int);\nint main(void) { return one(1) + two(2) + three(3) + four(4) - 40; }\n',
  );
  await fs.writeFile(
    path.join(build, 'Makefile'),
    'OBJS = main.o one.o two.o three.o four.o\nprog: $(OBJS)\n\tcc -o $@ $(OBJS)\n%.o: %.c\n\tcc -O1 -c $< -o $@\ncheck: prog\n\t./prog\n',
  );
  await record('make-build', build, ['make', '-j2', 'check'], 0);
}

// 2. A shell pipeline that fails part-way: a missing command, a file that is not executable,
//    a grep that finds nothing under set -o pipefail.
if (wanted('failing-pipeline')) {
  const pipeline = path.join(work, 'pipeline');
  await fs.mkdirp(pipeline);
  await fs.writeFile(
    path.join(pipeline, 'data.txt'),
    `${Array.from({ length: 50 }, (_, i) => `line ${i} ${i % 7 === 0 ? 'error' : 'ok'}`).join('\n')}\n`,
  );
  await fs.writeFile(
    path.join(pipeline, 'pipeline.sh'),
    `${[
      'set -o pipefail',
      'sort data.txt | uniq -c | grep -c ok',
      'cat data.txt | grep error | wc -l',
      'no-such-tool --version | head -1 || echo "tool missing, continuing"',
      './data.txt || echo "not executable (EACCES), continuing"',
      'cat data.txt | grep FATAL | tr a-z A-Z',
      'echo unreachable',
    ].join('\n')}\n`,
  );
  await record('failing-pipeline', pipeline, ['bash', '-e', 'pipeline.sh'], 1);
}

// 3. A git workflow on a local repository: init, commit, branch, merge, log.
if (wanted('git-workflow')) {
  const repo = path.join(work, 'repo');
  await fs.mkdirp(repo);
  await fs.writeFile(
    path.join(repo, 'workflow.sh'),
    `${[
      'set -e',
      'git init -q -b main .',
      'echo one > a.txt && git add a.txt && git commit -q -m one',
      'git checkout -q -b feature',
      'echo two >> a.txt && git commit -q -am two',
      'git checkout -q main',
      'git merge -q --no-edit feature',
      'git log --oneline | wc -l',
      'git status --short',
    ].join('\n')}\n`,
  );
  await record('git-workflow', repo, ['sh', 'workflow.sh'], 0);
}

// 4. A program hostile to whoever replays the capture (samples/hostile.c): terminal escapes, fake
//    lines, bidi and C1 controls, invalid UTF-8 everywhere it can put them (also in the capture's
//    TRACEPARENT), a 300 KiB argv (cut at the smallest args limit, 128 KiB), a chain of 300
//    processes each forking the next. Exits 3.
if (wanted('hostile')) {
  const dir = path.join(work, 'hostile');
  await fs.mkdirp(dir);
  await $`cc -O1 -o ${path.join(dir, 'hostile')} ${path.join(here, 'hostile.c')}`;
  await record('hostile', dir, ['./hostile', '300', '\x1b]0;pwned title\x07', 'line1\nFAKE: root exit 0'], 3, {
    env: { TRACEPARENT: '00-\x1b[2J\u202e-\u009b31m' },
    flags: ['--args-limit', '131072'],
  });
}

// 5. An attached capture (--pid): a small server already running (with a helper child running
//    too) when the capture attaches; then it forks three workers (one fails), one of them in a
//    new pid namespace (unshare -p -f), stops its helper and exits, which ends the capture.
if (wanted('attach-server')) {
  const dir = path.join(work, 'attach-server');
  await fs.mkdirp(dir);
  const go = path.join(dir, 'go');
  await fs.writeFile(
    path.join(dir, 'server.sh'),
    `${[
      'sleep 30 &',
      'helper=$!',
      `while [ ! -e ${go} ]; do sleep 0.05; done`,
      'for n in 1 2 3; do',
      '  if [ $n = 2 ]; then unshare -p -f sh -c "echo worker $n in its own pid namespace > out.$n"',
      '  else sh -c "echo worker $n > out.$n; exit $((n - 1))"; fi',
      'done',
      'kill $helper',
      'wait',
      'exit 0',
    ].join('\n')}\n`,
  );
  const { spawn } = await import('node:child_process');
  const server = spawn('sh', ['server.sh'], { cwd: dir, env, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const out = path.join(here, 'attach-server.raw');
  const run = $({ env, nothrow: true })`${capture} -q -f -o ${out} --pid ${server.pid}`;
  await new Promise((r) => setTimeout(r, 1000));
  await fs.writeFile(go, '');
  const result = await run;
  if (result.exitCode !== 0) throw new Error(`attach-server: capture exit ${result.exitCode}: ${result.stderr}`);
  await fs.chmod(out, 0o644);
  console.log(`attach-server.raw: ${(await fs.stat(out)).size} bytes`);
}

await fs.remove(work);
