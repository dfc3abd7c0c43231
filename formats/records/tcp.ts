// PT_TCP: a TCP connection of a traced process connected, failed, was accepted, closed, or was open at stop.
import { decodeTcp } from '../decode.ts';
import { RT, TCP } from '../layout.ts';
import { errnoName, ipAddress, tcpEventName, tcpRoleName, tcpStateName } from '../names.ts';
import type { TcpEvent } from '../types.ts';
import type { RawTcpRecord } from './raw.ts';
import type { RecordType } from './record.ts';

export const tcp: RecordType<TcpEvent> = {
  type: RT.TCP,
  owns: null,
  read(c, b, off, at, ts, pid, start, tid) {
    const r = decodeTcp(b, off, c.le);
    return {
      kind: 'tcp',
      ts,
      process: { pid, start },
      tid,
      event: tcpEventName(r.event),
      role: tcpRoleName(r.role),
      family: r.family === 2 ? 4 : r.family === 10 ? 6 : r.family,
      localAddress: ipAddress(r.family, r.localAddr),
      localPort: r.localPort,
      remoteAddress: ipAddress(r.family, r.remoteAddr),
      remotePort: r.remotePort,
      errno: r.error > 0 ? r.error : null,
      errnoName: r.error > 0 ? errnoName(r.error) : null,
      connId: r.connId,
      startTs: c.optionalTime(r.startTs, at, RT.TCP, pid, 'start_ts'),
      latencyNs: c.amount(r.latencyNs, at, RT.TCP, pid, 'latency_ns'),
      bytesSent: c.amount(r.bytesSent, at, RT.TCP, pid, 'bytes_sent'),
      bytesReceived: c.amount(r.bytesReceived, at, RT.TCP, pid, 'bytes_received'),
      retransmits: r.retransmits,
      tcpState: r.tcpState === 0 ? null : tcpStateName(r.tcpState),
      softErrno: r.softError > 0 ? r.softError : null,
      softErrnoName: r.softError > 0 ? errnoName(r.softError) : null,
    };
  },
};

/** Writes the payload of a tcp record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeTcp(buf: Buffer, dv: DataView, off: number, rec: RawTcpRecord, le: boolean): void {
  buf[off + TCP.event] = rec.event;
  buf[off + TCP.role] = rec.role;
  dv.setUint16(off + TCP.family, rec.family, le);
  dv.setUint16(off + TCP.local_port, rec.localPort, le);
  dv.setUint16(off + TCP.remote_port, rec.remotePort, le);
  dv.setInt32(off + TCP.error, rec.error, le);
  dv.setUint32(off + TCP.conn_id, rec.connId, le);
  rec.localAddr.copy(buf, off + TCP.local_addr, 0, 16);
  rec.remoteAddr.copy(buf, off + TCP.remote_addr, 0, 16);
  dv.setBigUint64(off + TCP.start_ts, rec.startTs, le);
  dv.setBigUint64(off + TCP.latency_ns, rec.latencyNs, le);
  dv.setBigUint64(off + TCP.bytes_sent, rec.bytesSent, le);
  dv.setBigUint64(off + TCP.bytes_received, rec.bytesReceived, le);
  dv.setUint32(off + TCP.retransmits, rec.retransmits, le);
  buf[off + TCP.tcp_state] = rec.tcpState;
  dv.setUint16(off + TCP.soft_error, rec.softError, le);
}
