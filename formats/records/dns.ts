// PT_DNS: a getaddrinfo() call returned; the name looked up follows in chunks.
import { decodeDns } from '../decode.ts';
import { DK, RT } from '../layout.ts';
import { eaiName, ipAddress } from '../names.ts';
import type { DnsEvent } from '../types.ts';
import { MISSING, oneString, type RecordType } from './record.ts';

export const dns: RecordType<DnsEvent> = {
  type: RT.DNS,
  owns: oneString(DK.NAME, (e, s) => {
    e.name = s;
  }),
  read(c, b, off, at, ts, pid, start, tid) {
    const r = decodeDns(b, off, c.le);
    const answers: { family: number; address: string }[] = [];
    for (let i = 0; i < r.families.length; i++) {
      const af = r.families[i]!;
      if (af === 2 || af === 10) answers.push({ family: af === 2 ? 4 : 6, address: ipAddress(af, r.addrs[i]!) });
    }
    return {
      kind: 'dns',
      ts,
      process: { pid, start },
      tid,
      name: MISSING,
      result: r.result,
      resultName: eaiName(r.result),
      count: r.count,
      answers,
      startTs: c.optionalTime(r.startTs, at, RT.DNS, pid, 'start_ts'),
      latencyNs: c.amount(r.latencyNs, at, RT.DNS, pid, 'latency_ns'),
    };
  },
};
