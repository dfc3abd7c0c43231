// Names for the numbers found in records: errnos, signals, loss categories,
// and the decoding of a wait(2) status. Linux numbering for x86_64 and the
// asm-generic architectures (arm64, riscv64…), which is what ptrace captures on.

import { CAT, HK, TCPE, TCPR } from './layout.ts';

/** errno → name, index = errno (asm-generic/errno-base.h + errno.h); '' for unused numbers. */
const ERRNO_NAMES: readonly string[] = [
  '',
  'EPERM',
  'ENOENT',
  'ESRCH',
  'EINTR',
  'EIO',
  'ENXIO',
  'E2BIG',
  'ENOEXEC',
  'EBADF',
  'ECHILD',
  'EAGAIN',
  'ENOMEM',
  'EACCES',
  'EFAULT',
  'ENOTBLK',
  'EBUSY',
  'EEXIST',
  'EXDEV',
  'ENODEV',
  'ENOTDIR',
  'EISDIR',
  'EINVAL',
  'ENFILE',
  'EMFILE',
  'ENOTTY',
  'ETXTBSY',
  'EFBIG',
  'ENOSPC',
  'ESPIPE',
  'EROFS',
  'EMLINK',
  'EPIPE',
  'EDOM',
  'ERANGE',
  'EDEADLK',
  'ENAMETOOLONG',
  'ENOLCK',
  'ENOSYS',
  'ENOTEMPTY',
  'ELOOP',
  '',
  'ENOMSG',
  'EIDRM',
  'ECHRNG',
  'EL2NSYNC',
  'EL3HLT',
  'EL3RST',
  'ELNRNG',
  'EUNATCH',
  'ENOCSI',
  'EL2HLT',
  'EBADE',
  'EBADR',
  'EXFULL',
  'ENOANO',
  'EBADRQC',
  'EBADSLT',
  '',
  'EBFONT',
  'ENOSTR',
  'ENODATA',
  'ETIME',
  'ENOSR',
  'ENONET',
  'ENOPKG',
  'EREMOTE',
  'ENOLINK',
  'EADV',
  'ESRMNT',
  'ECOMM',
  'EPROTO',
  'EMULTIHOP',
  'EDOTDOT',
  'EBADMSG',
  'EOVERFLOW',
  'ENOTUNIQ',
  'EBADFD',
  'EREMCHG',
  'ELIBACC',
  'ELIBBAD',
  'ELIBSCN',
  'ELIBMAX',
  'ELIBEXEC',
  'EILSEQ',
  'ERESTART',
  'ESTRPIPE',
  'EUSERS',
  'ENOTSOCK',
  'EDESTADDRREQ',
  'EMSGSIZE',
  'EPROTOTYPE',
  'ENOPROTOOPT',
  'EPROTONOSUPPORT',
  'ESOCKTNOSUPPORT',
  'EOPNOTSUPP',
  'EPFNOSUPPORT',
  'EAFNOSUPPORT',
  'EADDRINUSE',
  'EADDRNOTAVAIL',
  'ENETDOWN',
  'ENETUNREACH',
  'ENETRESET',
  'ECONNABORTED',
  'ECONNRESET',
  'ENOBUFS',
  'EISCONN',
  'ENOTCONN',
  'ESHUTDOWN',
  'ETOOMANYREFS',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EALREADY',
  'EINPROGRESS',
  'ESTALE',
  'EUCLEAN',
  'ENOTNAM',
  'ENAVAIL',
  'EISNAM',
  'EREMOTEIO',
  'EDQUOT',
  'ENOMEDIUM',
  'EMEDIUMTYPE',
  'ECANCELED',
  'ENOKEY',
  'EKEYEXPIRED',
  'EKEYREVOKED',
  'EKEYREJECTED',
  'EOWNERDEAD',
  'ENOTRECOVERABLE',
  'ERFKILL',
  'EHWPOISON',
];

/** Symbolic name of a positive errno (ENOENT…), or `E<n>` when unknown. */
export function errnoName(errno: number): string {
  return (errno >= 0 && ERRNO_NAMES[errno]) || `E${errno}`;
}

/** Signal number → name, index = signal number; 32..64 are the real-time signals. */
const SIGNAL_NAMES: readonly string[] = [
  '',
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGKILL',
  'SIGUSR1',
  'SIGSEGV',
  'SIGUSR2',
  'SIGPIPE',
  'SIGALRM',
  'SIGTERM',
  'SIGSTKFLT',
  'SIGCHLD',
  'SIGCONT',
  'SIGSTOP',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGURG',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGVTALRM',
  'SIGPROF',
  'SIGWINCH',
  'SIGIO',
  'SIGPWR',
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
  [CAT.NET]: 'net',
  [CAT.DNS]: 'dns',
};

/** Loss category name: process, exec, exec_failed, tracking, files, hist, net, or `category<N>`. */
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

const TCP_EVENT_NAMES: Readonly<Record<number, string>> = {
  [TCPE.CONNECTED]: 'connected',
  [TCPE.FAILED]: 'failed',
  [TCPE.ACCEPTED]: 'accepted',
  [TCPE.CLOSED]: 'closed',
  [TCPE.AT_STOP]: 'at-stop',
};
const TCP_ROLE_NAMES: Readonly<Record<number, string>> = { [TCPR.CLIENT]: 'client', [TCPR.SERVER]: 'server' };

/** connected, failed, accepted, closed, or `event<N>`. */
export const tcpEventName = (event: number): string => TCP_EVENT_NAMES[event] ?? `event${event}`;
/** The kernel's TCP states (include/net/tcp_states.h). */
const TCP_STATE_NAMES: readonly string[] = [
  '',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
  'BOUND_INACTIVE',
];
/** ESTABLISHED, FIN_WAIT2…, or `state<N>`. */
export const tcpStateName = (state: number): string =>
  state > 0 && state < TCP_STATE_NAMES.length ? TCP_STATE_NAMES[state]! : `state${state}`;
/** The number of a state name (writer). */
export const tcpStateNumber = (name: string): number | undefined => {
  const i = TCP_STATE_NAMES.indexOf(name);
  if (i > 0) return i;
  const m = /^state(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
};
/** client, server, or `role<N>`. */
export const tcpRoleName = (role: number): string => TCP_ROLE_NAMES[role] ?? `role${role}`;

/** The number of a name given by `names`, or of its `<prefix><N>` form. */
function numberOf(names: Readonly<Record<number, string>>, prefix: string, name: string): number | undefined {
  for (const [n, s] of Object.entries(names)) if (s === name) return Number(n);
  const m = new RegExp(`^${prefix}(\\d+)$`).exec(name);
  return m ? Number(m[1]) : undefined;
}
export const tcpEventNumber = (name: string): number | undefined => numberOf(TCP_EVENT_NAMES, 'event', name);
export const tcpRoleNumber = (name: string): number | undefined => numberOf(TCP_ROLE_NAMES, 'role', name);

/** A 16-byte address field as text: dotted IPv4 for family 4 (first 4 bytes), RFC 5952 IPv6 otherwise. */
export function ipAddress(family: number, bytes: Uint8Array): string {
  if (family === 2) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  // the longest run of two or more zero words becomes "::"
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  return best < 0 ? hex(words) : `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/** The 16-byte field of a text address (inverse of ipAddress). */
export function ipBytes(family: number, text: string): Buffer {
  const out = Buffer.alloc(16);
  if (family === 2) {
    text.split('.').forEach((p, i) => (out[i] = Number(p)));
    return out;
  }
  let t = text;
  let tail: number[] = [];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(t);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    t = t.slice(0, v4.index);
    if (t.endsWith(':') && !t.endsWith('::')) t = t.slice(0, -1);
  }
  const [head, rest] = t.includes('::') ? (t.split('::') as [string, string]) : [t, undefined];
  const parse = (s: string) =>
    s
      ? s
          .split(':')
          .filter((x) => x !== '')
          .map((x) => parseInt(x, 16))
      : [];
  const left = parse(head);
  const right = [...parse(rest ?? ''), ...tail];
  const words =
    rest === undefined ? [...left, ...tail] : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  words.forEach((w, i) => out.writeUInt16BE(w, 2 * i));
  return out;
}

/** glibc's getaddrinfo return codes (netdb.h). */
const EAI_NAMES: Readonly<Record<number, string>> = {
  [-1]: 'EAI_BADFLAGS',
  [-2]: 'EAI_NONAME',
  [-3]: 'EAI_AGAIN',
  [-4]: 'EAI_FAIL',
  [-5]: 'EAI_NODATA',
  [-6]: 'EAI_FAMILY',
  [-7]: 'EAI_SOCKTYPE',
  [-8]: 'EAI_SERVICE',
  [-9]: 'EAI_ADDRFAMILY',
  [-10]: 'EAI_MEMORY',
  [-11]: 'EAI_SYSTEM',
  [-12]: 'EAI_OVERFLOW',
};

/** null for success, else EAI_NONAME, EAI_AGAIN… or `EAI<n>`. */
export const eaiName = (result: number): string | null => (result === 0 ? null : (EAI_NAMES[result] ?? `EAI${result}`));

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
    return {
      exitCode: (status >>> 8) & 0xff,
      signal: null,
      signalName: null,
      coreDumped: coreFlag || (status & 0x80) !== 0,
    };
  }
  return { exitCode: null, signal: sig, signalName: signalName(sig), coreDumped: coreFlag || (status & 0x80) !== 0 };
}
