// Small pure helpers shared by the renderers: durations, command lines,
// colour. (Secrets: analyze/secrets/.)

import { styleText } from 'node:util';
import { UserError } from '../formats/errors.ts';

// Durations, offsets and sizes as the report page shows them too: one definition, in the page's module.
export { formatDuration, formatKib, formatOffset } from './report/page/format.ts';

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  min: 60e9,
  h: 3600e9,
};

/** Parses `10ms`, `1.5s`, `2m`, `250us`, `1h30m` into ns. A bare `0` is accepted. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?|\.\d+)\s*(ns|us|µs|ms|min|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) break;
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length || !Number.isFinite(total)) {
    throw new UserError(`bad duration "${text}" (expected e.g. 10ms, 1.5s, 2m, 1h30m)`);
  }
  return Math.round(total);
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Characters that must never reach a terminal as they are: C0 controls (ESC,
 * CR, LF, TAB, BS…), DEL and C1 controls (U+0080–U+009F, U+009B is a CSI),
 * format characters (bidi embeddings/overrides/isolates and marks, zero-width
 * characters, BOM, tags…), line/paragraph separators, and lone surrogates.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
// eslint-disable-next-line no-control-regex
const UNSAFE_ALL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** One character as a visible escape: \n \t \r, \x1b, \u202e, \U000e0041 (also valid inside a shell $'…'). */
function escapeChar(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\t') return '\\t';
  if (c === '\r') return '\\r';
  const code = c.codePointAt(0)!;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

/**
 * Untrusted text (from a raw file, a traced process, a server) made safe for
 * a terminal: every control, format or bidi character is shown as an escape
 * (`\x1b`, `\n`, `\u202e`), so nothing can move the cursor, clear the screen,
 * set a title, plant a link, start a new line or reorder what follows.
 * Invalid UTF-8 was decoded to U+FFFD (�) and stays visible. Every text
 * renderer passes such text through this function (JSON output does not: its
 * escaping is exact).
 */
export function terminalText(s: string): string {
  return UNSAFE.test(s) ? s.replace(UNSAFE_ALL, escapeChar) : s;
}

/** POSIX-shell quoting for display; unsafe characters (see terminalText) become $'…' escapes so a line stays one line and shows what it holds. */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  if (UNSAFE.test(arg)) {
    const esc = arg.replace(/[\\']|[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, (c) => {
      if (c === '\\') return '\\\\';
      if (c === "'") return "\\'";
      return escapeChar(c);
    });
    return `$'${esc}'`;
  }
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export const ELLIPSIS = '…';

/** Cuts `s` to at most `max` characters, keeping its start and end. */
export function middleCut(s: string, max: number): string {
  if (s.length <= max) return s;
  const head = Math.ceil((max - 1) / 2);
  const tail = max - 1 - head;
  return s.slice(0, head) + ELLIPSIS + (tail > 0 ? s.slice(s.length - tail) : '');
}

export interface CommandLineOptions {
  /** Everything, exactly (quoted). */
  full: boolean;
  /** Maximum length of the whole line when not full. */
  max: number;
  /** Maximum length of one argument when not full. */
  maxArg?: number;
}

/**
 * A command line for display. Short form: argv[0] as its basename, each
 * argument cut in the middle beyond maxArg, the whole line cut at max.
 * `null` entries (varying arguments of a collapsed group) show as `…`.
 */
export function commandLine(argv: readonly (string | null)[], opts: CommandLineOptions): string {
  const parts: string[] = [];
  argv.forEach((a, i) => {
    if (a === null) {
      if (parts[parts.length - 1] !== ELLIPSIS) parts.push(ELLIPSIS);
      return;
    }
    let s = a;
    if (!opts.full && i === 0 && s.includes('/') && !s.endsWith('/')) s = s.slice(s.lastIndexOf('/') + 1);
    s = shellQuote(s);
    if (!opts.full) s = middleCut(s, opts.maxArg ?? 48);
    parts.push(s);
  });
  const line = parts.join(' ');
  if (opts.full || line.length <= opts.max) return line;
  return line.slice(0, Math.max(1, opts.max - 1)) + ELLIPSIS;
}

export const basename = (p: string): string => {
  const t = p.endsWith('/') ? p.slice(0, -1) : p;
  return t.slice(t.lastIndexOf('/') + 1) || p;
};

export type Style = 'red' | 'yellow' | 'magenta' | 'dim' | 'bold' | 'cyan' | 'green';

/** A colouring function: identity when colour is off (not a TTY), ANSI styles otherwise. */
export type Paint = (style: Style | Style[], text: string) => string;

export function painter(color: boolean): Paint {
  if (!color) return (_style, text) => text;
  return (style, text) => styleText(style, text, { validateStream: false });
}

/** Colour for stdout: a TTY, unless NO_COLOR is set; FORCE_COLOR forces it. */
export function stdoutColor(): boolean {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0') return true;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return process.stdout.isTTY === true;
}

/** Exit status text: `exit 2`, `SIGSEGV (core)`, `running`, `?`; null for a clean exit 0. */
export function statusText(s: {
  state: string;
  exitCode: number | null;
  signalName: string | null;
  signal: number | null;
  coreDumped: boolean;
}): string | null {
  if (s.state === 'running') return 'running';
  if (s.state === 'unknown') return 'no exit record';
  if (s.signal !== null) return `${s.signalName ?? `signal ${s.signal}`}${s.coreDumped ? ' (core dumped)' : ''}`;
  if (s.exitCode !== null && s.exitCode !== 0) return `exit ${s.exitCode}`;
  return null;
}

/** Wall clock ns → ISO 8601 UTC with nanoseconds: 2025-06-15T12:00:00.123456789Z. */
export function isoTime(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const d = new Date(Number(s) * 1000);
  if (ns < 0n || Number.isNaN(d.getTime())) return `${ns}ns`;
  return `${d.toISOString().slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`;
}

/** Bytes → `300 B`, `1.0 KiB`, `5.0 KiB`, `12.3 MiB`, `1.20 GiB`. */
export function formatNetBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
