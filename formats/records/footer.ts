// PT_FOOTER: the totals, the last record of a complete file. Not an event:
// the assembler keeps it as the capture's footer.
import { type Bytes, decodeAnchor } from '../decode.ts';
import { END, FOOTER, RT } from '../layout.ts';
import type { CaptureFooter } from '../types.ts';
import { checkedAnchor } from '../values.ts';
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
