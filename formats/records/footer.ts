// PT_FOOTER: the totals, the last record of a complete file. Not an event:
// the assembler keeps it as the capture's footer.

import { type Bytes, decodeAnchor } from '../decode.ts';
import { setAnchor } from '../encode.ts';
import { END, FOOTER, RT, SEGMENTS_MAX } from '../layout.ts';
import type { CaptureFooter, FooterChecksum } from '../types.ts';
import { checkedAnchor } from '../values.ts';
import type { RawFooter } from './raw.ts';
import type { RecordContext } from './record.ts';

/** The footer at record `at`; warns when its record count disagrees with the records before it. */
export function readFooter(c: RecordContext, b: Bytes, off: number, at: number, pid: number): CaptureFooter {
  const dv = b.dv;
  const le = c.le;
  const values = c.values;
  const type = RT.FOOTER;
  const endFlags = dv.getUint32(off + FOOTER.end_flags, le);
  const stop = decodeAnchor(b, off + FOOTER.stop, le);
  if (stop.boottime < values.earliest || stop.boottime > values.latest) {
    stop.boottime = values.time(stop.boottime, c.site(at, type, pid), 'stop.boottime');
  }
  const { realtime, monotonic } = checkedAnchor(
    { ...stop, boottime: 0n },
    `record ${at} (footer, pid ${pid}): stop.`,
    c.warnings,
  );
  stop.realtime = realtime;
  stop.monotonic = monotonic;
  const footer: CaptureFooter = {
    records: c.amount(dv.getBigUint64(off + FOOTER.records, le), at, type, pid, 'records'),
    lost: c.amount(dv.getBigUint64(off + FOOTER.lost, le), at, type, pid, 'lost'),
    stop,
    rootStatus: dv.getUint32(off + FOOTER.root_status, le),
    processes: dv.getUint32(off + FOOTER.processes, le),
    stillRunning: dv.getUint32(off + FOOTER.still_running, le),
    signalled: (endFlags & END.SIGNALLED) !== 0,
    waitedAll: (endFlags & END.WAITED_ALL) !== 0,
    interrupted: (endFlags & END.INTERRUPTED) !== 0,
    durationElapsed: (endFlags & END.DURATION) !== 0,
    checksum: (endFlags & END.CHECKSUM) !== 0 ? readChecksum(b, off, le) : null,
  };
  const before = BigInt(at - 1);
  if (footer.records !== before) {
    c.warnings.push({
      code: 'footer-count',
      message: `the footer counts ${footer.records} records but ${before} precede it`,
    });
  }
  return footer;
}

function readChecksum(b: Bytes, off: number, le: boolean): FooterChecksum {
  const dv = b.dv;
  const n = Math.min(dv.getUint32(off + FOOTER.segments, le), SEGMENTS_MAX);
  const segments: number[] = [];
  for (let i = 0; i < n; i++) segments.push(dv.getUint32(off + FOOTER.segment_crc32 + 4 * i, le));
  return {
    crc32: dv.getUint32(off + FOOTER.crc32, le),
    headerCrc32: dv.getUint32(off + FOOTER.header_crc32, le),
    segmentRecords: dv.getUint32(off + FOOTER.segment_records, le),
    segments,
  };
}

/** Writes the payload of a footer record (the head and zero fill are the caller's: records/index.ts encodeRecordInto). */
export function encodeFooter(_buf: Buffer, dv: DataView, off: number, rec: RawFooter, le: boolean): void {
  dv.setBigUint64(off + FOOTER.records, rec.records, le);
  dv.setBigUint64(off + FOOTER.lost, rec.lost, le);
  setAnchor(dv, off + FOOTER.stop, rec.stop, le);
  dv.setUint32(off + FOOTER.root_status, rec.rootStatus, le);
  dv.setUint32(off + FOOTER.processes, rec.processes, le);
  dv.setUint32(off + FOOTER.still_running, rec.stillRunning, le);
  dv.setUint32(off + FOOTER.end_flags, rec.endFlags, le);
}
