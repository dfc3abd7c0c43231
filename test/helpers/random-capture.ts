// Seeded random captures for the tests that compare two ways of computing
// the same figures (test/replay/stats-sql.test.ts, export-rows.test.ts).

import { dnsQueryBytes, dnsReplyBytes, EVERY_OPTION, Synth } from '../../testkit/synth.ts';
import { prng } from './prng.ts';

/**
 * A capture drawn from `seed`: few distinct values for everything, so that
 * counts, sums and durations tie; names past U+FFFF; usage near 2^53; lookups,
 * connections and DNS messages that fail in every way; containers and losses.
 */
export function randomScenario(seed: number): Synth {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const s = new Synth({
    rootPid: 100,
    header: {
      options: EVERY_OPTION,
    },
  });
  const names = ['cc', 'ld', '\uE000x', '\u{1F600}x', 'as', 'cc1'];
  const hosts = ['a.example', 'b.example', '\u{1F600}.example', 'c.example'];
  const addresses = ['10.0.0.1', '10.0.0.2', '10.0.0.10', '::1', '10.0.0.1'];
  const containers = [
    undefined,
    { cgroupId: 7, pidNs: 11, mntNs: 12, netNs: 13, utsNs: 14 },
    { cgroupId: 8, pidNs: 21, mntNs: 12, netNs: 23, utsNs: 14 },
    { cgroupId: 9, pidNs: 31, mntNs: 12, netNs: 13, utsNs: 14 },
  ];
  const root = s.root(['make'], { at: 1 });
  s.cgroup(7, `/system.slice/docker-${'ab'.repeat(32)}.scope`, 1.5);
  s.cgroup(8, '/system.slice/other.service', 1.5);
  s.cgroup(9, `/system.slice/docker-${'cd'.repeat(32)}.scope`, 1.5);
  const live = [root];
  let at = 2;
  const n = 20 + Math.floor(r() * 30);
  for (let i = 0; i < n; i++) {
    at += pick([0, 1, 1, 2]);
    const parent = pick(live);
    // Pids that fall as time goes on: ties in time are ordered by pid, not by creation.
    const p = s.fork(parent, at, 60_000 - i);
    const container = pick(containers);
    if (container !== undefined) p.container = container;
    live.push(p);
    if (r() < 0.2) s.execFailed(p, `/usr/local/bin/${pick(names)}`, pick([2, 13]), at + 0.1);
    const execs = pick([0, 1, 1, 1, 2]);
    for (let k = 0; k < execs; k++) {
      const name = pick(names);
      s.exec(p, r() < 0.1 ? [] : [name, pick(['-c', '-o', ''])], {
        at: at + 0.2 + k * pick([0.5, 1]),
        exe: `/usr/bin/${pick(names)}`,
        argvTruncated: r() < 0.1,
      });
    }
    if (r() < 0.3) s.thread(p, at + 0.3, 10_000 + i);
    if (r() < 0.3)
      s.hist(p, pick(['read', 'write', 'offcpu', 'kind9']), at + 0.4, { [pick([3, 12, 27])]: pick([1, 2]) });
    if (r() < 0.4) {
      const host = pick(hosts);
      const result = pick([0, 0, -2, -3]);
      s.dns(p, at + 0.5, host, result === 0 ? [pick(addresses)] : result, pick([1, 2]));
    }
    if (r() < 0.4) {
      const failed = r() < 0.3;
      s.tcp(p, at + 0.6, {
        role: r() < 0.2 ? 'server' : 'client',
        remote: pick(addresses),
        remotePort: pick([80, 443]),
        localPort: pick([8080, 9090]),
        errno: failed ? pick([111, 110, 113]) : undefined,
        close: r() < 0.7 ? at + 5 : null,
        sent: pick([0n, 100n, 2n ** 53n - 1n]),
        received: pick([0n, 100n]),
        retransmits: pick([0, 0, 3]),
      });
    }
    if (r() < 0.3) {
      const id = Math.floor(r() * 65536);
      const host = pick(hosts);
      const server = pick(['127.0.0.53', '10.0.0.53']);
      s.dnsMessage(p, at + 0.7, 'sent', server, 41000 + i, dnsQueryBytes(id, host, 'A'));
      const reply = pick(['none', 'ok', 'nx', 'servfail']);
      if (reply !== 'none') {
        const rcode = reply === 'ok' ? 0 : reply === 'nx' ? 3 : 2;
        const answers: [string, string, string][] = rcode === 0 ? [[host, 'A', '10.0.0.1']] : [];
        s.dnsMessage(p, at + 0.8, 'received', server, 41000 + i, dnsReplyBytes(id, host, 'A', rcode, answers));
      }
    }
    if (r() < 0.85) {
      const big = 2 ** 53 - 1;
      s.exit(p, at + pick([1, 3, 3, 10]), {
        ...(r() < 0.2 ? { signal: pick([9, 11]), core: r() < 0.5 } : { code: pick([0, 0, 0, 1, 2]) }),
        rusage:
          r() < 0.8
            ? {
                utimeNs: BigInt(pick([0, 1000, 5000, big])),
                stimeNs: BigInt(pick([0, 1000, big])),
                runtimeNs: BigInt(pick([0, 0, 1, 7000])),
                maxrssKb: BigInt(pick([0, 100, 2000])),
                majFlt: BigInt(pick([0, 1])),
              }
            : undefined,
      });
    }
  }
  if (r() < 0.5) s.loss(pick([1, 2]), BigInt(pick([1, 5])), at);
  if (r() < 0.5) s.loss(1, 9n, at + 1);
  s.exit(root, at + 20);
  return s;
}
