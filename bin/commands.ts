// Explicit command registry for oclif (package.json "oclif.commands").
export const COMMANDS = {};
