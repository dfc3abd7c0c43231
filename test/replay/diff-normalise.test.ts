// The normaliser of volatile command-line parts (analyze/diff/normalise.ts) and the word diff.
import test from 'ava';
import { normalise, normaliseArgv } from '../../analyze/diff/normalise.ts';
import { wordDiff } from '../../analyze/diff/word-diff.ts';

const cases: [string, string][] = [
  // temp names (mkstemp XXXXXX, mktemp), digit runs under a temp directory
  ['/tmp/ccAbC123.s', '/tmp/<tmp>.s'],
  ['/tmp/ccl2bV0x.o', '/tmp/<tmp>.o'],
  ['/tmp/cccpwrxd.s', '/tmp/<tmp>.s'], // all lower case: mkstemp draws those too
  ['/tmp/build/output.s', '/tmp/build/<tmp>.s'], // a file name in a temp directory is made up at run time
  ['/tmp/build-Rq81zP/a.s', '/tmp/build-<tmp>/a.s'],
  ['-o/tmp/ccAbC123.s', '-o/tmp/<tmp>.s'],
  ['/tmp/tmp.XyZ12abQ9', '/tmp/tmp.<tmp>'],
  ['/var/tmp/build-Rq81zP/out.log', '/var/tmp/build-<tmp>/out.log'],
  ['/dev/shm/sem.Ab3dEf9', '/dev/shm/sem.<tmp>'],
  ['/tmp/foo.12345', '/tmp/foo.<n>'],
  ['--jobserver-auth=fifo:/tmp/GMfifo12345', '--jobserver-auth=fifo:/tmp/<tmp>'],
  ['/run/user/1000/bus', '/run/user/1000/bus'],
  // pids
  ['/proc/4242/status', '/proc/<pid>/status'],
  ['/proc/4242', '/proc/<pid>'],
  ['pid=4242', 'pid=<pid>'],
  ['--pid=99', '--pid=<pid>'],
  // hashes and addresses
  ['git-commit-3f9a2b1c7d', 'git-commit-<hex>'],
  ['0x7ffd1234abcd', '0x<hex>'],
  ['--build-id=a94a8fe5ccb19ba61c4c0873d391e987982fbbd3', '--build-id=<hex>'],
  ['550e8400-e29b-41d4-a716-446655440000', '<uuid>'],
  // times
  ['2026-12-06T10:21:18Z', '<time>'],
  ['--since=2026-12-06 10:21:18.123+01:00', '--since=<time>'],
  ['build-20261206T102118.log', 'build-<time>.log'],
  ['1733480478', '<time>'],
  ['--ts=1733480478123', '--ts=<time>'],
  // ports
  ['localhost:43567', 'localhost:<port>'],
  ['http://127.0.0.1:8080/x', 'http://127.0.0.1:<port>/x'],
  ['[::1]:5000', '[::1]:<port>'],
  ['example.com:8443', 'example.com:<port>'],
  ['db.internal:5432', 'db.internal:<port>'],
  ['--port=43123', '--port=<port>'],
];

const unchanged = [
  '-O2',
  '-j4',
  'file12.c',
  'v1.2.3',
  'src/d1/file1.c',
  '/tmp/build/x.s',
  '/tmp/out',
  'deadbeef', // letters only: a word, not a hash
  '12345678', // digits only: a number, not a hash
  'cafe1234', // 8 hex characters with digits and letters would be a hash; 7 are not:
  'PATH=/usr/bin:/bin',
  '2026-12-06', // a date alone is a choice, not a stamp
  '-Wl,-z,relro',
  'main.c:12',
  'main.c:1200',
  'example.com:443', // a well-known port is chosen, not picked at run time
  'http://localhost:80/',
  'HOME=/home/dev',
  '/usr/lib/gcc/x86_64-linux-gnu/12/cc1',
  '123',
  '',
];

test('volatile parts become placeholders', (t) => {
  for (const [input, want] of cases) t.is(normalise(input), want, input);
});

test('stable parts are left as they are', (t) => {
  for (const s of unchanged) {
    if (s === 'cafe1234') t.is(normalise(s), '<hex>', 'eight hex characters mixing digits and letters');
    else t.is(normalise(s), s, s);
  }
  t.is(normalise('cafe123'), 'cafe123', 'seven hex characters');
});

test('two runs of the same compile normalise to the same argv; a real change stays', (t) => {
  const a = ['cc1', '-quiet', 'main.c', '-O2', '-o', '/tmp/ccAbC123.s'];
  const b = ['cc1', '-quiet', 'main.c', '-O2', '-o', '/tmp/ccXy9zQ1.s'];
  t.deepEqual(normaliseArgv(a), normaliseArgv(b));
  t.notDeepEqual(normaliseArgv(a), normaliseArgv(['cc1', '-quiet', 'main.c', '-O0', '-o', '/tmp/ccXy9zQ1.s']));
  // A separate --port / --pid argument is a port / pid; -p alone is not assumed to be one.
  t.deepEqual(normaliseArgv(['srv', '--port', '8080', '--pid', '77', '-p', '8080']), [
    'srv',
    '--port',
    '<port>',
    '--pid',
    '<pid>',
    '-p',
    '8080',
  ]);
});

test('hostile and huge strings normalise without throwing; control characters stay for the renderer to escape', (t) => {
  const huge = `/tmp/${'aB1'.repeat(100_000)}:${'9'.repeat(100_000)}`;
  t.is(normalise(huge), `/tmp/<tmp>:${'9'.repeat(100_000)}`);
  t.is(normalise('\x1b[2J\u202e'), '\x1b[2J\u202e');
});

test('word diff: the longest common subsequence, removals before additions', (t) => {
  const ops = wordDiff(['cc', '-O2', '-c', 'a.c'], ['cc', '-O0', '-g', '-c', 'a.c']);
  t.deepEqual(ops, [
    { op: 'same', word: 'cc' },
    { op: 'removed', word: '-O2' },
    { op: 'added', word: '-O0' },
    { op: 'added', word: '-g' },
    { op: 'same', word: '-c' },
    { op: 'same', word: 'a.c' },
  ]);
  t.deepEqual(wordDiff([], ['x']), [{ op: 'added', word: 'x' }]);
  t.deepEqual(wordDiff(['x'], ['x']), [{ op: 'same', word: 'x' }]);
  // Past the size bound the middle is one removal and one addition, still exact at the ends.
  const a = ['p', ...Array.from({ length: 2000 }, (_, i) => `a${i}`), 'z'];
  const b = ['p', ...Array.from({ length: 2000 }, (_, i) => `b${i}`), 'z'];
  const big = wordDiff(a, b);
  t.is(big.length, 4002);
  t.deepEqual(big[0], { op: 'same', word: 'p' });
  t.deepEqual(big[4001], { op: 'same', word: 'z' });
});
