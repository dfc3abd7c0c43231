// argv, env and cwd survive capture and replay byte for byte.
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureSync, execs, realCaptureTest, tempDir } from '../helpers/real-capture.ts';

/** bash $'…' quoting of arbitrary bytes, so a script can pass bytes that are not UTF-8. */
function bashQuote(bytes: Buffer): string {
  return `$'${[...bytes].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}'`;
}

/** Writes a bash script that execs `argv` exactly (argv[0] included, via exec -a). */
function execScript(dir: string, argv: Buffer[], envPrefix = ''): string {
  const script = join(dir, 'run.sh');
  const [argv0, ...rest] = argv;
  writeFileSync(script, `exec ${envPrefix}-a ${bashQuote(argv0)} /bin/true ${rest.map(bashQuote).join(' ')}\n`);
  return script;
}

const exactArgv = (capture: ReturnType<typeof captureSync>['capture'], argv0: Buffer) =>
  execs(capture).find((e) => e.argv[0]?.equals(argv0));

realCaptureTest('argv round-trips exactly: 100 KiB argument, empty, UTF-8, invalid UTF-8, newlines', (t) => {
  const dir = tempDir();
  const argv = [
    Buffer.from('ptrace-argv-test'),
    Buffer.from('x'.repeat(100 * 1024)),
    Buffer.from(''),
    Buffer.from('héllo wörld ✓ 日本語 🚀'),
    Buffer.from([0xff, 0xfe, 0x80, 0x41, 0xc3]),
    Buffer.from('line one\nline two\n'),
    Buffer.from(''),
    Buffer.from('last'),
  ];
  const { status, capture } = captureSync(['bash', execScript(dir, argv)]);
  t.is(status, 0);
  const exec = exactArgv(capture, argv[0]);
  t.truthy(exec, 'the exec of /bin/true was recorded');
  t.is(exec!.argv.length, argv.length);
  exec!.argv.forEach((arg, i) => t.true(arg.equals(argv[i]), `argv[${i}] (${argv[i].length} bytes) is exact`));
  t.false(exec!.argvTruncated);
  t.is(exec!.argc, argv.length);
});

realCaptureTest('argv round-trips exactly: 2000 arguments', (t) => {
  const dir = tempDir();
  const argv = [
    Buffer.from('ptrace-2000-args'),
    ...Array.from({ length: 1999 }, (_, i) => Buffer.from(`arg-${i}-${'y'.repeat(i % 17)}`)),
  ];
  const { capture } = captureSync(['bash', execScript(dir, argv)]);
  const exec = exactArgv(capture, argv[0]);
  t.truthy(exec);
  t.is(exec!.argv.length, 2000);
  t.true(
    exec!.argv.every((arg, i) => arg.equals(argv[i])),
    'all 2000 arguments exact',
  );
});

realCaptureTest('env of 1000 variables round-trips exactly', (t) => {
  const dir = tempDir();
  const env = Array.from({ length: 1000 }, (_, i) =>
    Buffer.from(`PTRACE_VAR_${i}=value ${i} ${'z'.repeat(i % 50)} = ünïcode`),
  );
  const envArgs = env.map(bashQuote).join(' ');
  // env -i VARS /bin/true MARKER: the exec of /bin/true carries exactly these 1000 variables, in this order.
  const script = join(dir, 'env.sh');
  writeFileSync(script, `exec env -i ${envArgs} /bin/true ptrace-env-test\n`);
  const { capture } = captureSync(['bash', script]);
  const exec = execs(capture).find((e) => e.argv[1]?.toString() === 'ptrace-env-test');
  t.truthy(exec);
  t.is(exec!.env!.length, 1000);
  t.true(
    exec!.env!.every((v, i) => v.equals(env[i])),
    'every variable exact, in order',
  );
  t.false(exec!.envTruncated);
});

realCaptureTest('cwd of a deeply nested directory (3,000+ bytes)', (t) => {
  const dir = realpathSync(tempDir());
  const parts = Array.from({ length: 300 }, (_, i) => `d${String(i).padStart(9, '0')}`);
  const deep = join(dir, ...parts);
  mkdirSync(deep, { recursive: true });
  t.true(deep.length > 3000);
  const { capture } = captureSync(['/bin/true', 'deep-cwd'], { cwd: deep });
  const exec = execs(capture).find((e) => e.argv[1]?.toString() === 'deep-cwd');
  t.truthy(exec);
  t.is(exec!.cwd.bytes.toString(), deep);
  t.false(exec!.cwd.truncated);
});

realCaptureTest('argv beyond the limit is cut at the limit and flagged, never silently', (t) => {
  const dir = tempDir();
  // 3 × 120 KiB = 360 KiB of argv, over the 256 KiB default limit (each string stays under MAX_ARG_STRLEN).
  const argv = [Buffer.from('ptrace-big-argv'), ...[1, 2, 3].map((i) => Buffer.from(String(i).repeat(120 * 1024)))];
  const { capture } = captureSync(['bash', execScript(dir, argv)]);
  const exec = exactArgv(capture, argv[0]);
  t.truthy(exec);
  t.true(exec!.argvTruncated);
  t.true(exec!.argv[1].equals(argv[1]), 'everything below the limit is kept exactly');
  // NUL-separated, the last string cut without its NUL: exactly the limit.
  const kept = exec!.argv.reduce((n, a) => n + a.length, 0) + exec!.argv.length - 1;
  t.is(kept, 256 * 1024);
});
