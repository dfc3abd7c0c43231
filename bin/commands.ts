// Explicit command registry for oclif (package.json "oclif.commands").
import Capture from './commands/capture.ts';
import Db from './commands/db.ts';
import Export from './commands/export.ts';
import Stats from './commands/stats.ts';
import Tree from './commands/tree.ts';

export const COMMANDS = {
  capture: Capture,
  db: Db,
  export: Export,
  stats: Stats,
  tree: Tree,
};
