// Latency histograms (read, write, fsync, off-CPU), summed per kind over processes.

import { addBuckets, bucketUpper, HIST_BUCKETS, quantileBucket } from '../../replay/files.ts';
import type { StatsContext } from '../context.ts';
import type { HistogramStat } from '../types.ts';

const KIND_ORDER = ['read', 'write', 'fsync', 'offcpu'];

export function histogramStats(ctx: StatsContext): HistogramStat[] {
  const { nameOf } = ctx;
  // In process id order (then kind): each kind's rows by process id.
  const histRows = ctx.model.histograms;
  const kinds = new Map<string, HistogramStat>();
  for (const h of histRows) {
    let k = kinds.get(h.kind);
    if (k === undefined) {
      kinds.set(
        h.kind,
        (k = {
          kind: h.kind,
          processes: 0,
          count: 0,
          totalNs: 0,
          maxNs: 0,
          buckets: new Array<number>(HIST_BUCKETS).fill(0),
          p50Bucket: -1,
          p99Bucket: -1,
          p50UpperNs: null,
          p99UpperNs: null,
          top: [],
        }),
      );
    }
    const b = h.buckets;
    const count = Number(h.count);
    const totalNs = Number(h.totalNs);
    const maxNs = Number(h.maxNs);
    k.processes++;
    k.count += count;
    k.totalNs += totalNs;
    if (maxNs > k.maxNs) k.maxNs = maxNs;
    addBuckets(k.buckets, b);
    const p99 = quantileBucket(b, 0.99);
    k.top.push({
      processId: h.processId,
      pid: ctx.byId.get(h.processId)?.pid ?? 0,
      name: nameOf(h.processId),
      count,
      totalNs,
      maxNs,
      p99UpperNs: p99 < 0 ? null : bucketUpper(p99),
    });
  }
  const histograms = [...kinds.values()].sort((a, b) => {
    const ia = KIND_ORDER.indexOf(a.kind);
    const ib = KIND_ORDER.indexOf(b.kind);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a.kind < b.kind ? -1 : 1);
  });
  for (const k of histograms) {
    k.p50Bucket = quantileBucket(k.buckets, 0.5);
    k.p99Bucket = quantileBucket(k.buckets, 0.99);
    k.p50UpperNs = k.p50Bucket < 0 ? null : bucketUpper(k.p50Bucket);
    k.p99UpperNs = k.p99Bucket < 0 ? null : bucketUpper(k.p99Bucket);
    k.top = k.top.sort((a, b) => b.totalNs - a.totalNs || a.processId - b.processId).slice(0, 3);
  }

  return histograms;
}
