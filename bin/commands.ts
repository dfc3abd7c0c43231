// Explicit command registry for oclif (package.json "oclif.commands").
import Capture from './commands/capture.ts';
import Db from './commands/db.ts';
import Export from './commands/export.ts';
import Otel from './commands/otel.ts';
import Stats from './commands/stats.ts';
import Tree from './commands/tree.ts';

export const COMMANDS = {
  capture: Capture,
  db: Db,
  export: Export,
  otel: Otel,
  stats: Stats,
  tree: Tree,
};
