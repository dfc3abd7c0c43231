// docs/cli.md is generated from the commands' own help: a command, flag or
// description changed without regenerating it fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { cliReference } from '../../scripts/gen-cli-docs.ts';
import { ROOT } from '../helpers/real-capture.ts';

test('docs/cli.md is current (node scripts/gen-cli-docs.ts regenerates it)', async (t) => {
  const committed = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
  t.is(committed, await cliReference());
  t.regex(committed, /^## ptrace tree$/m);
});
