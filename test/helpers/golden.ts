// Golden files: test/golden/NAME holds the expected output. UPDATE_GOLDEN=1
// rewrites every golden a test compares (review the diff before committing);
// a missing golden is written and the test fails, so a run never passes
// without comparing.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { ROOT } from './real-capture.ts';

export const GOLDEN_DIR = join(ROOT, 'test/golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

export function readGolden(name: string): string {
  return readFileSync(join(GOLDEN_DIR, name), 'utf8');
}

/** Compares `actual` with the golden file `name` (UPDATE_GOLDEN=1 rewrites it instead). */
export function matchesGolden(t: ExecutionContext, name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name);
  if (UPDATE || !existsSync(path)) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, actual);
    if (!UPDATE) throw new Error(`${name}: golden file was missing and has been written; run again`);
    t.log(`wrote ${path}`);
    t.pass();
    return;
  }
  t.is(actual, readFileSync(path, 'utf8'), `${name} differs (UPDATE_GOLDEN=1 rewrites it)`);
}
