// Concurrency: live processes over time (the timeline section and the overview's peak).

import type { ProcInfo } from '../../replay/capture-info.ts';
import type { TimelineBucket } from '../types.ts';

/** Buckets of the timeline. */
const BUCKETS = 30;

/** Live processes over time: the peak, and per-bucket max and time-weighted average. */
export function concurrency(
  processes: readonly Pick<ProcInfo, 'start' | 'end'>[],
  captureEnd: number,
  buckets = BUCKETS,
): { peak: number; peakAt: number; timeline: { bucketNs: number; buckets: TimelineBucket[] } } {
  const points: [number, number][] = [];
  for (const p of processes) {
    points.push([p.start, 1]);
    points.push([p.end ?? Math.max(captureEnd, p.start), -1]);
  }
  // Ends before starts at the same instant: a process replaced by another is not counted twice.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let live = 0;
  let peak = 0;
  let peakAt = 0;
  // Loops, not Math.min(...spread): a spread of 200,000 arguments overflows the stack.
  let first = 0;
  let last = captureEnd;
  for (const [at] of points) {
    if (at < first) first = at;
    if (at > last) last = at;
  }
  const span = Math.max(1, last - first);
  const bucketNs = Math.ceil(span / buckets);
  const out: TimelineBucket[] = Array.from({ length: buckets }, (_, i) => ({
    startNs: first + i * bucketNs,
    max: 0,
    avg: 0,
  }));
  const weighted = new Float64Array(buckets);
  let t = first;
  const advance = (to: number): void => {
    // Time-weighted live count from t to `to`, bucket by bucket. Above 2^53 ns a
    // bucket edge may not be representable (it rounds back to t): then the rest
    // goes to the current bucket. Never more steps than buckets, whatever the times.
    for (let steps = 0; t < to && steps <= 2 * buckets; steps++) {
      const b = Math.min(buckets - 1, Math.max(0, Math.floor((t - first) / bucketNs)));
      const edge = first + (b + 1) * bucketNs;
      const bEnd = b === buckets - 1 || !(edge > t) ? to : Math.min(to, edge);
      weighted[b]! += live * (bEnd - t);
      if (live > out[b]!.max) out[b]!.max = live;
      t = bEnd;
    }
    if (t < to) t = to;
  };
  for (const [at, d] of points) {
    advance(at);
    live += d;
    if (live > peak) {
      peak = live;
      peakAt = at;
    }
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((at - first) / bucketNs)));
    if (live > out[b]!.max) out[b]!.max = live;
  }
  advance(last);
  out.forEach((b, i) => {
    const len = i === buckets - 1 ? Math.max(1, last - b.startNs) : bucketNs;
    b.avg = Math.round((weighted[i]! / len) * 100) / 100;
  });
  return { peak, peakAt, timeline: { bucketNs, buckets: out } };
}
