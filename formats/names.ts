// Names for the numbers found in records: errnos, signals, loss categories,
// and the decoding of a wait(2) status. Linux numbering for x86_64 and the
// asm-generic architectures (arm64, riscv64…), which is what ptrace captures on.

import { CAT, HK } from './layout.ts';

/** errno → name, index = errno (asm-generic/errno-base.h + errno.h); '' for unused numbers. */
const ERRNO_NAMES: readonly string[] = [
  '', 'EPERM', 'ENOENT', 'ESRCH', 'EINTR', 'EIO', 'ENXIO', 'E2BIG', 'ENOEXEC', 'EBADF', 'ECHILD', 'EAGAIN',
  'ENOMEM', 'EACCES', 'EFAULT', 'ENOTBLK', 'EBUSY', 'EEXIST', 'EXDEV', 'ENODEV', 'ENOTDIR', 'EISDIR',
  'EINVAL', 'ENFILE', 'EMFILE', 'ENOTTY', 'ETXTBSY', 'EFBIG', 'ENOSPC', 'ESPIPE', 'EROFS', 'EMLINK', 'EPIPE',
  'EDOM', 'ERANGE', 'EDEADLK', 'ENAMETOOLONG', 'ENOLCK', 'ENOSYS', 'ENOTEMPTY', 'ELOOP', '', 'ENOMSG',
  'EIDRM', 'ECHRNG', 'EL2NSYNC', 'EL3HLT', 'EL3RST', 'ELNRNG', 'EUNATCH', 'ENOCSI', 'EL2HLT', 'EBADE',
  'EBADR', 'EXFULL', 'ENOANO', 'EBADRQC', 'EBADSLT', '', 'EBFONT', 'ENOSTR', 'ENODATA', 'ETIME', 'ENOSR',
  'ENONET', 'ENOPKG', 'EREMOTE', 'ENOLINK', 'EADV', 'ESRMNT', 'ECOMM', 'EPROTO', 'EMULTIHOP', 'EDOTDOT',
  'EBADMSG', 'EOVERFLOW', 'ENOTUNIQ', 'EBADFD', 'EREMCHG', 'ELIBACC', 'ELIBBAD', 'ELIBSCN', 'ELIBMAX',
  'ELIBEXEC', 'EILSEQ', 'ERESTART', 'ESTRPIPE', 'EUSERS', 'ENOTSOCK', 'EDESTADDRREQ', 'EMSGSIZE',
  'EPROTOTYPE', 'ENOPROTOOPT', 'EPROTONOSUPPORT', 'ESOCKTNOSUPPORT', 'EOPNOTSUPP', 'EPFNOSUPPORT',
  'EAFNOSUPPORT', 'EADDRINUSE', 'EADDRNOTAVAIL', 'ENETDOWN', 'ENETUNREACH', 'ENETRESET', 'ECONNABORTED',
  'ECONNRESET', 'ENOBUFS', 'EISCONN', 'ENOTCONN', 'ESHUTDOWN', 'ETOOMANYREFS', 'ETIMEDOUT', 'ECONNREFUSED',
  'EHOSTDOWN', 'EHOSTUNREACH', 'EALREADY', 'EINPROGRESS', 'ESTALE', 'EUCLEAN', 'ENOTNAM', 'ENAVAIL',
  'EISNAM', 'EREMOTEIO', 'EDQUOT', 'ENOMEDIUM', 'EMEDIUMTYPE', 'ECANCELED', 'ENOKEY', 'EKEYEXPIRED',
  'EKEYREVOKED', 'EKEYREJECTED', 'EOWNERDEAD', 'ENOTRECOVERABLE', 'ERFKILL', 'EHWPOISON',
];

/** Symbolic name of a positive errno (ENOENT…), or `E<n>` when unknown. */
export function errnoName(errno: number): string {
  return (errno >= 0 && ERRNO_NAMES[errno]) || `E${errno}`;
}

/** Signal number → name, index = signal number; 32..64 are the real-time signals. */
const SIGNAL_NAMES: readonly string[] = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
  'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR',
  'SIGSYS',
];
const SIGRTMIN = 32;
const SIGRTMAX = 64;

/** Symbolic name of a signal (SIGKILL…, SIGRTMIN+3), or `SIG<n>` when unknown. */
export function signalName(signal: number): string {
  const known = signal > 0 ? SIGNAL_NAMES[signal] : undefined;
  if (known) return known;
  if (signal === SIGRTMIN) return 'SIGRTMIN';
  if (signal === SIGRTMAX) return 'SIGRTMAX';
  if (signal > SIGRTMIN && signal < SIGRTMAX) return `SIGRTMIN+${signal - SIGRTMIN}`;
  return `SIG${signal}`;
}

const CATEGORY_NAMES: Readonly<Record<number, string>> = {
  [CAT.PROCESS]: 'process',
  [CAT.EXEC]: 'exec',
  [CAT.EXEC_FAILED]: 'exec_failed',
  [CAT.TRACKING]: 'tracking',
  [CAT.FILES]: 'files',
  [CAT.HIST]: 'hist',
};

/** Loss category name: process, exec, exec_failed, tracking, files, hist, or `category<N>`. */
export function lossCategoryName(category: number): string {
  return CATEGORY_NAMES[category] ?? `category${category}`;
}

const HIST_KIND_NAMES: Readonly<Record<number, string>> = {
  [HK.READ]: 'read',
  [HK.WRITE]: 'write',
  [HK.FSYNC]: 'fsync',
  [HK.OFFCPU]: 'offcpu',
};

/** Histogram kind name: read, write, fsync, offcpu, or `kind<N>`. */
export function histKindName(kind: number): string {
  return HIST_KIND_NAMES[kind] ?? `kind${kind}`;
}

/** The histogram kind number of a name given by histKindName (`kind<N>` included); undefined for anything else. */
export function histKindNumber(name: string): number | undefined {
  for (const [n, s] of Object.entries(HIST_KIND_NAMES)) if (s === name) return Number(n);
  const m = /^kind(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export interface WaitStatus {
  /** Exit code when the process exited normally, else null. */
  exitCode: number | null;
  /** Terminating signal, else null. */
  signal: number | null;
  signalName: string | null;
  coreDumped: boolean;
}

/**
 * Decodes a wait(2) status as the kernel builds it for a dead process:
 * `code << 8` for a normal exit, `signal | 0x80 (core)` for a killed one.
 * `coreFlag` is the record's PT_F_CORE_DUMPED bit, which also counts.
 */
export function decodeWaitStatus(status: number, coreFlag = false): WaitStatus {
  const sig = status & 0x7f;
  if (sig === 0) {
    return { exitCode: (status >>> 8) & 0xff, signal: null, signalName: null, coreDumped: coreFlag || (status & 0x80) !== 0 };
  }
  return { exitCode: null, signal: sig, signalName: signalName(sig), coreDumped: coreFlag || (status & 0x80) !== 0 };
}
