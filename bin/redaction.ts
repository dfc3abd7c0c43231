// The secret flags the replay commands share, and the redactor they ask for
// (docs/secrets.md). Outputs that leave the machine (export, otel, db) are
// redacted with keyed markers unless --no-redact; terminal views (tree, stats,
// info) mask with plain markers unless --show-secrets.

import { Flags } from '@oclif/core';
import { builtinRules, createRedactor, loadRulesFile, type Redactor } from '../analyze/secrets/index.ts';

const rules = Flags.string({
  description: 'more secret rules: names, value patterns, options, names to keep (JSON or lines; docs/secrets.md)',
  helpValue: 'FILE',
});

/** For outputs that leave the machine: `--redact` (default) / `--no-redact`, `--rules FILE`. */
export const redactFlags = {
  redact: Flags.boolean({
    description:
      'replace secrets (tokens, passwords, secret environment values; docs/secrets.md) by ‹redacted:RULE:h› markers; --no-redact writes them as captured',
    default: true,
    allowNo: true,
  }),
  rules,
};

/** For terminal views: `--show-secrets`, `--rules FILE`. */
export const maskFlags = {
  'show-secrets': Flags.boolean({
    description: 'show secrets in command lines and environments as captured (masked by default: docs/secrets.md)',
  }),
  rules,
};

/**
 * The redactor for a command, or null when the user opted out. `style`:
 * 'keyed' markers (equal secrets stay equal within the output) for files and
 * uploads, 'plain' for the terminal (the same output every run).
 */
export function redactorFor(
  enabled: boolean,
  rulesFile: string | undefined,
  style: 'keyed' | 'plain',
): Redactor | null {
  const set = rulesFile === undefined ? builtinRules() : loadRulesFile(rulesFile); // a bad file is an error either way
  return enabled ? createRedactor(set, { marker: style }) : null;
}
