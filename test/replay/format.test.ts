// Pure helpers: durations, command lines.
import test from 'ava';
import {
  commandLine,
  formatDuration,
  isoTime,
  middleCut,
  painter,
  parseDuration,
  shellQuote,
  statusText,
} from '../../analyze/format.ts';
import { UserError } from '../../formats/errors.ts';

test('parseDuration: units, decimals, compounds', (t) => {
  t.is(parseDuration('10ms'), 10_000_000);
  t.is(parseDuration('1.5s'), 1_500_000_000);
  t.is(parseDuration('250us'), 250_000);
  t.is(parseDuration('250µs'), 250_000);
  t.is(parseDuration('42ns'), 42);
  t.is(parseDuration('2m'), 120_000_000_000);
  t.is(parseDuration('1h30m'), 5_400_000_000_000);
  t.is(parseDuration('.5s'), 500_000_000);
  t.is(parseDuration('0'), 0);
  t.is(parseDuration(' 3s '), 3_000_000_000);
});

test('parseDuration: bad input is a one-line user error', (t) => {
  for (const bad of ['', 'abc', '10', '10 parsecs', '1.5', 's', '-1s', '1s2', '10ms!']) {
    const err = t.throws(() => parseDuration(bad), { instanceOf: UserError });
    t.regex(err!.message, /^bad duration "/);
    t.false(err!.message.includes('\n'));
  }
});

test('formatDuration: about 3 significant digits, unit by size', (t) => {
  t.is(formatDuration(0), '0ns');
  t.is(formatDuration(850), '850ns');
  t.is(formatDuration(12_345), '12.3µs');
  t.is(formatDuration(1_230_000), '1.23ms');
  t.is(formatDuration(456_000_000), '456ms');
  t.is(formatDuration(7_890_000_000), '7.89s');
  t.is(formatDuration(20_000_000_000), '20s');
  t.is(formatDuration(123_000_000_000), '2m03s');
  t.is(formatDuration(3_720_000_000_000), '1h02m');
});

test('shellQuote: plain words as is, others quoted so the line stays one line', (t) => {
  t.is(shellQuote('make'), 'make');
  t.is(shellQuote('-O2'), '-O2');
  t.is(shellQuote('a b'), "'a b'");
  t.is(shellQuote(''), "''");
  t.is(shellQuote("it's"), `'it'\\''s'`);
  t.is(shellQuote('a\nb'), "$'a\\nb'");
  t.is(shellQuote('*.c'), "'*.c'");
});

test('commandLine: short form cuts long arguments and lines; full keeps everything', (t) => {
  const argv = ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1', '-quiet', 'x'.repeat(100), 'y'];
  const short = commandLine(argv, { full: false, max: 60 });
  t.true(short.startsWith('cc1 -quiet xxx'));
  t.true(short.length <= 60);
  t.true(short.includes('…'));
  t.is(commandLine(argv, { full: true, max: 10 }), argv.join(' '));
  t.is(commandLine(['cc', '-c', null, '-o', null], { full: false, max: 80 }), 'cc -c … -o …');
  t.is(commandLine(['cc', null, null], { full: false, max: 80 }), 'cc …');
  t.is(middleCut('abcdefghij', 5), 'ab…ij');
});

test('statusText and painter', (t) => {
  const base = { state: 'exited', exitCode: 0, signal: null, signalName: null, coreDumped: false };
  t.is(statusText(base), null);
  t.is(statusText({ ...base, exitCode: 3 }), 'exit 3');
  t.is(
    statusText({ ...base, exitCode: null, signal: 11, signalName: 'SIGSEGV', coreDumped: true }),
    'SIGSEGV (core dumped)',
  );
  t.is(statusText({ ...base, state: 'running' }), 'running');
  t.is(painter(false)('red', 'x'), 'x');
  t.not(painter(true)('red', 'x'), 'x');
  t.is(isoTime(1_750_000_000_123_456_789n), '2025-06-15T15:06:40.123456789Z');
});
