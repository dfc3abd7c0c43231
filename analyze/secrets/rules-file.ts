// User rules (`--rules FILE`): extra names, value patterns, options and names
// to keep, in JSON or in a simple line format (docs/secrets.md). Parsing is
// pure (`parseRules`); `loadRulesFile` is the I/O edge.

import { readFileSync } from 'node:fs';
import { FS_REASONS, UserError } from '../../formats/errors.ts';
import { builtinRules, type NameRule, type RuleSet, type ToolRule, type ValueRule } from './rules.ts';

const RULE_ID = /^[a-z0-9][a-z0-9-]{0,47}$/;

interface UserRules {
  names: NameRule[];
  values: ValueRule[];
  tools: ToolRule[];
  keep: string[];
}

function compile(where: string, pattern: string, flags: string): RegExp {
  if (pattern === '') throw new UserError(`${where}: empty pattern`);
  let re: RegExp;
  try {
    re = new RegExp(pattern, flags);
  } catch (e) {
    throw new UserError(`${where}: bad regular expression /${pattern}/: ${(e as Error).message.replace(/^.*: /, '')}`);
  }
  return re;
}

function nameRule(where: string, pattern: string, source: string): NameRule {
  const re = compile(where, `^(?:${pattern})$`, 'i');
  return { id: 'user-name', summary: `name matching /${pattern}/ (${source})`, pattern: re, on: 'name', source };
}

function valueRule(where: string, id: string, pattern: string, flags: string, taken: Set<string>, source: string) {
  if (!RULE_ID.test(id)) throw new UserError(`${where}: bad rule id "${id}" (lower-case letters, digits and -)`);
  if (taken.has(id)) throw new UserError(`${where}: rule id "${id}" is already used`);
  if (!/^[imsu]*$/.test(flags)) throw new UserError(`${where}: bad flags "${flags}" (any of i, m, s, u)`);
  const re = compile(where, pattern, `${flags}dg`);
  if (new RegExp(re.source, flags).test('')) throw new UserError(`${where}: /${pattern}/ matches the empty string`);
  taken.add(id);
  return { id, summary: `/${pattern}/${flags} (${source})`, pattern: re, source } satisfies ValueRule;
}

function optionRule(where: string, flag: string, tools: readonly string[], source: string): ToolRule {
  if (!/^-{1,2}[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(flag)) throw new UserError(`${where}: bad option "${flag}"`);
  const short = /^-[A-Za-z0-9]$/.test(flag);
  return {
    id: 'user-option',
    summary: `\`${flag}\`${tools.length > 0 ? ` of ${tools.join(', ')}` : ''} (${source})`,
    tools,
    flags: [flag],
    attached: short,
    separate: true,
    part: 'whole',
    source,
  };
}

function parseJson(text: string, source: string, taken: Set<string>): UserRules {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new UserError(`${source}: expected a JSON object`);
  const r: UserRules = { names: [], values: [], tools: [], keep: [] };
  const strings = (key: string, v: unknown): string[] => {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      throw new UserError(`${source}: "${key}" must be an array of strings`);
    }
    return v;
  };
  for (const [key, v] of Object.entries(doc)) {
    if (key === 'names') for (const p of strings(key, v)) r.names.push(nameRule(`${source}: names`, p, source));
    else if (key === 'keep') r.keep.push(...strings(key, v));
    else if (key === 'values') {
      if (!Array.isArray(v)) throw new UserError(`${source}: "values" must be an array of {"id", "pattern", "flags"?}`);
      v.forEach((x: unknown, i) => {
        const o = x as { id?: unknown; pattern?: unknown; flags?: unknown } | null;
        const where = `${source}: values[${i}]`;
        if (
          typeof o?.id !== 'string' ||
          typeof o.pattern !== 'string' ||
          !['string', 'undefined'].includes(typeof o.flags)
        ) {
          throw new UserError(`${where}: expected {"id": string, "pattern": string, "flags"?: string}`);
        }
        r.values.push(valueRule(where, o.id, o.pattern, (o.flags as string | undefined) ?? '', taken, source));
      });
    } else if (key === 'options') {
      if (!Array.isArray(v)) throw new UserError(`${source}: "options" must be an array of {"flag", "tools"?}`);
      v.forEach((x: unknown, i) => {
        const o = x as { flag?: unknown; tools?: unknown } | null;
        const where = `${source}: options[${i}]`;
        if (typeof o?.flag !== 'string') throw new UserError(`${where}: expected {"flag": string, "tools"?: [string]}`);
        r.tools.push(
          optionRule(where, o.flag, o.tools === undefined ? [] : strings(`options[${i}].tools`, o.tools), source),
        );
      });
    } else throw new UserError(`${source}: unknown key "${key}" (expected names, values, options, keep)`);
  }
  return r;
}

function parseLines(text: string, source: string, taken: Set<string>): UserRules {
  const r: UserRules = { names: [], values: [], tools: [], keep: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${source}:${i + 1}`;
    const [kind, ...rest] = line.split(/\s+/);
    const need = (n: string): void => {
      if (rest.length === 0) throw new UserError(`${where}: "${kind}" needs ${n}`);
    };
    if (kind === 'name') {
      need('a pattern');
      r.names.push(nameRule(where, rest.join(' '), source));
    } else if (kind === 'value') {
      if (rest.length < 2) throw new UserError(`${where}: "value" needs an id and a pattern`);
      r.values.push(valueRule(where, rest[0]!, rest.slice(1).join(' '), '', taken, source));
    } else if (kind === 'option') {
      need('an option');
      r.tools.push(optionRule(where, rest[0]!, rest.slice(1), source));
    } else if (kind === 'keep') {
      need('a name');
      r.keep.push(...rest);
    } else throw new UserError(`${where}: unknown rule "${kind}" (expected name, value, option, keep)`);
  });
  return r;
}

/** The rules of a rules file's text added to `base`. Throws UserError (one line) for a bad file. */
export function parseRules(text: string, source: string, base: RuleSet = builtinRules()): RuleSet {
  const taken = new Set(base.values.map((v) => v.id));
  const r = /^\s*\{/.test(text) ? parseJson(text, source, taken) : parseLines(text, source, taken);
  return {
    ...base,
    names: [...base.names, ...r.names],
    values: [...base.values, ...r.values],
    tools: [...base.tools, ...r.tools],
    keep: new Set([...base.keep, ...r.keep]),
    sources: [...base.sources, source],
  };
}

/** `--rules FILE`: JSON (an object) or the line format; see docs/secrets.md. */
export function loadRulesFile(path: string, base: RuleSet = builtinRules()): RuleSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    throw new UserError(`cannot read rules file ${path}: ${FS_REASONS[code] ?? (e as Error).message} (${code})`);
  }
  return parseRules(text, path, base);
}
