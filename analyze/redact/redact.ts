// `ptrace redact` and `capture --redact`: a raw file rewritten (formats/
// rewrite.ts) with every secret the rule set finds (analyze/secrets/)
// replaced by its marker, in argv, environments, paths, lookup names and the
// header's command lines. The header gets PT_TLV_REDACTION: the rule set's
// version, the options, and a count per rule.

import { isUtf8 } from 'node:buffer';
import {
  ATTACHED,
  DK,
  EXEC,
  F,
  FILE_HEADER,
  HEAD,
  OPT,
  REDACT,
  REDACTION,
  REDACTION_SIZE,
  RT,
  TLV,
} from '../../formats/layout.ts';
import { joinStrings, splitStrings } from '../../formats/nul-area.ts';
import { type RewriteHooks, type RewriteResult, rewriteRaw, type Tlv } from '../../formats/rewrite.ts';
import { createRedactor, RULESET_VERSION, type RuleSet } from '../secrets/index.ts';
import { maskQuestionLabels } from './dns.ts';
import { PathAnonymizer } from './paths.ts';

export interface RedactOptions {
  rules: RuleSet;
  /** Remove environments entirely. */
  dropEnv?: boolean;
  /** Environment variable names kept as they are. */
  keep?: readonly string[];
  /** Home directories and user names replaced consistently (/home/alice → /home/user1). */
  anonymizePaths?: boolean;
  /** The rules were extended by a rules file. */
  userRules?: boolean;
  /** Redacted while capturing (capture --redact). */
  atCapture?: boolean;
  /** HMAC key of the markers (tests); random per run otherwise. */
  key?: Uint8Array;
}

export interface RedactResult extends RewriteResult {
  /** Rule id → replacements, most first. */
  counts: [string, number][];
  replaced: number;
}

/** Bytes reserved for the PT_TLV_REDACTION value: filled in at the end, when the counts are known. */
const REDACTION_RESERVED = 4096;

/**
 * Text of a string as the rules see it: UTF-8 when it is valid UTF-8, else
 * latin1 (one character per byte), so that bytes the rules leave alone are
 * written back exactly.
 */
function asText(b: Buffer): { s: string; utf8: boolean } {
  const utf8 = isUtf8(b);
  return { s: b.toString(utf8 ? 'utf8' : 'latin1'), utf8 };
}

function fromText(s: string, utf8: boolean): Buffer {
  if (utf8) return Buffer.from(s, 'utf8');
  // latin1 text with markers in it: the markers' characters (beyond U+00FF) as UTF-8
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) <= 0xff) continue;
    parts.push(Buffer.from(s.slice(from, i), 'latin1'));
    let j = i;
    while (j < s.length && s.charCodeAt(j) > 0xff) j++;
    parts.push(Buffer.from(s.slice(i, j), 'utf8'));
    from = j;
    i = j - 1;
  }
  parts.push(Buffer.from(s.slice(from), 'latin1'));
  return Buffer.concat(parts);
}

/** The value of PT_TLV_REDACTION, padded to `size` bytes ("RULE=COUNT" strings that do not fit are left out). */
export function redactionValue(
  o: RedactOptions,
  counts: readonly [string, number][],
  replaced: number,
  le: boolean,
  size = REDACTION_RESERVED,
): Buffer {
  const v = Buffer.alloc(size);
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  dv.setUint32(REDACTION.ruleset_version, RULESET_VERSION, le);
  dv.setUint32(
    REDACTION.flags,
    (o.dropEnv ? REDACT.DROP_ENV : 0) |
      (o.anonymizePaths ? REDACT.ANONYMIZE_PATHS : 0) |
      (o.userRules ? REDACT.USER_RULES : 0) |
      (o.atCapture ? REDACT.AT_CAPTURE : 0),
    le,
  );
  dv.setBigUint64(REDACTION.replaced, BigInt(replaced), le);
  let off = REDACTION_SIZE;
  for (const [rule, n] of counts) {
    const entry = Buffer.from(`${rule}=${n}\0`);
    if (off + entry.length >= size) break; // a final NUL must stay: the list ends at an empty string
    entry.copy(v, off);
    off += entry.length;
  }
  return v;
}

/** The rewrite hooks of a redaction, and its counts once done. */
export function redactionHooks(o: RedactOptions): RewriteHooks & { counts(): [string, number][] } {
  const redactor = createRedactor(o.rules, { key: o.key, keep: o.keep });
  const paths = o.anonymizePaths ? new PathAnonymizer() : null;
  let le = true;
  let redactionAt = -1;

  // The same strings come again and again (an environment shared down a
  // build tree, the same paths): each is redacted once, and its replacements
  // are counted again on every later sight.
  const cache = new Map<string, { out: string; hits: [string, number][] | null }>();
  const repeated = new Map<string, number>();
  const cached = (key: string, redact: () => string): string => {
    const c = cache.get(key);
    if (c) {
      if (c.hits) for (const [rule, n] of c.hits) repeated.set(rule, (repeated.get(rule) ?? 0) + n);
      return c.out;
    }
    const before = new Map(redactor.counts());
    const out = redact();
    let hits: [string, number][] | null = null;
    for (const [rule, n] of redactor.counts()) {
      const d = n - (before.get(rule) ?? 0);
      if (d > 0) (hits ??= []).push([rule, d]);
    }
    if (cache.size >= 50_000) cache.clear();
    // with --anonymize-paths a string may read differently once more names are known: not cached
    if (!paths) cache.set(key, { out, hits });
    return out;
  };
  const text = (s: string): string =>
    cached(`t\0${s}`, () => {
      const r = redactor.text(s);
      return paths ? paths.text(r) : r;
    });
  const argv = (args: string[]): string[] =>
    cached(`a\0${args.join('\0')}`, () => {
      const r = redactor.argv(args);
      return (paths ? r.map((a) => paths.text(a)) : r).join('\0');
    }).split('\0');
  const env = (entry: string): string => {
    const eq = entry.indexOf('=');
    if (eq <= 0) return text(entry);
    return cached(`e\0${entry}`, () => {
      const name = entry.slice(0, eq);
      const value = entry.slice(eq + 1);
      paths?.learnFromEnv(name, value);
      const r = redactor.envValue(name, value);
      return `${name}=${paths ? paths.text(r) : r}`;
    });
  };
  /** A NUL-separated area, string by string (a cut area keeps its missing final NUL missing). */
  const area = (b: Buffer, each: (strings: string[]) => string[]): Buffer => {
    const parts = splitStrings(b).map(asText);
    const out = each(parts.map((p) => p.s));
    const joined = joinStrings(out.map((s, i) => fromText(s, parts[i]?.utf8 ?? true)));
    return b.length > 0 && b[b.length - 1] !== 0 ? joined.subarray(0, joined.length - 1) : joined;
  };
  const plain = (b: Buffer): Buffer => {
    const t = asText(b);
    const r = text(t.s);
    return r === t.s ? b : fromText(r, t.utf8);
  };
  const counts = (): [string, number][] => {
    const all = new Map(redactor.counts());
    for (const [k, n] of repeated) all.set(k, (all.get(k) ?? 0) + n);
    if (paths) for (const [k, n] of paths.counts()) all.set(k, (all.get(k) ?? 0) + n);
    return [...all].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  };

  return {
    counts,
    header(fixed, tlvs, h) {
      le = h.littleEndian;
      if (o.dropEnv) {
        const dv = new DataView(fixed.buffer, fixed.byteOffset, fixed.byteLength);
        dv.setBigUint64(FILE_HEADER.options, dv.getBigUint64(FILE_HEADER.options, le) & ~BigInt(OPT.ENV), le);
      }
      const out: Tlv[] = [];
      for (const t of tlvs) {
        if (t.tag === TLV.REDACTION) continue; // replaced by this run's
        if (t.tag === TLV.CAPTURE_ARGV || t.tag === TLV.COMMAND_ARGV)
          out.push({ tag: t.tag, value: area(t.value, argv) });
        else if (
          t.tag === TLV.HOSTNAME ||
          t.tag === TLV.BOOT_ID ||
          t.tag === TLV.TRACEPARENT ||
          t.tag === TLV.WRITE_STOP
        )
          out.push(t);
        else if (t.tag <= TLV.WRITE_STOP) out.push({ tag: t.tag, value: plain(t.value) });
        else out.push(t);
      }
      redactionAt = out.length;
      out.push({ tag: TLV.REDACTION, value: Buffer.alloc(REDACTION_RESERVED) });
      return out;
    },
    owner(record, type, recordLe) {
      if (!o.dropEnv || (type !== RT.EXEC && type !== RT.ATTACHED)) return;
      const dv = new DataView(record.buffer, record.byteOffset, record.byteLength);
      const flags = dv.getUint16(HEAD.flags, recordLe);
      dv.setUint16(HEAD.flags, (flags | F.ENV_SKIPPED) & ~F.ENV_TRUNCATED, recordLe);
      if (type === RT.ATTACHED) {
        dv.setUint32(ATTACHED.env_len, 0, recordLe);
      } else {
        dv.setUint32(EXEC.envc, 0, recordLe);
        dv.setUint32(EXEC.env_len, 0, recordLe);
      }
    },
    string(kind, bytes) {
      switch (kind) {
        case DK.ARGV:
          return area(bytes, argv);
        case DK.ENV:
          return o.dropEnv ? null : area(bytes, (list) => list.map(env));
        case DK.DNS_MSG:
          return maskQuestionLabels(bytes, (label) => redactor.text(label) !== label);
        default:
          return plain(bytes);
      }
    },
    finalHeader(header) {
      if (redactionAt < 0) return header;
      const c = counts();
      const replaced = c.reduce((a, [, n]) => a + n, 0);
      const out = Buffer.from(header);
      const value = redactionValue(o, c, replaced, le);
      const at = findTlv(out, TLV.REDACTION, le);
      if (at >= 0) value.copy(out, at);
      return out;
    },
  };
}

/** Offset of the value of the first TLV `tag` in a header, or -1. */
function findTlv(header: Buffer, tag: number, le: boolean): number {
  const dv = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const size = dv.getUint32(FILE_HEADER.header_size, le);
  for (let off = 72; off + 8 <= size; ) {
    const t = dv.getUint16(off, le);
    if (t === 0) return -1;
    const len = dv.getUint32(off + 4, le);
    if (t === tag) return off + 8;
    off += 8 + ((len + 7) & ~7);
  }
  return -1;
}

/** Redacts a raw file read through `read` into `write` (see formats/rewrite.ts for both). */
export function redactRaw(
  read: (buf: Buffer, off: number, len: number) => number,
  write: (bytes: Buffer) => void,
  o: RedactOptions,
  name: string,
): RedactResult {
  const hooks = redactionHooks(o);
  const r = rewriteRaw(read, write, hooks, name);
  const counts = hooks.counts();
  return { ...r, counts, replaced: counts.reduce((a, [, n]) => a + n, 0) };
}
