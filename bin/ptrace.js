#!/usr/bin/env node
// Entry point: oclif finds the commands in bin/commands.ts (Node >= 22.18 strips TypeScript types natively).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
