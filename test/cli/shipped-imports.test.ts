// What the ptrace command loads never comes from testkit/ or test/: the
// synthesizers and fixtures there are for tests and benchmarks only.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import test from 'ava';
import { ROOT } from '../helpers/real-capture.ts';

const ENTRY_POINTS = ['bin/ptrace.js', 'bin/commands.ts'];
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** Every local module reachable from `entries` through relative static or dynamic imports, as paths from the root. */
function reachableModules(entries: string[]): string[] {
  const seen = new Set<string>();
  const pending = entries.map((e) => join(ROOT, e));
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)) pending.push(resolve(dirname(file), m[1]!));
  }
  return [...seen].map((f) => relative(ROOT, f)).sort();
}

test('nothing the ptrace command loads comes from testkit/ or test/', (t) => {
  const modules = reachableModules(ENTRY_POINTS);
  t.true(
    modules.includes('analyze/replay/model.ts') && modules.includes('formats/reader.ts'),
    'the walk follows imports',
  );
  t.deepEqual(
    modules.filter((m) => m.startsWith('testkit/') || m.startsWith('test/')),
    [],
  );
});
