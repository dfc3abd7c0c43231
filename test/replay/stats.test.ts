// The stats report's pure parts: concurrency sweep and histogram bars.
import test from 'ava';
import { bar, concurrency } from '../../analyze/stats/stats.ts';

test('concurrency: peak, its time, per-bucket max and time-weighted average', (t) => {
  const procs = [
    { start: 0, end: 100 },
    { start: 10, end: 60 },
    { start: 20, end: 30 },
    { start: 50, end: null }, // still running: counts until the capture end
  ];
  const c = concurrency(procs, 100, 4);
  t.is(c.peak, 3);
  t.is(c.peakAt, 20);
  t.is(c.timeline.bucketNs, 25);
  t.deepEqual(
    c.timeline.buckets.map((b) => b.max),
    [3, 3, 3, 2],
  );
  // Bucket 0 (0-25): 1 live 0-10, 2 live 10-20, 3 live 20-25 → (10 + 20 + 15) / 25.
  t.is(c.timeline.buckets[0]!.avg, 1.8);
});

test('concurrency: a process replaced at the instant another starts is not counted twice', (t) => {
  const c = concurrency(
    [
      { start: 0, end: 10 },
      { start: 10, end: 20 },
    ],
    20,
    2,
  );
  t.is(c.peak, 1);
});

test('concurrency: no processes, and 300,000 of them (no argument-spread limits)', (t) => {
  t.is(concurrency([], 0).peak, 0);
  const many = Array.from({ length: 300_000 }, (_, i) => ({ start: i, end: i + 5 }));
  t.is(concurrency(many, 300_010).peak, 5);
});

test('bar: eighths of a block, empty for zero', (t) => {
  t.is(bar(0, 10), '');
  t.is(bar(10, 10, 4), '████');
  t.is(bar(5, 10, 4), '██');
  t.is(bar(1, 16, 2), '▏');
});

test('concurrency: times far apart (2^56 ns, where doubles step by 16) end, every bucket filled in', (t) => {
  // A flipped byte in a timestamp: bucket edges above 2^53 cannot be represented exactly.
  for (const far of [2 ** 56, 2 ** 60, 2 ** 63, Number.MAX_VALUE]) {
    const c = concurrency(
      [
        { start: 0, end: 10 },
        { start: 5, end: far },
      ],
      far,
      50,
    );
    t.is(c.peak, 2);
    t.is(c.timeline.buckets.length, 50);
    for (const b of c.timeline.buckets) t.true(Number.isFinite(b.avg), `avg of a bucket at ${far}`);
  }
  const negative = concurrency(
    [
      { start: -(2 ** 60), end: 3 },
      { start: 1, end: 2 ** 58 },
    ],
    2 ** 58,
    10,
  );
  t.is(negative.peak, 2);
});
