// The critical path of a real `make -j2` whose answer is known by construction:
// b (0.3 s) and a (0.9 s) start together; c (0.8 s) waits for b; link (0.4 s)
// waits for a and c. c ends last of link's prerequisites (at 1.1 s, a at 0.9 s),
// so the path is make → b → c → link, and a is off it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CriticalPathReport } from '../../analyze/stats/types.ts';
import { ptraceSync } from '../helpers/cli.ts';
import { captureSync, realCaptureTest, tempDir } from '../helpers/real-capture.ts';

const MAKEFILE = `all: link
a: ; sleep 0.9
b: ; sleep 0.3
c: b ; sleep 0.8
link: a c ; sleep 0.4
.PHONY: all a b c link
`;

realCaptureTest('make -j2 with sleeps of known lengths: the path is make → b → c → link', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'Makefile'), MAKEFILE);
  const { status, file } = captureSync(['make', '-j2'], { cwd: dir });
  t.is(status, 0);

  const stats = ptraceSync(['stats', file, '--json']);
  t.is(stats.code, 0, stats.stderr);
  const c = (JSON.parse(stats.stdout) as { criticalPath: CriticalPathReport }).criticalPath;
  t.deepEqual(
    c.steps.map((s) => s.argv.join(' ')),
    ['make -j2', 'sleep 0.3', 'sleep 0.8', 'sleep 0.4'],
    'make, then b, c and link in time order; a (sleep 0.9) is not on the path',
  );
  t.deepEqual(
    c.steps.map((s) => s.depth),
    [0, 1, 1, 1],
  );
  t.true(c.rootEnded);
  t.is(c.unknownEnds, 0);
  // Own times add up to make's wall time exactly; each sleep's own time is its whole life.
  const wall = c.endNs - c.startNs;
  t.is(
    c.steps.reduce((sum, s) => sum + s.ownNs, 0),
    wall,
  );
  const [make, b, cc, link] = c.steps;
  for (const [s, seconds] of [
    [b!, 0.3],
    [cc!, 0.8],
    [link!, 0.4],
  ] as const) {
    t.is(s.ownNs, s.windowEndNs - s.windowStartNs, `${s.argv.join(' ')}: no child, all its own`);
    t.is(s.windowStartNs, s.startNs, 'the window is its life');
    t.is(s.windowEndNs, s.startNs + s.durationNs);
    t.true(s.ownNs >= seconds * 1e9, `${s.argv.join(' ')} slept ${s.ownNs} ns`);
    t.true(s.ownNs < (seconds + 0.25) * 1e9, `${s.argv.join(' ')} took ${s.ownNs} ns`);
  }
  // The windows follow each other: c starts when b ends (make's reaction in between is make's own time).
  t.true(b!.windowEndNs <= cc!.windowStartNs);
  t.true(cc!.windowEndNs <= link!.windowStartNs);
  t.true(make!.ownNs < 0.25e9, `make's own time ${make!.ownNs} ns`);
  t.true(wall >= 1.5e9);
  // The largest own time first: c's sleep 0.8.
  t.deepEqual(c.images[0]!.argv, ['sleep', '0.8']);

  // tree --critical: the same four processes, each marked with its own time on the path.
  const tree = ptraceSync(['tree', file, '--critical']);
  t.is(tree.code, 0, tree.stderr);
  const lines = tree.stdout.trimEnd().split('\n');
  t.is(lines.length, 4, tree.stdout);
  t.regex(lines[0]!, /^make -j2 {2}\(\d+, [\d.]+s, ◆ [\d.]+ms on the critical path\)$/);
  t.deepEqual(
    lines.slice(1).map((l) => l.replace(/ {2}\(.*$/, '')),
    ['├─ sleep 0.3', '├─ sleep 0.8', '└─ sleep 0.4'],
  );
  t.false(tree.stdout.includes('sleep 0.9'));
});
