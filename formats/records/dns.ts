// PT_DNS: a getaddrinfo() call returned; the name looked up follows in chunks.
import { decodeDns } from '../decode.ts';
import { DK, DNS, DNS_ANSWERS, RT } from '../layout.ts';
import { eaiName, ipAddress } from '../names.ts';
import type { DnsEvent } from '../types.ts';
import type { RawDnsRecord } from './raw.ts';
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

/** Writes the payload of a dns record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeDns(buf: Buffer, dv: DataView, off: number, rec: RawDnsRecord, le: boolean): void {
  dv.setInt32(off + DNS.result, rec.result, le);
  dv.setUint32(off + DNS.count, rec.count, le);
  dv.setBigUint64(off + DNS.start_ts, rec.startTs, le);
  dv.setBigUint64(off + DNS.latency_ns, rec.latencyNs, le);
  for (let i = 0; i < DNS_ANSWERS && i < rec.families.length; i++) {
    dv.setUint16(off + DNS.families + 2 * i, rec.families[i]!, le);
    rec.addrs[i]?.copy(buf, off + DNS.addrs + 16 * i, 0, 16);
  }
}
