// Explicit command registry for oclif (package.json "oclif.commands").
import Capture from './commands/capture.ts';
import Db from './commands/db.ts';
import Diff from './commands/diff.ts';
import Export from './commands/export.ts';
import Info from './commands/info.ts';
import Otel from './commands/otel.ts';
import Redact from './commands/redact.ts';
import Report from './commands/report.ts';
import Stats from './commands/stats.ts';
import Tree from './commands/tree.ts';

export const COMMANDS = {
  capture: Capture,
  db: Db,
  diff: Diff,
  export: Export,
  info: Info,
  otel: Otel,
  redact: Redact,
  report: Report,
  stats: Stats,
  tree: Tree,
};
