// Explicit command registry for oclif (package.json "oclif.commands").
import Capture from './commands/capture.ts';

export const COMMANDS = {
  capture: Capture,
};
