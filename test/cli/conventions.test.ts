// What users expect of a CLI: --version, help, typo suggestions, completion.
import test from 'ava';
import { closestCommand, editDistance } from '../../bin/not-found.ts';
import { VERSION_MAJOR, VERSION_MINOR } from '../../formats/layout.ts';
import { ptraceSync } from '../helpers/cli.ts';

test('--version names the CLI and the raw format versions it writes and reads', (t) => {
  for (const flag of ['--version', '-v', 'version']) {
    const r = ptraceSync([flag]);
    t.is(r.code, 0);
    const [cli, format] = r.stdout.split('\n');
    t.regex(cli!, /^ptrace \d+\.\d+\.\d+ \(node v\d+\.\d+\.\d+, linux-\w+\)$/);
    t.is(
      format,
      `raw format: writes ${VERSION_MAJOR}.${VERSION_MINOR}; reads ${VERSION_MAJOR}.0 to ${VERSION_MAJOR}.${VERSION_MINOR}, and newer ${VERSION_MAJOR}.x with a warning (what they add is skipped)`,
    );
  }
});

test('a mistyped command: one line naming the closest command, exit 2', (t) => {
  const r = ptraceSync(['sats', 'x.raw']);
  t.is(r.code, 2);
  t.is(r.stderr, 'ptrace: `sats` is not a ptrace command; did you mean `ptrace stats`? (`ptrace help` lists them)\n');
  const far = ptraceSync(['frobnicate']);
  t.is(far.code, 2);
  t.is(far.stderr, 'ptrace: `frobnicate` is not a ptrace command (`ptrace help` lists them)\n');
  const hostile = ptraceSync(['\u001b]0;pwned\u0007']);
  t.false(hostile.stderr.includes('\u001b'), 'the word is sanitized');
});

test('closestCommand: swaps, missing and extra letters, prefixes; nothing for unrelated words', (t) => {
  const commands = ['capture', 'db', 'export', 'info', 'otel', 'stats', 'tree'];
  for (const [typo, meant] of [
    ['otle', 'otel'],
    ['tre', 'tree'],
    ['treee', 'tree'],
    ['stat', 'stats'],
    ['caputre', 'capture'],
    ['exprot', 'export'],
    ['ifno', 'info'],
  ] as const)
    t.is(closestCommand(typo, commands), meant, typo);
  for (const word of ['frobnicate', 'x', 'zzzz', '']) t.is(closestCommand(word, commands), null, word);
  t.is(editDistance('abc', 'abc'), 0);
  t.is(editDistance('abc', 'acb'), 1);
  t.is(editDistance('kitten', 'sitting'), 3);
});

test('help COMMAND prints the command help; autocomplete prints a shell script', (t) => {
  const help = ptraceSync(['help', 'stats']);
  t.is(help.code, 0);
  t.regex(help.stdout, /^USAGE\n {2}\$ ptrace stats FILE/m);
  const completion = ptraceSync(['autocomplete', 'script', 'bash']);
  t.is(completion.code, 0, completion.stderr);
  t.regex(completion.stdout, /PTRACE_AC_BASH_SETUP_PATH/);
});
