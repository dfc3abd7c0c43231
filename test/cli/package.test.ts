// The package as a user installs it: `npm pack`, `npm install -g` into a
// temporary prefix, then the installed `ptrace` on the lowest and the newest
// Node that package.json's engines names, with nothing else on PATH (no
// compiler, no TypeScript): its replay output must be the clone's, byte for
// byte, and as root it captures with the capture tool it ships.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { ptraceSync } from '../helpers/cli.ts';
import { ROOT, realCaptureTest, tempDir } from '../helpers/real-capture.ts';

const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const SAMPLE = join(ROOT, 'samples/make-build.raw');
const LOWEST_NODE = process.env.PTRACE_NODE22_DIR ?? '/opt/ptrace-node22';

/** The Node installations to run the package with: the one running the tests, and the lowest that engines allows. */
function nodes(): { name: string; bin: string }[] {
  const out = [{ name: `node ${process.version}`, bin: process.execPath }];
  const lowest = join(LOWEST_NODE, 'bin/node');
  const floor = String(pjson.engines.node).replace(/^>=\s*/, '');
  const version = existsSync(lowest) ? execFileSync(lowest, ['--version'], { encoding: 'utf8' }).trim() : '';
  if (version.startsWith(`v${floor}.`)) out.push({ name: `node ${version}`, bin: lowest });
  else {
    const why = `Node ${floor}, the lowest engines allows, is not at ${LOWEST_NODE} (found ${version || 'none'}; .ci/setup installs it)`;
    if (process.env.CI === 'true') test('the lowest supported Node is installed', (t) => t.fail(why));
    else process.stderr.write(`package test on the lowest Node skipped: ${why}\n`);
  }
  return out;
}

interface Installed {
  dir: string;
  tarball: string;
  files: string[];
  size: number;
  ptrace: string;
}

let installed: Installed | undefined;
function install(): Installed {
  if (installed) return installed;
  const dir = tempDir('ptrace-pack-');
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [info] = JSON.parse(out.slice(out.indexOf('[')));
  const tarball = join(dir, info.filename);
  const prefix = join(dir, 'prefix');
  execFileSync(
    'npm',
    ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  installed = {
    dir,
    tarball,
    files: info.files.map((f: { path: string }) => f.path),
    size: statSync(tarball).size,
    ptrace: join(prefix, 'bin/ptrace'),
  };
  return installed;
}

/** A PATH with only node and what the sh launcher uses: no compiler, no tsc, no npm. */
function barePath(nodeBin: string, dir: string): string {
  const bin = join(dir, `path-${Math.random().toString(36).slice(2)}`);
  mkdirSync(bin);
  symlinkSync(nodeBin, join(bin, 'node'));
  for (const tool of ['sh', 'uname', 'readlink', 'true']) symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
  return bin;
}

test.serial('the tarball holds the compiled CLI, the capture tool and no tests, benches or sources', (t) => {
  const { files, size } = install();
  t.log(`tarball: ${(size / 1e6).toFixed(2)} MB, ${files.length} files`);
  t.true(size < 10e6, 'under 10 MB');
  for (const f of ['bin/ptrace', 'dist/bin/main.js', 'dist/bin/commands.js', 'prebuilt/linux-x64/ptrace-capture'])
    t.true(files.includes(f), f);
  const unexpected = files.filter(
    (f) =>
      /^(test|testkit|bench|scripts|capture|bpf|analyze\/(?!SCHEMA\.md$)|formats\/(?!FORMAT\.md$))\//.test(f) ||
      f.endsWith('.ts') ||
      (f.startsWith('samples/') && f !== 'samples/make-build.raw'),
  );
  t.deepEqual(unexpected, []);
  t.false(existsSync(join(ROOT, 'dist')) || existsSync(join(ROOT, 'prebuilt')), 'postpack leaves the clone as it was');
});

for (const node of nodes()) {
  test.serial(`installed, on ${node.name} with nothing else on PATH: replay output equals the clone's`, (t) => {
    const { ptrace, dir } = install();
    const env = { PATH: barePath(node.bin, dir), NO_COLOR: '1', HOME: dir, LANG: 'C' };
    const version = spawnSync(ptrace, ['--version'], { env, encoding: 'utf8' });
    t.is(version.status, 0, version.stderr);
    t.true(version.stdout.startsWith(`ptrace ${pjson.version} (${node.name},`), version.stdout);
    t.regex(version.stdout, /^raw format: writes 1\.\d+; reads 1\.0 to 1\.\d+/m);
    for (const args of [
      ['info', SAMPLE],
      ['tree', '--dedup', SAMPLE],
      ['stats', SAMPLE],
      ['otel', SAMPLE, '--dump-otel', '-'],
      ['export', '--format', 'jsonl', '-o', '-', SAMPLE],
    ]) {
      const got = spawnSync(ptrace, args, { env, encoding: 'utf8', maxBuffer: 1 << 28 });
      const want = ptraceSync(args);
      t.is(got.status, want.code, `${args[0]}: ${got.stderr}`);
      t.is(got.stderr, want.stderr, `${args[0]} stderr`);
      t.true(got.stdout === want.stdout && got.stdout.length > 100, `${args[0]} output is the clone's`);
    }
    const typo = spawnSync(ptrace, ['tre', SAMPLE], { env, encoding: 'utf8' });
    t.is(typo.status, 2);
    t.is(
      typo.stderr,
      'ptrace: `tre` is not a ptrace command; did you mean `ptrace tree`? (`ptrace help` lists them)\n',
    );
    const help = spawnSync(ptrace, ['help', 'tree'], { env, encoding: 'utf8' });
    t.is(help.status, 0);
    t.regex(help.stdout, /^USAGE\n {2}\$ ptrace tree FILE/m);
  });
}

realCaptureTest('installed, as root: capture uses the capture tool the package ships', (t) => {
  const { ptrace, dir } = install();
  const out = join(dir, 'true.raw');
  rmSync(out, { force: true });
  const env = { PATH: barePath(process.execPath, dir), NO_COLOR: '1', HOME: dir, LANG: 'C' };
  const r = spawnSync(ptrace, ['capture', '-o', out, '--', 'true'], { env, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const info = ptraceSync(['info', out]);
  t.regex(info.stdout, /^capture command: \S*\/prebuilt\/linux-x64\/ptrace-capture -o /m);
  t.regex(ptraceSync(['tree', out]).stdout, /^true {2}\(\d+, /);
});
