// The compile cache holds code the CLI runs: it is kept only where nobody but the current user can write.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { compileCacheDir } from '../../bin/compile-cache.ts';
import { ptraceSync } from '../helpers/cli.ts';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'ptrace-cache-'));

test('the cache lives under XDG_CACHE_HOME (else ~/.cache), created private to the user', (t) => {
  const xdg = fresh();
  const dir = compileCacheDir({ XDG_CACHE_HOME: xdg });
  t.is(dir, join(xdg, 'ptrace', 'compile-cache'));
  t.is(statSync(dir!).mode & 0o777, 0o700);
  const home = fresh();
  t.is(compileCacheDir({ HOME: home }), join(home, '.cache', 'ptrace', 'compile-cache'));
  t.is(
    compileCacheDir({ XDG_CACHE_HOME: 'relative/path', HOME: home }),
    join(home, '.cache', 'ptrace', 'compile-cache'),
  );
});

test('no cache in a directory that others can write', (t) => {
  const xdg = fresh();
  mkdirSync(join(xdg, 'ptrace', 'compile-cache'), { recursive: true });
  chmodSync(join(xdg, 'ptrace', 'compile-cache'), 0o777);
  t.is(compileCacheDir({ XDG_CACHE_HOME: xdg }), null);
  const open = fresh();
  chmodSync(open, 0o1777);
  t.is(compileCacheDir({ XDG_CACHE_HOME: open }), null, 'a shared parent (like /tmp) is refused too');
});

test('no cache in a directory that belongs to another user (sudo keeping the caller HOME)', (t) => {
  if (process.geteuid?.() !== 0) {
    t.pass('needs root to make a directory owned by another user');
    return;
  }
  const xdg = fresh();
  mkdirSync(join(xdg, 'ptrace'), { recursive: true });
  chownSync(join(xdg, 'ptrace'), 65534, 65534);
  t.is(compileCacheDir({ XDG_CACHE_HOME: xdg }), null);
});

test('a command run fills the cache, and a second run still works from it', (t) => {
  const xdg = fresh();
  const first = ptraceSync(['info', 'samples/make-build.raw'], { env: { XDG_CACHE_HOME: xdg } });
  t.is(first.code, 0, first.stderr);
  const versions = readdirSync(join(xdg, 'ptrace', 'compile-cache'));
  t.is(versions.length, 1);
  t.true(readdirSync(join(xdg, 'ptrace', 'compile-cache', versions[0]!)).length > 20);
  const second = ptraceSync(['info', 'samples/make-build.raw'], { env: { XDG_CACHE_HOME: xdg } });
  t.is(second.code, 0);
  t.is(second.stdout, first.stdout);
});
