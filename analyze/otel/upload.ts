// OTLP/HTTP upload: batches of spans POSTed one after the other, protobuf or
// JSON, optionally gzipped, with retries (exponential backoff with jitter,
// Retry-After honoured) on network errors and 429/500/502/503/504, a timeout
// per request and a deadline for the whole upload. What the server sends
// back is read up to MAX_RESPONSE_BYTES (the rest is dropped with the
// connection); spans it rejects (partial success) make the upload fail.

import http from 'node:http';
import https from 'node:https';
import { gzipSync } from 'node:zlib';
import { UserError } from '../../formats/errors.ts';
import type { ExporterConfig } from './config.ts';
import { encodeJson, encodeProtobuf, serializers, slices, views } from './encode.ts';
import type { InstrumentationScope, Resource, SpanData } from './span.ts';

export const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const INITIAL_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** Attempts per batch (the first one included). */
const MAX_ATTEMPTS = 8;
/** Response bytes read; a longer body is cut there and its connection closed (a receiver's answer is a few bytes). */
export const MAX_RESPONSE_BYTES = 1 << 20;

export interface UploadOptions {
  /** One line per retry, and warnings (partial success). */
  log: (message: string) => void;
  userAgent: string;
  /** Test hook: jitter source in [0, 1). */
  random?: () => number;
}

export interface UploadResult {
  spans: number;
  batches: number;
  requests: number;
  retries: number;
  /** Request body bytes sent (after compression), retries included. */
  bytes: number;
  /** Spans the receiver reported as rejected (partial success). */
  rejected: number;
  elapsedMs: number;
}

interface Response {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  /** At most MAX_RESPONSE_BYTES. */
  body: Buffer;
  /** The body went on past MAX_RESPONSE_BYTES (the rest was not read). */
  cut: boolean;
}

class RequestTimeout extends Error {
  readonly ms: number;
  constructor(ms: number) {
    super(`no response within ${formatMs(ms)}`);
    this.ms = ms;
  }
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
}

function post(
  url: URL,
  body: Uint8Array,
  headers: Record<string, string>,
  timeoutMs: number,
  agent: http.Agent,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    let done = false;
    const finish = (err: Error | null, res?: Response): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err !== null) reject(err);
      else resolve(res!);
    };
    const req = mod.request(
      url,
      { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) }, agent },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const response = (cut: boolean): Response => ({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          body: Buffer.concat(chunks),
          cut,
        });
        res.on('data', (c: Buffer) => {
          if (done) return;
          const room = MAX_RESPONSE_BYTES - size;
          if (c.length <= room) {
            chunks.push(c);
            size += c.length;
            return;
          }
          chunks.push(c.subarray(0, room));
          // Enough: keep what was read, drop the rest with the connection (it is not reused).
          finish(null, response(true));
          res.destroy();
          req.destroy();
        });
        res.on('end', () => finish(null, response(false)));
        res.on('error', (e) => finish(e));
        res.on('aborted', () => finish(new Error('the response was cut short')));
      },
    );
    const timer = setTimeout(() => {
      const err = new RequestTimeout(timeoutMs);
      finish(err);
      req.destroy(err);
    }, timeoutMs);
    req.on('error', (e) => finish(e));
    req.end(body);
  });
}

/** Seconds or an HTTP date → ms to wait; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, t - now);
}

/** The message a receiver put in its error body (google.rpc.Status, JSON or text), one line, short. */
export function errorBodyMessage(body: Buffer, contentType: string | undefined): string {
  if (body.length === 0) return '';
  let msg = '';
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('protobuf')) msg = statusMessage(body) ?? '';
  else if (ct.includes('json')) {
    try {
      const j = JSON.parse(body.toString('utf8')) as { message?: unknown; error?: unknown };
      msg = typeof j.message === 'string' ? j.message : typeof j.error === 'string' ? j.error : '';
    } catch {
      msg = '';
    }
  }
  if (msg === '' && !ct.includes('protobuf')) msg = body.toString('utf8');
  msg = msg.replace(/\s+/g, ' ').trim();
  return msg.length > 200 ? `${msg.slice(0, 200)}…` : msg;
}

/** google.rpc.Status.message (field 2) from protobuf bytes. */
function statusMessage(buf: Buffer): string | null {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw new RangeError('truncated');
      const b = buf[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new RangeError('varint too long');
    }
  };
  try {
    while (pos < buf.length) {
      const tag = varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (wire === 0) varint();
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        const len = varint();
        if (field === 2) return buf.toString('utf8', pos, pos + len);
        pos += len;
      } else return null;
    }
  } catch {
    return null;
  }
  return null;
}

const NET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'name resolution failed',
};

/** A TLS handshake that failed: no retry will fix it. */
function tlsHandshakeFailed(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return (
    code === 'EPROTO' ||
    code.startsWith('ERR_SSL_') ||
    code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ||
    /SSL routines/.test(err.message)
  );
}

function networkReason(err: Error): string {
  if (err instanceof RequestTimeout) return `${err.message} (timeout)`;
  const code = (err as NodeJS.ErrnoException).code;
  if (tlsHandshakeFailed(err)) {
    // OpenSSL's text is long and cryptic; "wrong version number" means the other side did not answer in TLS.
    const plain = /wrong version number|packet length too long|http request/i.test(err.message);
    return `TLS handshake failed${plain ? ': the server does not speak TLS (plain http://?)' : ''} (${code ?? 'TLS'})`;
  }
  if (code !== undefined && NET_REASONS[code] !== undefined) return `${NET_REASONS[code]} (${code})`;
  if (code === 'ECONNRESET' || /socket hang up/.test(err.message)) return 'connection closed by the server';
  return code !== undefined ? `${err.message.split('\n')[0]} (${code})` : err.message.split('\n')[0]!;
}

/** Network errors that a retry may fix: all but a bad URL or TLS verification failures. */
function retryableNetworkError(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (err instanceof RequestTimeout) return true;
  if (code === 'ENOTFOUND' || code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'ERR_INVALID_URL')
    return false;
  if (tlsHandshakeFailed(err)) return false;
  return true;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function partialSuccess(body: Buffer, protocol: ExporterConfig['protocol']): { rejected: number; message: string } {
  if (body.length === 0) return { rejected: 0, message: '' };
  try {
    const r =
      protocol === 'http/protobuf'
        ? serializers().ProtobufTraceSerializer.deserializeResponse(body)
        : (JSON.parse(body.toString('utf8')) as {
            partialSuccess?: { rejectedSpans?: number | string; errorMessage?: string };
          });
    const ps = r.partialSuccess;
    const rejected = Number(String(ps?.rejectedSpans ?? 0)); // int64: a number, a Long or (JSON) a string
    const message =
      typeof ps?.errorMessage === 'string' ? ps.errorMessage.replace(/\s+/g, ' ').trim().slice(0, 200) : '';
    return { rejected: Number.isSafeInteger(rejected) && rejected > 0 ? rejected : 0, message };
  } catch {
    return { rejected: 0, message: '' };
  }
}

/** Sends every span; resolves with figures, or rejects with a one-line UserError (exit 1) naming the endpoint, also when the receiver rejected spans. */
export async function upload(
  spans: Iterable<SpanData>,
  spanCount: number,
  resource: Resource,
  scope: InstrumentationScope,
  cfg: ExporterConfig,
  o: UploadOptions,
): Promise<UploadResult> {
  const started = Date.now();
  const deadline = started + cfg.deadlineMs;
  const random = o.random ?? Math.random;
  const agent =
    cfg.url.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const headers: Record<string, string> = {};
  for (const [k, v] of cfg.headers) headers[k] = v;
  headers['Content-Type'] = cfg.protocol === 'http/protobuf' ? 'application/x-protobuf' : 'application/json';
  if (cfg.compression === 'gzip') headers['Content-Encoding'] = 'gzip';
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'user-agent')) headers['User-Agent'] = o.userAgent;
  const where = cfg.url.href;
  const batches = Math.max(1, Math.ceil(spanCount / cfg.batchSize));
  const result: UploadResult = { spans: 0, batches: 0, requests: 0, retries: 0, bytes: 0, rejected: 0, elapsedMs: 0 };
  let firstRejection: string | undefined;
  const fail = (why: string): never => {
    const sent =
      result.batches > 0 ? `; ${result.batches} of ${batches} batches (${result.spans} spans) were sent` : '';
    throw new UserError(`upload to ${where} failed: ${why}${sent}`, 1);
  };

  try {
    let b = -1;
    for (const slice of slices(spans, cfg.batchSize)) {
      b++;
      const v = views(slice, resource, scope);
      let body = cfg.protocol === 'http/protobuf' ? encodeProtobuf(v) : encodeJson(v);
      if (cfg.compression === 'gzip') body = gzipSync(body);
      for (let attempt = 1; ; attempt++) {
        const left = deadline - Date.now();
        if (left <= 0) fail(`deadline of ${formatMs(cfg.deadlineMs)} reached`);
        const timeout = Math.min(cfg.timeoutMs, left);
        let why: string;
        let retryable: boolean;
        let retryAfter: number | null = null;
        result.requests++;
        result.bytes += body.length;
        try {
          const res = await post(cfg.url, body, headers, timeout, agent);
          if (res.status >= 200 && res.status < 300) {
            if (res.cut)
              o.log(
                `warning: ${where} answered batch ${b + 1} with more than ${MAX_RESPONSE_BYTES} bytes: the rest was not read`,
              );
            const ps = partialSuccess(res.body, cfg.protocol);
            if (ps.rejected > 0 || ps.message !== '') {
              const rejected = Math.min(ps.rejected, slice.length);
              result.rejected += rejected;
              if (ps.rejected > 0) firstRejection ??= ps.message;
              o.log(
                `warning: ${where} rejected ${rejected} of ${slice.length} spans of batch ${b + 1}${ps.message ? `: ${ps.message}` : ''}`,
              );
            }
            break;
          }
          const detail = errorBodyMessage(res.body, res.headers['content-type']);
          why = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${detail ? `: ${detail}` : ''}`;
          retryable = RETRYABLE_STATUS.has(res.status);
          retryAfter = parseRetryAfter(res.headers['retry-after'] as string | undefined);
        } catch (err) {
          const e = err as Error;
          if (e instanceof RequestTimeout && e.ms < cfg.timeoutMs) {
            fail(
              `no response (timeout); deadline of ${formatMs(cfg.deadlineMs)} reached after ${attempt} ${attempt === 1 ? 'attempt' : 'attempts'}`,
            );
          }
          why = networkReason(e);
          retryable = retryableNetworkError(e);
        }
        if (!retryable) fail(why);
        if (attempt >= MAX_ATTEMPTS) fail(`${why} (gave up after ${attempt} attempts)`);
        const backoff = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** (attempt - 1));
        const wait = retryAfter ?? Math.round(backoff / 2 + (random() * backoff) / 2);
        if (Date.now() + wait >= deadline) {
          fail(
            retryAfter !== null
              ? `${why}; the server asked to retry after ${formatMs(retryAfter)}, past the deadline of ${formatMs(cfg.deadlineMs)}`
              : `${why} (deadline of ${formatMs(cfg.deadlineMs)} reached after ${attempt} attempts)`,
          );
        }
        result.retries++;
        o.log(`retrying batch ${b + 1}/${batches} in ${formatMs(wait)}: ${why}`);
        await sleep(wait);
      }
      result.batches++;
      result.spans += slice.length;
    }
  } finally {
    agent.destroy();
  }
  result.elapsedMs = Date.now() - started;
  if (result.rejected > 0) {
    throw new UserError(
      `upload to ${where}: the receiver rejected ${result.rejected} of ${result.spans} spans${firstRejection ? ` (${firstRejection})` : ''}`,
      1,
    );
  }
  return result;
}
