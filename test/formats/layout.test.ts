// formats/layout.generated.ts must be what scripts/gen-layout.ts makes of
// bpf/ptrace.h with the C compiler today: regenerate into a temp dir, compare.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { RECORD_TYPE_NAMES, RT, STRUCTS } from '../../formats/layout.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const committed = join(root, 'formats', 'layout.generated.ts');

function regenerate(): { text: string } | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ptrace-layout-'));
  try {
    const out = join(dir, 'layout.generated.ts');
    const run = spawnSync(process.execPath, [join(root, 'scripts', 'gen-layout.ts'), out], { encoding: 'utf8' });
    if (run.error || run.status !== 0) {
      return {
        error: `scripts/gen-layout.ts failed (it needs a C compiler, "cc"): ${run.error?.message ?? run.stderr}`,
      };
    }
    return { text: readFileSync(out, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('formats/layout.generated.ts is up to date with bpf/ptrace.h (npm run gen:layout)', (t) => {
  const fresh = regenerate();
  if ('error' in fresh) return t.fail(fresh.error);
  t.is(
    readFileSync(committed, 'utf8'),
    fresh.text,
    'stale: run `npm run gen:layout` and commit formats/layout.generated.ts',
  );
});

test('every payload struct tiles its place in the 256-byte record', (t) => {
  const record = STRUCTS.pt_event!;
  for (const [name, s] of Object.entries(STRUCTS)) {
    if (s.base === 0) continue;
    t.true(s.base + s.size <= record.size, name);
    for (const [field, f] of Object.entries(s.fields))
      t.true(f.off >= s.base && f.off + f.size <= s.base + s.size, `${name}.${field}`);
  }
});

test('record type names are the lower-case enum names', (t) => {
  t.is(RECORD_TYPE_NAMES[RT.EXEC_FAILED], 'exec_failed');
  t.is(RECORD_TYPE_NAMES[RT.DNS_MSG], 'dns_msg');
  t.is(Object.keys(RECORD_TYPE_NAMES).length, Object.keys(RT).length);
});
