// The Node CLI: oclif with the commands of bin/commands.ts (main.ts loads it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execute } from '@oclif/core';
import { COMPILED, PACKAGE_ROOT, versionText } from './install.ts';

// `ptrace tree run.raw | head`: a reader that goes away is not an error; any other failure
// (a full disk behind a redirection) is one line. First in line: oclif's own listener rethrows.
process.stdout.prependListener('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  process.stderr.write(`ptrace: cannot write standard output: ${err.code ?? err.message}\n`);
  process.exit(2);
});

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v' || args[0] === 'version')) {
  process.stdout.write(`${versionText()}\n`);
} else {
  const pjson = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
  const entry = (name: string) => (COMPILED ? `./dist/bin/${name}.js` : `./bin/${name}.ts`);
  pjson.oclif.commands.target = entry('commands');
  pjson.oclif.hooks = { command_not_found: entry('not-found') };
  await execute({ args, loadOptions: { root: PACKAGE_ROOT, pjson } });
}
