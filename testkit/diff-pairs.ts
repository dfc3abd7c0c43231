// Pairs of synthetic captures for `ptrace diff`: the same small build run
// twice, with one thing changed in B (a broken source, an environment
// variable, a deleted file, a failing DNS name, a refused connect, a slower
// link, reordered parallel compiles, an extra or missing compile), each
// difference known exactly. Volatile parts differ between the two runs as
// they do between real runs: pids, temp names, times, a jobserver fifo.

import { HOSTILE_STRINGS, Synth } from './synth.ts';

export interface RunVariant {
  /** Root pid: pids differ between runs. */
  rootPid?: number;
  /** Seed of the temp names (/tmp/ccXXXXXX.s). */
  tmpSeed?: number;
  /** The source compiled with errors (cc1 and cc exit 1, no as, make exits 2). */
  broken?: string;
  /** Value of CC in make's environment. */
  cc?: string;
  /** data.txt missing: `cat data.txt` fails with ENOENT. */
  dataMissing?: boolean;
  /** example.com does not resolve (getaddrinfo EAI_NONAME, the connect is not made). */
  dnsFails?: boolean;
  /** The database refuses connections. */
  dbRefused?: boolean;
  /** The link takes this many ms (default 100). */
  linkMs?: number;
  /** ld's max RSS in KiB (default 20,000). */
  linkRssKib?: number;
  /** Compile units (default main, util, net, db, log). */
  units?: string[];
  /** Compiles started in reverse order (a parallel build). */
  reversed?: boolean;
  /** Compile flags (default -O2). */
  opt?: string;
  /** make's cwd (default /src/app). */
  cwd?: string;
}

const FILES = ['main', 'util', 'net', 'db', 'log'];
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function tmpName(seed: number, i: number): string {
  let x = (seed * 7919 + i * 104729) >>> 0;
  let s = '';
  for (let k = 0; k < 6; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += LETTERS[(x >>> 8) % LETTERS.length];
  }
  // At least one digit and one capital, as mkstemp's names usually have.
  return `/tmp/cc${s.slice(0, 4)}Q${(x >>> 4) % 10}.s`;
}

/** One run of the small build, as `v` describes it. */
export function diffRun(v: RunVariant = {}): Synth {
  const rootPid = v.rootPid ?? 4000;
  const s = new Synth({
    rootPid,
    header: { commandArgv: ['make', '-j4', 'all'], options: { files: true, net: true, dns: true } },
  });
  const env = [
    'PATH=/usr/bin:/bin',
    'HOME=/home/dev',
    `CC=${v.cc ?? 'gcc'}`,
    'API_TOKEN=tok-secret-1234',
    `MAKEFLAGS=-j4 --jobserver-auth=fifo:/tmp/GMfifo${rootPid}`,
  ];
  const make = s.root(['make', '-j4', 'all'], { at: 1, env, cwd: v.cwd ?? '/src/app' });
  const units = v.units ?? FILES;
  const order = v.reversed ? [...units].reverse() : units;
  const seed = v.tmpSeed ?? 1;
  const opt = v.opt ?? '-O2';
  let t = 2;
  let failed = false;
  order.forEach((f, i) => {
    const broken = v.broken === f;
    const cc = s.fork(make, t);
    s.exec(cc, ['cc', opt, '-c', `${f}.c`, '-o', `${f}.o`], { at: t + 0.02 });
    s.open(cc, `${f}.c`, t + 0.03, broken && v.dataMissing === undefined ? {} : {});
    const tmp = tmpName(seed, i);
    const cc1 = s.fork(cc, t + 0.1);
    s.exec(cc1, ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1', '-quiet', `${f}.c`, opt, '-o', tmp], { at: t + 0.11 });
    s.open(cc1, `/src/app/${f}.c`, t + 0.2);
    s.open(cc1, '/usr/include/stdio.h', t + 0.3);
    s.exit(cc1, t + 20, { code: broken ? 1 : 0, rusage: { runtimeNs: 15_000_000n, maxrssKb: 30_000n } });
    if (!broken) s.run(cc, ['as', '--64', '-o', `${f}.o`, tmp], t + 20.1, 3, { rusage: { runtimeNs: 2_000_000n } });
    s.exit(cc, t + 24, { code: broken ? 1 : 0 });
    if (broken) failed = true;
    t += 25;
  });
  if (!failed) {
    const ld = s.fork(make, t);
    s.exec(ld, ['ld', '-o', 'app', ...units.map((f) => `${f}.o`)], { at: t + 0.01 });
    const linkMs = v.linkMs ?? 100;
    s.exit(ld, t + linkMs, {
      rusage: { runtimeNs: BigInt(Math.round(linkMs * 0.9e6)), maxrssKb: BigInt(v.linkRssKib ?? 20_000) },
    });
    t += linkMs + 1;
    const cat = s.fork(make, t);
    s.exec(cat, ['cat', 'data.txt'], { at: t + 0.01 });
    s.open(cat, 'data.txt', t + 0.1, v.dataMissing ? { errno: 2 } : {});
    s.exit(cat, t + 1, { code: v.dataMissing ? 1 : 0 });
    t += 2;
    const curl = s.fork(make, t);
    s.exec(curl, ['curl', '-s', 'https://example.com/upload'], { at: t + 0.01 });
    if (v.dnsFails) {
      s.dns(curl, t + 0.1, 'example.com', -2);
      s.exit(curl, t + 2, { code: 6 });
    } else {
      s.dns(curl, t + 0.1, 'example.com', ['93.184.216.34']);
      s.tcp(curl, t + 1.2, { remote: '93.184.216.34', remotePort: 443, close: t + 5, sent: 100n, received: 200n });
      s.exit(curl, t + 6);
    }
    t += 7;
    const psql = s.fork(make, t);
    s.exec(psql, ['psql', '-h', 'db.internal', '-c', 'select 1'], { at: t + 0.01 });
    if (v.dbRefused) {
      s.tcp(psql, t + 0.5, { remote: '10.0.0.5', remotePort: 5432, errno: 111 });
      s.exit(psql, t + 1, { code: 2 });
    } else {
      s.tcp(psql, t + 0.5, { remote: '10.0.0.5', remotePort: 5432, close: t + 2 });
      s.exit(psql, t + 3);
    }
    t += 4;
  }
  s.exit(make, t + 1, { code: failed || v.dataMissing || v.dnsFails || v.dbRefused ? 2 : 0 });
  return s;
}

/**
 * Two runs that differ in every way the diff reports, through strings made
 * of HOSTILE_STRINGS (escapes, bidi controls, fake lines): argv, cwd,
 * environment names and values, failed opens, lookups, connects, peers,
 * processes only in one run, exit statuses.
 */
export function hostileRun(b: boolean): Synth {
  const h = HOSTILE_STRINGS;
  const s = new Synth({
    rootPid: b ? 9900 : 5900,
    header: {
      hostname: b ? `host${h[0]}` : 'plain',
      kernelRelease: `6.1${h[6]}`,
      commandArgv: ['sh', h[1]!],
      options: { files: true, net: true, dns: true },
    },
  });
  const env = ['PATH=/usr/bin', ...h.map((x, i) => `V${i}=${b ? x : 'plain'}`), `N${h[8]}${h[4]}=${b ? h[5] : 'x'}`];
  const sh = s.root(['sh', h[1]!], { at: 1, cwd: `/w/${h[0]}`, env });
  h.forEach((x, i) => {
    const at = 2 + i * 10;
    const child = s.fork(sh, at);
    s.exec(child, [`./${x}`, b ? x : 'plain', `--opt=${x}`], {
      at: at + 0.02,
      exe: `/w/bin/${x}`,
      cwd: b ? `/w/${x}` : '/w',
    });
    s.open(child, `/etc/${x}`, at + 1, b ? { errno: 2 } : {});
    s.dns(child, at + 2, `${x}.example`, b ? -2 : ['10.0.0.1'], 0.5);
    s.tcp(
      child,
      at + 3,
      b
        ? { remote: '10.0.0.1', remotePort: 443 + i, errno: 111 }
        : { remote: '10.0.0.1', remotePort: 443 + i, close: at + 4 },
    );
    if (b) s.run(child, [x, 'only', 'in', 'B'], at + 4, 0.5, { code: 3 });
    s.exit(child, at + 6, { code: b ? 1 : 0 });
  });
  s.exit(sh, 210, { code: b ? 1 : 0 });
  return s;
}
