#!/usr/bin/env node
// Entry point: oclif finds the commands in bin/commands.ts (Node >= 22.18 strips TypeScript types natively).
import { execute } from '@oclif/core';

// `ptrace tree run.raw | head`: a reader that goes away is not an error; any other failure
// (a full disk behind a redirection) is one line. First in line: oclif's own listener rethrows.
process.stdout.prependListener('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  process.stderr.write(`ptrace: cannot write standard output: ${err.code ?? err.message}\n`);
  process.exit(2);
});

await execute({ dir: import.meta.url });
