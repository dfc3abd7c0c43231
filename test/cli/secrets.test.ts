// The secret flags as a user gives them, on a sample with a secret environment
// variable (API_TOKEN): masked by default, --show-secrets, --rules FILE (keep,
// extra names, a bad file), db --no-redact's file mode and stderr line,
// `redact` of a capture that did not finish.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { ptraceSync } from '../helpers/cli.ts';
import { ROOT, tempDir } from '../helpers/real-capture.ts';

const SAMPLE = join(ROOT, 'samples/make-build.raw');
const TOKEN = 'not-a-real-token-0000';

test('tree --env masks API_TOKEN; --show-secrets and a rules file keeping it show it', (t) => {
  const masked = ptraceSync(['tree', SAMPLE, '--env']);
  t.is(masked.code, 0, masked.stderr);
  t.true(masked.stdout.includes('API_TOKEN=‹redacted:name-token›'));
  t.false(masked.stdout.includes(TOKEN));

  const shown = ptraceSync(['tree', SAMPLE, '--env', '--show-secrets']);
  t.true(shown.stdout.includes(`API_TOKEN=${TOKEN}`));

  const dir = tempDir('ptrace-rules-');
  const rules = join(dir, 'rules.txt');
  writeFileSync(rules, 'keep API_TOKEN\nname GIT_.*_EMAIL\n');
  const custom = ptraceSync(['tree', SAMPLE, '--env', '--rules', rules]);
  t.is(custom.code, 0, custom.stderr);
  t.true(custom.stdout.includes(`API_TOKEN=${TOKEN}`), 'kept by the rules file');
  t.true(custom.stdout.includes('GIT_AUTHOR_EMAIL=‹redacted:user-name›'), 'a name added by the rules file');
  t.true(custom.stdout.includes('GIT_COMMITTER_EMAIL=‹redacted:user-name›'));
  t.false(custom.stdout.includes('author@example.invalid'));
});

test('a bad rules file is one ptrace: line and exit 2, for every command that takes one', (t) => {
  const dir = tempDir('ptrace-rules-');
  const rules = join(dir, 'rules.txt');
  writeFileSync(rules, '# mine\nvalue acme acme_[\n');
  for (const args of [
    ['tree', SAMPLE],
    ['stats', SAMPLE],
    ['info', SAMPLE],
    ['export', SAMPLE, '--format', 'jsonl'],
    ['otel', SAMPLE, '--dump-otel', '-'],
    ['db', SAMPLE, '-o', join(dir, 'x.sqlite')],
  ]) {
    const r = ptraceSync([...args, '--rules', rules]);
    t.is(r.code, 2, args[0]);
    t.regex(r.stderr, /^ptrace: .*rules\.txt:2: bad regular expression \/acme_\[\/: [^\n]+\n$/, args[0]);
    t.is(r.stdout, '', args[0]);
  }
  const missing = ptraceSync(['tree', SAMPLE, '--rules', join(dir, 'nope')]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /^ptrace: cannot read rules file .*nope: no such file \(ENOENT\)\n$/);
});

test('db: redacted by default with the raw file’s mode; --no-redact writes 0600 and says so', (t) => {
  const dir = tempDir('ptrace-db-secrets-');
  const redacted = ptraceSync(['db', SAMPLE, '-o', join(dir, 'r.sqlite')]);
  t.is(redacted.code, 0, redacted.stderr);
  t.is(redacted.stderr, '');
  t.is(statSync(join(dir, 'r.sqlite')).mode & 0o777, statSync(SAMPLE).mode & 0o666 & ~process.umask());
  t.false(readFileSync(join(dir, 'r.sqlite')).includes(TOKEN));

  const clear = ptraceSync(['db', SAMPLE, '-o', join(dir, 'c.sqlite'), '--no-redact']);
  t.is(clear.code, 0, clear.stderr);
  t.is(
    clear.stderr,
    `ptrace: ${join(dir, 'c.sqlite')} holds the capture's secrets as captured (--no-redact): readable by you only (0600)\n`,
  );
  t.is(statSync(join(dir, 'c.sqlite')).mode & 0o777, 0o600);
  t.true(readFileSync(join(dir, 'c.sqlite')).includes(TOKEN));
});

test('redact of a capture cut short says so, as the other commands do; a complete one does not', (t) => {
  const dir = tempDir();
  const whole = readFileSync(SAMPLE);
  const cut = join(dir, 'cut.raw');
  writeFileSync(cut, whole.subarray(0, 30_000)); // the 448-byte header, 115 records and 112 bytes of the next
  const r = ptraceSync(['redact', cut, '-o', join(dir, 'cut-redacted.raw'), '-q']);
  t.is(r.code, 0, r.stderr);
  t.is(
    r.stderr,
    'ptrace: warning: the last record is cut short: 112 bytes, expected 256 (left out)\n' +
      'ptrace: warning: no footer: the capture did not finish (crash, SIGKILL or full disk); 115 complete records read, and the redacted copy has no footer either\n',
  );
  const info = ptraceSync(['info', join(dir, 'cut-redacted.raw')]);
  t.regex(info.stderr, /no footer/);
  const complete = ptraceSync(['redact', SAMPLE, '-o', join(dir, 'whole-redacted.raw'), '-q']);
  t.is(complete.code, 0);
  t.is(complete.stderr, '');
});
