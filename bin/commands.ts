// Explicit command registry for oclif (package.json "oclif.commands").
import Capture from './commands/capture.ts';
import Db from './commands/db.ts';
import Export from './commands/export.ts';
import Info from './commands/info.ts';
import Otel from './commands/otel.ts';
import Redact from './commands/redact.ts';
import Stats from './commands/stats.ts';
import Tree from './commands/tree.ts';

export const COMMANDS = {
  capture: Capture,
  db: Db,
  export: Export,
  info: Info,
  otel: Otel,
  redact: Redact,
  stats: Stats,
  tree: Tree,
};
