// ptrace diff on two process chains 20,000 levels deep that differ at every
// level: no stack overflow, output linear in the number of processes, and a
// JSON document of megabytes written whole through a pipe before exit 1.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Synth, type SynthProc } from '../../testkit/synth.ts';
import { ptraceSync } from '../helpers/cli.ts';

const LEVELS = 20_000;
const work = mkdtempSync(join(tmpdir(), 'ptrace-diff-deep-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

/** A chain of forks, an exec every 1,000 levels with a variable of its own; exit codes alternate by `flip`. */
function chain(flip: 0 | 1): Buffer {
  const s = new Synth({ rootPid: 10_000 + flip * 7, header: { commandArgv: ['step', '0'] } });
  const env = ['PATH=/bin'];
  const procs: SynthProc[] = [s.root(['step', '0'], { at: 1, cwd: '/w', env })];
  for (let i = 1; i < LEVELS; i++) {
    const p = s.fork(procs[i - 1]!, 1 + i * 0.001);
    if (i % 1000 === 0) s.exec(p, ['step', String(i)], { at: 1 + i * 0.001 + 0.0001, env: [...env, `L${i}=${flip}`] });
    procs.push(p);
  }
  if (flip === 1) s.run(procs[LEVELS - 1]!, ['extra'], 250, 1, { code: 9 });
  for (let i = LEVELS - 1; i >= 0; i--) s.exit(procs[i]!, 300 + (LEVELS - i) * 0.001, { code: (i + flip) % 2 });
  return s.buffer();
}

writeFileSync(join(work, 'a.raw'), chain(0));
writeFileSync(join(work, 'b.raw'), chain(1));

test('a deep chain against itself: no differences', (t) => {
  const r = ptraceSync(['diff', 'a.raw', 'a.raw'], { cwd: work });
  t.is(r.code, 0, r.stderr.slice(0, 2000));
  t.is(r.stdout.split('\n')[0], 'no differences beyond the noise thresholds');
});

test('deep chains differing at every level: bounded text, whole JSON through a pipe', (t) => {
  const r = ptraceSync(['diff', 'a.raw', 'b.raw'], { cwd: work });
  t.is(r.code, 1, r.stderr.slice(0, 2000));
  t.false(r.stderr.includes('Maximum call stack'));
  t.is(
    r.stdout.split('\n')[0],
    `B failed: \`extra\` exit 9 (only in B); ${LEVELS} other outcomes changed; 1 process only in B; env: L1000 changed, L2000 changed, L3000 changed, +16 more`,
  );
  t.true(r.stdout.length < 20_000, 'each section cut at 50 lines');
  const j = ptraceSync(['diff', 'a.raw', 'b.raw', '--json'], { cwd: work });
  t.is(j.code, 1);
  t.true(j.stdout.length > 1 << 20, 'megabytes, more than a pipe holds');
  const doc = JSON.parse(j.stdout) as {
    outcomes: unknown[];
    firstDivergence: { ancestryB: unknown[] };
    env: unknown[];
  };
  t.is(doc.outcomes.length, LEVELS + 1);
  t.is(doc.firstDivergence.ancestryB.length, 32, 'the nearest 32 images');
  t.is(doc.env.length, LEVELS / 1000 - 1);
});
