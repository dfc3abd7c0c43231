// Explicit command registry for oclif (package.json "oclif.commands").
import Capture from './commands/capture.ts';
import Db from './commands/db.ts';
import Tree from './commands/tree.ts';

export const COMMANDS = {
  capture: Capture,
  db: Db,
  tree: Tree,
};
