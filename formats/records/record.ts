// What every record type module provides, and what the assembler gives it.
// One module per record type (fork.ts, exec.ts…); index.ts maps type numbers
// to them. A module decodes its record's payload (the head is already read)
// and, for a record followed by PT_DATA chunks, says which string kinds it
// owns and how its strings complete the event.

import type { Bytes } from '../decode.ts';
import type { CapturedBytes, CaptureEvent, CaptureHeader, ContainerIds, ReadWarning } from '../types.ts';
import type { ValueChecker, ValueSite } from '../values.ts';

/** The assembler, as a record module sees it: byte order, header, and the value checks that name the record in warnings. */
export interface RecordContext {
  readonly le: boolean;
  readonly header: CaptureHeader;
  readonly warnings: ReadWarning[];
  readonly values: ValueChecker;
  /** PT_EXIT carries struct pt_rusage (format 1.1 and later). */
  readonly hasRusage: boolean;
  site(at: number, type: number, pid: number): ValueSite;
  /** A duration, byte count or counter, clamped to MAX_AMOUNT. */
  amount(v: bigint, at: number, type: number, pid: number, field: string): bigint;
  /** A timestamp (0: not recorded, kept), clamped near the capture start. */
  optionalTime(v: bigint, at: number, type: number, pid: number, field: string): bigint;
  /** A process's start time (identity, part 2): any time up to the capture's latest; a process attached to may have started long before. */
  identityTime(v: bigint, at: number, type: number, pid: number, field: string): bigint;
  /** struct pt_container at `off` (format 1.8), its cgroup id checked; null when not recorded. */
  container(b: Bytes, off: number, at: number, type: number, pid: number): ContainerIds | null;
}

/** One string of an owner record as its chunks put it together. */
export interface ChunkedString {
  readonly last: boolean;
  readonly truncated: boolean;
  bytes(): Buffer;
  captured(): CapturedBytes;
}

/** The strings of an owner record, by data kind (PT_D_*). */
export type OwnedStrings = readonly (ChunkedString | undefined)[];

/** A record type followed by PT_DATA chunks of the kinds it owns. */
export interface Owns<E extends CaptureEvent> {
  /** Bit (1 << kind) set for each data kind that belongs to it. */
  readonly kindMask: number;
  /** The kind whose final chunk completes the record (head.flags may decide). */
  finalKind(flags: number): number;
  /** The size the record announces for its string of this kind (0: unknown), to allocate it once. */
  announcedSize?(e: E, kind: number): number;
  /** Puts the strings into the event once no more chunks will come. */
  complete(e: E, strings: OwnedStrings, flags: number, header: CaptureHeader): void;
  /** A record with one string: its kind and setter, so that a chunk right after the record completes it at once. */
  readonly single: { readonly kind: number; set(e: E, s: CapturedBytes): void } | null;
}

export interface RecordType<E extends CaptureEvent = CaptureEvent> {
  readonly type: number;
  /** Decodes the record at `off`; ts, pid, start, tid come from its head, already checked. */
  read(c: RecordContext, b: Bytes, off: number, at: number, ts: bigint, pid: number, start: bigint, tid: number): E;
  /** Set when PT_DATA chunks follow the record. */
  readonly owns: Owns<E> | null;
}

export const EMPTY = Buffer.alloc(0);
/** A string none of whose chunks arrived. */
export const missing = (): CapturedBytes => ({ bytes: EMPTY, truncated: true });
/** Placeholder while an owner waits for its chunks (replaced when it completes, never emitted). */
export const MISSING: CapturedBytes = Object.freeze(missing()) as CapturedBytes;

/** The `owns` of a record with one string, set on the event by `set`. */
export function oneString<E extends CaptureEvent>(kind: number, set: (e: E, s: CapturedBytes) => void): Owns<E> {
  return {
    kindMask: 1 << kind,
    finalKind: () => kind,
    complete: (e, strings) => set(e, strings[kind]?.captured() ?? missing()),
    single: { kind, set },
  };
}
