// Trace and span ids. Never random: every id is a hash of what identifies the
// capture and the span, so replaying the same raw file twice gives the same
// ids (and byte-identical output). W3C traceparent parsing and --trace-id
// validation live here too.

import { hash } from 'node:crypto';
import { UserError } from '../../formats/errors.ts';

/** What makes one capture unique: the boot, the root pid and the capture's start on both clocks. */
export interface CaptureIdentity {
  bootId: string;
  rootPid: number;
  startBoottime: bigint;
  startRealtime: bigint;
}

export function identityKey(c: CaptureIdentity): string {
  return `${c.bootId}\u0000${c.rootPid}\u0000${c.startBoottime}\u0000${c.startRealtime}`;
}

const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);

/** The first `hexDigits` hex digits of sha256(parts joined by NUL); never all zero. */
function hashHex(hexDigits: number, parts: readonly string[]): string {
  const hex = hash('sha256', parts.join('\u0000'), 'hex').slice(0, hexDigits);
  // All-zero ids are invalid in W3C and OTLP; a hash giving one is as unlikely as it gets, but be exact.
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

/** Trace id of a capture when nothing else gives one. */
export function deriveTraceId(identity: string): string {
  return hashHex(32, ['ptrace-trace', identity]);
}

/** Span id of the capture's root span. */
export function rootSpanId(traceId: string, identity: string): string {
  return hashHex(16, ['ptrace-span', traceId, identity, 'capture']);
}

/**
 * Span id of one image of one process: the process is (pid, start time in
 * CLOCK_BOOTTIME ns), `part` says which image (`exec:<seq>`, `fork`, `process`).
 */
export function processSpanId(traceId: string, identity: string, pid: number, startBoot: bigint, part: string): string {
  return hashHex(16, ['ptrace-span', traceId, identity, `${pid}:${startBoot}`, part]);
}

/** --trace-id: 32 hex digits, not all zero; returned in lower case. */
export function parseTraceIdFlag(text: string): string {
  const t = text.trim();
  if (!/^[0-9a-fA-F]{32}$/.test(t)) {
    throw new UserError(`bad --trace-id "${text}": expected 32 hex digits`);
  }
  const id = t.toLowerCase();
  if (id === ZERO32) throw new UserError(`bad --trace-id "${text}": the all-zero trace id is invalid`);
  return id;
}

export interface TraceParent {
  traceId: string;
  spanId: string;
  flags: number;
}

/**
 * Parses a W3C traceparent (`version-traceid-parentid-flags`). Returns null
 * when it is not valid: wrong shape, upper-case hex, version ff, all-zero ids,
 * or extra fields after a version 00 value. Higher versions may carry more
 * fields after a dash, as the W3C spec allows.
 */
export function parseTraceParent(text: string): TraceParent | null {
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/.exec(text.trim());
  if (m === null) return null;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === 'ff') return null;
  if (version === '00' && rest !== undefined) return null;
  if (traceId === ZERO32 || spanId === ZERO16) return null;
  return { traceId: traceId!, spanId: spanId!, flags: Number.parseInt(flags!, 16) };
}
