// PT_DNS_MSG: a DNS message a traced process sent or received; its bytes follow in chunks.
import { decodeDnsMsg } from '../decode.ts';
import { DK, DNS_MSG, DNSD, RT } from '../layout.ts';
import { ipAddress } from '../names.ts';
import type { DnsMessageEvent } from '../types.ts';
import type { RawDnsMsgRecord } from './raw.ts';
import { MISSING, missing, type RecordType } from './record.ts';

export const dnsMsg: RecordType<DnsMessageEvent> = {
  type: RT.DNS_MSG,
  // Several chunks in most messages: always queued for them, never completed inline.
  owns: {
    kindMask: 1 << DK.DNS_MSG,
    finalKind: () => DK.DNS_MSG,
    complete(e, strings) {
      e.message = strings[DK.DNS_MSG]?.captured() ?? missing();
    },
    single: null,
  },
  read(c, b, off, _at, ts, pid, start, tid) {
    const r = decodeDnsMsg(b, off, c.le);
    return {
      kind: 'dns_msg',
      ts,
      process: { pid, start },
      tid,
      direction: r.direction === DNSD.SENT ? 'sent' : 'received',
      family: r.family === 2 ? 4 : r.family === 10 ? 6 : r.family,
      localAddress: ipAddress(r.family, r.localAddr),
      localPort: r.localPort,
      remoteAddress: ipAddress(r.family, r.remoteAddr),
      remotePort: r.remotePort,
      length: r.length,
      message: MISSING,
    };
  },
};

/** Writes the payload of a dns_msg record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeDnsMsg(buf: Buffer, dv: DataView, off: number, rec: RawDnsMsgRecord, le: boolean): void {
  buf[off + DNS_MSG.direction] = rec.direction;
  dv.setUint16(off + DNS_MSG.family, rec.family, le);
  dv.setUint16(off + DNS_MSG.local_port, rec.localPort, le);
  dv.setUint16(off + DNS_MSG.remote_port, rec.remotePort, le);
  dv.setUint32(off + DNS_MSG.length, rec.length, le);
  dv.setUint32(off + DNS_MSG.captured, rec.captured, le);
  rec.localAddr.copy(buf, off + DNS_MSG.local_addr, 0, 16);
  rec.remoteAddr.copy(buf, off + DNS_MSG.remote_addr, 0, 16);
}
