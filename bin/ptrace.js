#!/usr/bin/env node
// Entry point: oclif finds the commands in bin/commands.ts (Node >= 22.18 strips TypeScript types natively).
import { execute } from '@oclif/core';

// `ptrace tree run.raw | head`: a reader that goes away is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

await execute({ dir: import.meta.url });
