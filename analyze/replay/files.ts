// File opens, resource usage and latency histograms (format 1.1): open flags
// as text, system call names, path resolution at replay, log2 histogram
// figures. Pure.

import { posix } from 'node:path';

export const AT_FDCWD = -100;

// O_* values of the generic Linux ABI (x86-64, and most architectures; arm64
// differs only for O_DIRECTORY, O_NOFOLLOW, O_DIRECT and O_LARGEFILE).
const O_ACCMODE = 3;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
const FLAG_NAMES: [number, string, string | null][] = [
  // value, name, short name (null: not in the short form)
  [0o100, 'O_CREAT', 'creat'],
  [0o200, 'O_EXCL', 'excl'],
  [0o400, 'O_NOCTTY', null],
  [0o1000, 'O_TRUNC', 'trunc'],
  [0o2000, 'O_APPEND', 'append'],
  [0o4000, 'O_NONBLOCK', null],
  [0o4010000, 'O_SYNC', 'sync'],
  [0o10000, 'O_DSYNC', 'dsync'],
  [0o20000, 'O_ASYNC', null],
  [0o40000, 'O_DIRECT', 'direct'],
  [0o100000, 'O_LARGEFILE', null],
  [0o20200000, 'O_TMPFILE', 'tmpfile'],
  [0o200000, 'O_DIRECTORY', 'dir'],
  [0o400000, 'O_NOFOLLOW', null],
  [0o1000000, 'O_NOATIME', null],
  [0o2000000, 'O_CLOEXEC', null],
  [0o10000000, 'O_PATH', 'path'],
];

/** `O_WRONLY|O_CREAT|O_TRUNC`: the access mode, then every flag set (unknown bits in hex). */
export function openFlagsText(flags: number): string {
  const acc = flags & O_ACCMODE;
  const parts = [acc === 0 ? 'O_RDONLY' : acc === O_WRONLY ? 'O_WRONLY' : acc === O_RDWR ? 'O_RDWR' : 'O_ACCMODE'];
  let rest = flags & ~O_ACCMODE;
  for (const [v, name] of FLAG_NAMES) {
    if ((rest & v) === v) {
      parts.push(name);
      rest &= ~v;
    }
  }
  if (rest !== 0) parts.push(`0x${(rest >>> 0).toString(16)}`);
  return parts.join('|');
}

/** Short form for the tree: `r`, `w`, `rw`, then the flags that matter to a reader (`w,creat,trunc`). */
export function openFlagsShort(flags: number): string {
  const acc = flags & O_ACCMODE;
  const parts = [acc === 0 ? 'r' : acc === O_WRONLY ? 'w' : 'rw'];
  let rest = flags & ~O_ACCMODE;
  for (const [v, , short] of FLAG_NAMES) {
    if ((rest & v) === v) {
      if (short !== null) parts.push(short);
      rest &= ~v;
    }
  }
  return parts.join(',');
}

/** The open wrote, or could write, the file: O_WRONLY, O_RDWR or O_CREAT. */
export function opensForWriting(flags: number): boolean {
  return (flags & (O_WRONLY | O_RDWR | O_CREAT)) !== 0;
}

const SYSCALLS: Record<string, Record<number, string>> = {
  x86_64: { 2: 'open', 85: 'creat', 257: 'openat', 437: 'openat2' },
  aarch64: { 56: 'openat', 437: 'openat2' },
};

/** open, openat, openat2, creat (by the capture machine's numbering), else `syscall<N>`. */
export function openSyscallName(nr: number, machine: string): string {
  return (SYSCALLS[machine] ?? SYSCALLS.x86_64!)[nr] ?? `syscall${nr}`;
}

/**
 * The absolute path an open refers to, resolved lexically (`.`, `..`, `//`;
 * symbolic links are not followed: the replaying machine is not the captured
 * one): an absolute path as is; a relative one against `cwd` when `dirfd` is
 * AT_FDCWD; null for other dirfds (the directory behind the fd is not
 * recorded), an unknown or truncated cwd, or an empty path.
 */
export function resolveOpenPath(path: string, dirfd: number, cwd: string | null): string | null {
  if (path === '') return null;
  if (path.startsWith('/')) return posix.normalize(path).replace(/(.)\/$/, '$1');
  if (dirfd !== AT_FDCWD || cwd === null || !cwd.startsWith('/')) return null;
  return posix.join(cwd, path).replace(/(.)\/$/, '$1');
}

/**
 * resolveOpenPath with a memory: a build opens the same few thousand paths
 * from the same few directories over and over, and lexical normalization
 * costs more than a lookup. Results go through `intern` once.
 */
export class OpenPathResolver {
  private readonly absolute = new Map<string, string | null>();
  private readonly relative = new Map<string, Map<string, string | null>>();
  private readonly intern: (s: string) => string;

  constructor(intern: (s: string) => string = (s) => s) {
    this.intern = intern;
  }

  resolve(path: string, dirfd: number, cwd: string | null): string | null {
    let cache: Map<string, string | null> | undefined = this.absolute;
    if (!path.startsWith('/')) {
      if (dirfd !== AT_FDCWD || cwd === null) return null;
      cache = this.relative.get(cwd);
      if (cache === undefined) this.relative.set(cwd, (cache = new Map()));
    }
    let r = cache.get(path);
    if (r === undefined) {
      const resolved = resolveOpenPath(path, dirfd, cwd);
      r = resolved === null ? null : this.intern(resolved);
      cache.set(path, r);
    }
    return r;
  }
}

// ---------------------------------------------------------------- histograms

export const HIST_BUCKETS = 32;

/** Upper bound (exclusive) of log2 bucket i, ns: bucket i holds [2^i, 2^(i+1)). */
export function bucketUpper(i: number): number {
  return 2 ** (i + 1);
}

/** The bucket holding the q-quantile (0 < q ≤ 1) of `buckets`; -1 when empty. */
export function quantileBucket(buckets: readonly number[], q: number): number {
  let total = 0;
  for (const b of buckets) total += b;
  if (total === 0) return -1;
  const want = Math.ceil(total * q);
  let acc = 0;
  for (let i = 0; i < buckets.length; i++) {
    acc += buckets[i]!;
    if (acc >= want) return i;
  }
  return buckets.length - 1;
}

/** Adds `b` into `into` (both 32 buckets). */
export function addBuckets(into: number[], b: readonly number[]): void {
  for (let i = 0; i < b.length; i++) into[i] = (into[i] ?? 0) + b[i]!;
}
