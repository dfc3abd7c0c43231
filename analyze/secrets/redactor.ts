// Applies a rule set: environment values, argv, any string → the same with
// every secret replaced by a marker `‹redacted:RULE:h›`, where h is a short
// keyed hash of the secret (HMAC-SHA256 under a key random per redactor
// unless one is given): equal secrets get equal markers within one output,
// and nobody without the key can test a guess against a marker.

import { createHmac, randomBytes } from 'node:crypto';
import { awsSecretShape, normalizeName, type RuleSet, type ToolRule, type ValuePart, type ValueRule } from './rules.ts';

export interface Redactor {
  /** The value to show for environment variable `name`: as it is, with secrets inside replaced, or a marker. */
  envValue(name: string, value: string): string;
  /** argv with the secret parts replaced (options, tool-specific flags, and every argument through `text`). */
  argv(args: readonly string[]): string[];
  /** Any string with the secrets the value rules and `NAME=value` assignments find replaced. */
  text(s: string): string;
  /** Rule id → replacements made so far. */
  counts(): ReadonlyMap<string, number>;
}

export interface RedactorOptions {
  /** HMAC key of the markers' hashes; random when absent. */
  key?: Uint8Array;
  /** Environment variable names left as they are. */
  keep?: readonly string[];
  /** 'keyed' (default): `‹redacted:RULE:h›`; 'plain': `‹redacted:RULE›` (equal secrets no longer recognizable). */
  marker?: 'keyed' | 'plain';
}

export const MARKER_OPEN = '‹redacted:';
export const MARKER_CLOSE = '›';
const HASH_CHARS = 6;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** The first `HASH_CHARS` base32 characters of HMAC-SHA256(key, secret). */
function shortHash(key: Uint8Array, secret: string): string {
  const d = createHmac('sha256', key).update(secret, 'utf8').digest();
  let bits = 0;
  let acc = 0;
  let out = '';
  for (let i = 0; out.length < HASH_CHARS; i++) {
    acc = (acc << 8) | d[i]!;
    bits += 8;
    while (bits >= 5 && out.length < HASH_CHARS) {
      bits -= 5;
      out += BASE32[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** Rule id of the name rule `name` matches, null when it is not secret. `option`: a long option or a `NAME=` in text. */
export function secretNameRule(rules: RuleSet, name: string, kind: 'env' | 'option'): string | null {
  // User rules (tested on the name as it is) win over the built-in exceptions.
  for (const r of rules.names) if (r.on === 'name' && r.pattern.test(name)) return r.id;
  const n = normalizeName(name);
  if (n === '__') return null;
  for (const r of rules.notSecretNames) if (r.pattern.test(n)) return null;
  if (kind === 'option') for (const r of rules.notSecretOptions) if (r.pattern.test(n)) return null;
  for (const r of rules.names) if (r.on !== 'name' && r.pattern.test(n)) return r.id;
  return null;
}

/** secretNameRule of `kind`, remembered per name (builds repeat the same few hundred names). */
function nameRuleCache(rules: RuleSet, kind: 'env' | 'option'): (name: string) => string | null {
  const known = new Map<string, string | null>();
  return (name) => {
    let id = known.get(name);
    if (id === undefined) {
      if (known.size >= 65_536) known.clear();
      known.set(name, (id = secretNameRule(rules, name, kind)));
    }
    return id;
  };
}

/** A value that names a file rather than holding a secret: `/…`, `./…`, `../…`, `~/…`, or a key-file extension. */
export function looksLikePath(v: string): boolean {
  return (
    /^(?:\/|\.\.?\/|~\/)/.test(v) || /\.(?:pem|key|crt|cer|der|p8|p12|pfx|jks|keystore|json|ppk|asc|gpg|pub)$/i.test(v)
  );
}

/** A letter, digit, `_`, `.` or `-` (an option name's characters after its first). */
function optionNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45;
}

/**
 * `-name`, `--name` or either with `=value`: the dashes, the name (a letter,
 * then letters, digits, `_`, `.`, `-`) and the value (undefined without `=`);
 * null for anything else. A scan, not a regular expression: every argument
 * of every command line goes through it.
 */
export function parseOption(a: string): { dashes: string; name: string; attached: string | undefined } | null {
  const d = a.charCodeAt(1) === 45 ? 2 : 1;
  const first = a.charCodeAt(d);
  if (!((first >= 97 && first <= 122) || (first >= 65 && first <= 90))) return null;
  let i = d + 1;
  while (i < a.length && optionNameChar(a.charCodeAt(i))) i++;
  if (i === a.length) return { dashes: a.slice(0, d), name: a.slice(d), attached: undefined };
  if (a.charCodeAt(i) !== 61 /* = */) return null;
  return { dashes: a.slice(0, d), name: a.slice(d, i), attached: a.slice(i + 1) };
}
const NAME_CHAR = /[A-Za-z0-9_.-]/;
const NAME_START = /[A-Za-z_]/;
const BARE_VALUE_END = /[\s'"&;|,#]/;

/**
 * `NAME=value` in `s`: NAME of up to 128 letters, digits, `_`, `.`, `-`
 * starting with a letter or `_` (not right after a letter, digit, `_` or `.`);
 * the value quoted ('…' or "…", the part inside) or up to a blank, quote,
 * `&`, `;`, `|`, `,` or `#`. Found from each `=` (no regex backtracking over
 * long names; each value is scanned once).
 */
export function* assignments(s: string): Generator<{ nameStart: number; name: string; a: number; b: number }> {
  for (let eq = s.indexOf('='); eq >= 0; eq = s.indexOf('=', eq + 1)) {
    let r = eq;
    while (r > 0 && eq - r < 128 && NAME_CHAR.test(s[r - 1]!)) r--;
    let p = r;
    while (p < eq && !(NAME_START.test(s[p]!) && (p === r || s[p - 1] === '-'))) p++;
    if (p === eq) continue;
    let a = eq + 1;
    let b: number;
    const q = s[a];
    if (q === "'" || q === '"') {
      b = s.indexOf(q, ++a);
      if (b < 0) continue;
    } else {
      b = a;
      while (b < s.length && !BARE_VALUE_END.test(s[b]!)) b++;
    }
    if (b === a) continue;
    yield { nameStart: p, name: s.slice(p, eq), a, b };
    eq = b - 1; // the next assignment starts after this value
  }
}

/** What makes a command line an AWS one (case-insensitive): `aws`, `secret`, or an access key id. */
export function awsContext(line: string): boolean {
  const lower = line.toLowerCase();
  return lower.includes('aws') || lower.includes('secret') || /(?:akia|asia)[a-z0-9]{16}/.test(lower);
}
const AWS_SECRET_ALONE = /^[A-Za-z0-9/+]{40}$/;
const TEXT_CACHE_LIMIT = 8192;

const MARKER_SPAN = /‹redacted:[^›]{0,80}›/g;

/** Where the markers of `s` are; null when it has none. */
function markerSpans(s: string): [number, number][] | null {
  if (!s.includes(MARKER_OPEN)) return null;
  return [...s.matchAll(MARKER_SPAN)].map((m) => [m.index, m.index + m[0].length]);
}

const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** An option whose value is the next argument. */
interface Pending {
  readonly rule: ToolRule | null;
  readonly id: string;
  readonly part: ValuePart;
}

interface Cached {
  readonly out: string;
  readonly hits: readonly string[];
}

export function createRedactor(rules: RuleSet, opts: RedactorOptions = {}): Redactor {
  const key = opts.key ?? randomBytes(32);
  const plain = opts.marker === 'plain';
  const keep = new Set([...rules.keep, ...(opts.keep ?? [])]);
  const counts = new Map<string, number>();
  const hashes = new Map<string, string>();
  const textCache = new Map<string, Cached>();
  const toolNames = new Set(rules.tools.flatMap((r) => r.tools));
  // Every hint found in one pass over the string.
  const hints = [...new Set(rules.values.flatMap((r) => r.hints ?? []))].sort((a, b) => b.length - a.length);
  const hintScan =
    hints.length === 0 ? null : new RegExp(hints.map((h) => h.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'gi');
  const optionNameRule = nameRuleCache(rules, 'option');
  const envNameRule = nameRuleCache(rules, 'env');

  const count = (id: string): void => {
    counts.set(id, (counts.get(id) ?? 0) + 1);
  };

  const marker = (id: string, secret: string): string => {
    count(id);
    if (plain) return `${MARKER_OPEN}${id}${MARKER_CLOSE}`;
    let h = hashes.get(secret);
    if (h === undefined) {
      if (hashes.size >= 100_000) hashes.clear();
      hashes.set(secret, (h = shortHash(key, secret)));
    }
    return `${MARKER_OPEN}${id}:${h}${MARKER_CLOSE}`;
  };

  const isMarked = (s: string): boolean => s.includes(MARKER_OPEN);

  /** Whether [a, b) or the match start `m` touches a marker already in `s` (`‹redacted:curl-cookie:…›` holds `cookie:`). */
  const inMarker = (spans: readonly [number, number][] | null, m: number, a: number, b: number): boolean =>
    spans?.some(([x, y]) => (m >= x && m < y) || (a < y && b > x)) ?? false;

  /** Replaces the secret span of every match of `rule`; `hits` gets a rule id per replacement. */
  const applyValueRule = (rule: ValueRule, s: string, hits: string[]): string => {
    const re = rule.pattern;
    const spans = markerSpans(s);
    re.lastIndex = 0;
    let out = '';
    let from = 0;
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      if (m[0] === '') {
        re.lastIndex++;
        continue;
      }
      const span = m.indices?.groups?.secret ?? m.indices?.[1] ?? m.indices?.[0];
      if (span === undefined) continue;
      const [a, b] = span;
      const secret = s.slice(a, b);
      if (secret === '' || a < from || inMarker(spans, m.index, a, b)) continue;
      if (rule.accept !== undefined && !rule.accept(secret, s)) continue;
      out += s.slice(from, a) + marker(rule.id, secret);
      hits.push(rule.id);
      from = b;
    }
    return from === 0 ? s : out + s.slice(from);
  };

  const applyAssignments = (s: string, hits: string[]): string => {
    if (!s.includes('=')) return s;
    const spans = markerSpans(s);
    let out = '';
    let from = 0;
    for (const { nameStart, name, a, b } of assignments(s)) {
      if (a < from) continue;
      const value = s.slice(a, b);
      if (inMarker(spans, nameStart, a, b) || looksLikePath(value)) continue;
      const id = optionNameRule(name);
      if (id === null) continue;
      out += s.slice(from, a) + marker(id, value);
      hits.push(id);
      from = b;
    }
    return from === 0 ? s : out + s.slice(from);
  };

  const text = (s: string): string => {
    if (s.length < 5) return s; // the shortest secret any rule finds is in `PAT=x`
    const hit = textCache.get(s);
    if (hit !== undefined) {
      for (const id of hit.hits) count(id);
      return hit.out;
    }
    const hits: string[] = [];
    let out = s;
    let found: Set<string> | null = null; // made for the few strings with a hint
    if (hintScan !== null) {
      hintScan.lastIndex = 0;
      for (let m = hintScan.exec(s); m !== null; m = hintScan.exec(s)) {
        (found ??= new Set()).add(m[0].toLowerCase());
        hintScan.lastIndex = m.index + 1; // overlapping hints are all seen
      }
    }
    for (const rule of rules.values) {
      if (rule.hints === undefined || (found !== null && rule.hints.some((h) => found.has(h)))) {
        out = applyValueRule(rule, out, hits);
      }
    }
    out = applyAssignments(out, hits);
    if (textCache.size >= TEXT_CACHE_LIMIT) textCache.clear(); // deleting the oldest one by one leaves a Map slow to iterate
    textCache.set(s, { out, hits });
    return out;
  };

  /** The option value `v` with its secret part replaced (or unchanged when the part is absent). */
  const redactPart = (v: string, part: ValuePart, id: string): string => {
    if (v === '' || isMarked(v)) return v;
    if (part === 'after-colon') {
      const i = v.indexOf(':');
      return i < 0 || i === v.length - 1 ? v : v.slice(0, i + 1) + marker(id, v.slice(i + 1));
    }
    if (part === 'after-pass-prefix')
      return v.startsWith('pass:') && v.length > 5 ? `pass:${marker(id, v.slice(5))}` : v;
    return marker(id, v);
  };

  const toolRulesFor = (tool: string, args: readonly string[]): ToolRule[] =>
    rules.tools.filter(
      (r) =>
        (r.tools.length === 0 || r.tools.includes(tool)) && (r.requires === undefined || args.includes(r.requires)),
    );
  // The rules of a command that is not a known tool: the same for every such command (most of a build's).
  const generalRules = toolRulesFor('', []);
  const generalNeedsNothing = rules.tools.every((r) => r.tools.length > 0 || r.requires === undefined);

  const argv = (args: readonly string[]): string[] => {
    const out = args.map((a, i) => (i === 0 ? text(a) : a));
    const tool = baseName(args[0] ?? '');
    let active = !toolNames.has(tool) && generalNeedsNothing ? generalRules : toolRulesFor(tool, args);
    let pending: Pending | null = null;
    for (let i = 1; i < args.length; i++) {
      const a = args[i]!;
      if (pending !== null) {
        const p = pending;
        pending = null;
        const isValue =
          p.rule === null
            ? !a.startsWith('-') && !looksLikePath(a)
            : p.rule.valueContains === undefined || a.includes(p.rule.valueContains);
        if (isValue) {
          out[i] = text(redactPart(a, p.part, p.id));
          continue;
        }
      }
      const b = baseName(a);
      if (toolNames.has(b)) active = toolRulesFor(b, args.slice(i));
      const o = optionArg(a, i + 1 < args.length, active);
      out[i] = text(o === null ? a : o.out);
      pending = o === null ? null : o.next;
    }
    // An AWS secret key alone in an argument (`aws configure set aws_secret_access_key KEY`): the context is the
    // command line (tested once on the arguments joined by newlines: no match spans one).
    if (awsContext(args.join('\n'))) {
      for (let i = 1; i < out.length; i++) {
        const a = out[i]!;
        if (AWS_SECRET_ALONE.test(a) && awsSecretShape(a)) out[i] = marker('aws-secret-key', a);
      }
    }
    return out;
  };

  /**
   * One argument: a tool-specific or a secret-named option with an attached value redacted; `next` when the
   * following argument is its value. null: the argument as it is, and no value follows (most arguments).
   */
  const optionArg = (
    a: string,
    hasNext: boolean,
    active: readonly ToolRule[],
  ): { out: string; next: Pending | null } | null => {
    if (!a.startsWith('-') || isMarked(a)) return null;
    for (const r of active) {
      for (const flag of r.flags) {
        if (a === flag) {
          if (r.separate && hasNext) return { out: a, next: { rule: r, id: r.id, part: r.part } };
          continue;
        }
        let value: string | null = null;
        if (flag.length > 2 && a.startsWith(flag) && a[flag.length] === '=') value = a.slice(flag.length + 1);
        else if (flag.length === 2 && r.attached && a.startsWith(flag)) value = a.slice(2);
        if (value === null) continue;
        if (r.valueContains !== undefined && !value.includes(r.valueContains)) return null;
        return { out: a.slice(0, a.length - value.length) + redactPart(value, r.part, r.id), next: null };
      }
    }
    const m = parseOption(a);
    if (m === null) return null;
    const { dashes, name, attached } = m;
    const id = optionNameRule(name);
    if (id === null) return null;
    if (attached !== undefined) {
      if (attached === '' || looksLikePath(attached)) return null;
      return { out: `${dashes}${name}=${redactPart(attached, 'whole', id)}`, next: null };
    }
    if (hasNext && !active.some((r) => r.equalsOnly?.includes(a)))
      return { out: a, next: { rule: null, id, part: 'whole' } };
    return null;
  };

  return {
    envValue(name, value) {
      if (value === '' || keep.has(name)) return value;
      const id = envNameRule(name);
      return id === null ? text(value) : marker(id, value);
    },
    argv,
    text,
    counts: () => counts,
  };
}
