// Checks formats/layout.ts against what the C compiler makes of bpf/ptrace.h.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSTANTS, FILE_MAGIC, STRUCTS } from '../../formats/layout.ts';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, '..', 'layout', 'offsets.c');

interface CField {
  off: number;
  size: number;
  signed: boolean;
}
interface CLayout {
  magic_hex: string;
  structs: Record<string, { size: number; base: number; fields: Record<string, CField> }>;
  constants: Record<string, number>;
}

function compilerLayout(): CLayout {
  const probe = spawnSync('cc', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `the layout test needs a C compiler: running "cc --version" failed (${probe.error?.message ?? `exit ${probe.status}`}); install gcc or clang`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'ptrace-layout-'));
  try {
    const exe = join(dir, 'offsets');
    execFileSync('cc', ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-o', exe, source], { stdio: ['ignore', 'inherit', 'inherit'] });
    return JSON.parse(execFileSync(exe, { encoding: 'utf8' })) as CLayout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let layout: CLayout | Error;
try {
  layout = compilerLayout();
} catch (err) {
  layout = err instanceof Error ? err : new Error(String(err));
}

if (layout instanceof Error) {
  const message = layout.message;
  test('compile test/layout/offsets.c against bpf/ptrace.h', (t) => {
    t.fail(message);
  });
} else {
  const c = layout;

  test('file magic', (t) => {
    t.is(Buffer.from(FILE_MAGIC, 'latin1').toString('hex'), c.magic_hex);
  });

  test('the same structs on both sides', (t) => {
    t.deepEqual(Object.keys(STRUCTS).sort(), Object.keys(c.structs).sort());
  });

  for (const [name, cs] of Object.entries(c.structs)) {
    test(`struct ${name}`, (t) => {
      const ts = STRUCTS[name];
      if (!ts) return t.fail(`formats/layout.ts has no ${name}`);
      t.is(ts.size, cs.size, `sizeof(struct ${name})`);
      t.is(ts.base, cs.base, `offset of struct ${name} in its container`);
      t.deepEqual(Object.keys(ts.fields).sort(), Object.keys(cs.fields).sort(), `fields of ${name}`);
      for (const [field, cf] of Object.entries(cs.fields)) {
        const tf = ts.fields[field];
        t.deepEqual(
          tf && { off: tf.off, size: tf.size, signed: tf.signed === true },
          cf,
          `${name}.${field}`,
        );
      }
    });
  }

  test('enums and #defines', (t) => {
    t.deepEqual(CONSTANTS, c.constants);
  });
}
