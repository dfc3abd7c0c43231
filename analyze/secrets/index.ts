// Secret detection and redaction: one rule set for every output (docs/secrets.md).

export { redactArgvBlob, redactModel } from './model.ts';
export {
  createRedactor,
  looksLikePath,
  MARKER_CLOSE,
  MARKER_OPEN,
  type Redactor,
  type RedactorOptions,
  secretNameRule,
} from './redactor.ts';
export {
  builtinRules,
  GENERIC_RULE_DOCS,
  type NameRule,
  normalizeName,
  RULESET_VERSION,
  type RuleSet,
  type ToolRule,
  type ValuePart,
  type ValueRule,
} from './rules.ts';
export { loadRulesFile, parseRules } from './rules-file.ts';
