// OTLP/HTTP exporter settings from flags and the OTEL_EXPORTER_OTLP_*
// environment variables, with the specification's precedence: a flag wins,
// then the traces-specific variable, then the generic one, then the default.

import { UserError } from '../../formats/errors.ts';
import { parseKeyValueList } from './resource.ts';

export type Protocol = 'http/protobuf' | 'http/json';
export type Compression = 'gzip' | 'none';

export interface ExporterFlags {
  endpoint?: string;
  protocol?: string;
  headers?: string[];
  compression?: string;
  /** --timeout text (duration, or bare ms). */
  timeout?: string;
  deadline?: string;
  batchSize?: number;
}

export interface ExporterConfig {
  /** Full URL the requests go to. */
  url: URL;
  /** Where the URL came from, for messages. */
  urlSource: string;
  protocol: Protocol;
  headers: [string, string][];
  compression: Compression;
  /** Per request, ms. */
  timeoutMs: number;
  /** Whole upload, ms. */
  deadlineMs: number;
  batchSize: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_DEADLINE_MS = 120_000;
export const DEFAULT_BATCH_SIZE = 512;
const TRACES_PATH = 'v1/traces';

function parseUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new UserError(`bad ${what} "${text}": not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`bad ${what} "${text}": only http and https are supported`);
  }
  return url;
}

/** Base URL + `v1/traces`, as OTEL_EXPORTER_OTLP_ENDPOINT is used for OTLP/HTTP (keeping the base's path). */
export function appendTracesPath(base: URL): URL {
  const u = new URL(base.href);
  u.pathname = `${u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`}${TRACES_PATH}`;
  return u;
}

/**
 * The traces URL. --endpoint: used as is when it has a path, `/v1/traces`
 * appended when it is only scheme://host[:port][/]. OTEL_EXPORTER_OTLP_TRACES_ENDPOINT:
 * as is. OTEL_EXPORTER_OTLP_ENDPOINT: `v1/traces` appended to its path.
 * Null when none is set.
 */
export function resolveEndpoint(flag: string | undefined, env: NodeJS.ProcessEnv): { url: URL; source: string } | null {
  if (flag !== undefined && flag !== '') {
    const u = parseUrl(flag, '--endpoint');
    return { url: u.pathname === '/' || u.pathname === '' ? appendTracesPath(u) : u, source: '--endpoint' };
  }
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces)
    return {
      url: parseUrl(traces, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
      source: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    };
  const generic = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (generic)
    return {
      url: appendTracesPath(parseUrl(generic, 'OTEL_EXPORTER_OTLP_ENDPOINT')),
      source: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    };
  return null;
}

function pick(flag: string | undefined, env: NodeJS.ProcessEnv, names: string[]): [string, string] | null {
  if (flag !== undefined && flag.trim() !== '') return [flag.trim(), `--${names[0]}`];
  for (const n of names.slice(1)) {
    const v = env[n]?.trim();
    if (v) return [v, n];
  }
  return null;
}

export function parseProtocol(text: string, what: string): Protocol {
  const t = text.toLowerCase();
  if (t === 'http/protobuf' || t === 'http/json') return t;
  if (t === 'grpc') throw new UserError(`${what}: grpc is not supported, use http/protobuf or http/json`);
  throw new UserError(`bad ${what} "${text}": expected http/protobuf or http/json`);
}

export function parseCompression(text: string, what: string): Compression {
  const t = text.toLowerCase();
  if (t === 'gzip' || t === 'none') return t;
  throw new UserError(`bad ${what} "${text}": expected gzip or none`);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** `500`, `500ms`, `2s`, `1.5s`, `1m` → ms. */
export function parseMillis(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  const ms = m === null ? NaN : Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']!;
  if (!Number.isFinite(ms) || ms <= 0)
    throw new UserError(
      `bad ${what} "${text}": expected a positive duration (e.g. 500ms, 10s, 2m; a bare number is ms)`,
    );
  return Math.round(ms);
}

/** `k=v` of --header (value as given, not percent-decoded). */
function parseHeaderFlag(text: string): [string, string] {
  const eq = text.indexOf('=');
  const name = eq < 0 ? '' : text.slice(0, eq).trim();
  if (eq < 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
    throw new UserError(`bad --header "${text}": expected name=value`);
  const value = text.slice(eq + 1).trim();
  if (/[\r\n\0]/.test(value)) throw new UserError(`bad --header ${name}: the value has a line break or NUL`);
  return [name, value];
}

function envHeaders(env: NodeJS.ProcessEnv, name: string, warn: (m: string) => void): [string, string][] {
  const v = env[name];
  if (v === undefined || v.trim() === '') return [];
  const parsed = parseKeyValueList(v);
  if (parsed.error !== null) warn(`${name} ignored: ${parsed.error}`);
  return parsed.values.filter(([k, val]) => {
    const ok = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) && !/[\r\n\0]/.test(val);
    if (!ok) warn(`${name}: header "${k}" ignored (not a valid header)`);
    return ok;
  });
}

/**
 * Headers: OTEL_EXPORTER_OTLP_HEADERS, overridden per name (case-insensitive)
 * by OTEL_EXPORTER_OTLP_TRACES_HEADERS, then by --header.
 */
export function resolveHeaders(
  flags: string[] | undefined,
  env: NodeJS.ProcessEnv,
  warn: (m: string) => void,
): [string, string][] {
  const out = new Map<string, [string, string]>();
  const add = (list: [string, string][]): void => {
    for (const [k, v] of list) out.set(k.toLowerCase(), [k, v]);
  };
  add(envHeaders(env, 'OTEL_EXPORTER_OTLP_HEADERS', warn));
  add(envHeaders(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', warn));
  add((flags ?? []).map(parseHeaderFlag));
  return [...out.values()];
}

/** A bad flag is an error; a bad environment variable is ignored with a warning (as the specification asks). */
function lenient<T>(source: string, parse: () => T, fallback: T, warn: (m: string) => void): T {
  if (source.startsWith('--')) return parse();
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    warn(`${err.message}; using the default`);
    return fallback;
  }
}

/** The exporter settings, or null when no endpoint is configured. */
export function resolveExporter(
  f: ExporterFlags,
  env: NodeJS.ProcessEnv,
  warn: (m: string) => void,
): ExporterConfig | null {
  const endpoint = resolveEndpoint(f.endpoint, env);
  const protocol = pick(f.protocol, env, [
    'protocol',
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
  ]);
  const compression = pick(f.compression, env, [
    'compression',
    'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION',
    'OTEL_EXPORTER_OTLP_COMPRESSION',
  ]);
  const timeout = pick(f.timeout, env, ['timeout', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT']);
  // Validate everything even without an endpoint: a bad flag is an error whatever else is given.
  const config = {
    protocol: protocol === null ? 'http/protobuf' : parseProtocol(protocol[0], protocol[1]),
    compression:
      compression === null
        ? 'none'
        : lenient(compression[1], () => parseCompression(compression[0], compression[1]), 'none', warn),
    timeoutMs:
      timeout === null
        ? DEFAULT_TIMEOUT_MS
        : lenient(timeout[1], () => parseMillis(timeout[0], timeout[1]), DEFAULT_TIMEOUT_MS, warn),
    deadlineMs: f.deadline === undefined ? DEFAULT_DEADLINE_MS : parseMillis(f.deadline, '--deadline'),
    headers: resolveHeaders(f.headers, env, warn),
    batchSize: f.batchSize ?? DEFAULT_BATCH_SIZE,
  } as const;
  if (!Number.isInteger(config.batchSize) || config.batchSize < 1)
    throw new UserError(`bad --batch-size ${f.batchSize}: expected a positive integer`);
  if (endpoint === null) return null;
  return { url: endpoint.url, urlSource: endpoint.source, ...config };
}
