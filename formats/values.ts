// Ranges of the u64 fields of a raw file. A flipped bit can make any of them
// up to 2^64-1, which SQLite (int64) cannot bind and a JS number cannot hold
// exactly. The reader clamps every value to a range in which all commands
// agree exactly (db, export, otel, stats, tree), and says so in a warning
// naming the record and the field. FORMAT.md, "Value ranges", documents this.

import type { ClockAnchor, ReadWarning, Rusage } from './types.ts';

/** Durations (ns), byte counts and counters above this are clamped: 2^53 - 1, the largest integer every output holds exactly. */
export const MAX_AMOUNT = 2n ** 53n - 1n;
/** Clock anchors (header start, footer stop) above this are clamped (2^62: about year 2116 as wall clock), so wall-clock sums stay inside int64. */
export const MAX_ANCHOR = 2n ** 62n;
/** Timestamps further than this from the capture start (2^52 ns, about 52 days) are clamped to that distance: times relative to any event stay exact doubles. */
export const MAX_TIME_OFFSET = 2n ** 52n;
/** Individual warnings before the rest are only counted. */
const DETAILED = 10;

const RUSAGE_FIELDS: readonly (keyof Rusage)[] = [
  'utimeNs',
  'stimeNs',
  'runtimeNs',
  'maxrssKb',
  'minFlt',
  'majFlt',
  'nvcsw',
  'nivcsw',
  'rchar',
  'wchar',
  'readBytes',
  'writeBytes',
];
const RUSAGE_NAMES: Readonly<Record<keyof Rusage, string>> = {
  utimeNs: 'rusage.utime_ns',
  stimeNs: 'rusage.stime_ns',
  runtimeNs: 'rusage.runtime_ns',
  maxrssKb: 'rusage.maxrss_kb',
  minFlt: 'rusage.min_flt',
  majFlt: 'rusage.maj_flt',
  nvcsw: 'rusage.nvcsw',
  nivcsw: 'rusage.nivcsw',
  rchar: 'rusage.rchar',
  wchar: 'rusage.wchar',
  readBytes: 'rusage.read_bytes',
  writeBytes: 'rusage.write_bytes',
};

/** Where a value came from, for the warning: `record 12 (exit, pid 40)`. */
export interface ValueSite {
  record: number;
  type: string;
  pid: number;
}

const clamp = (v: bigint, lo: bigint, hi: bigint): bigint => (v < lo ? lo : v > hi ? hi : v);

/** A header or footer clock anchor with each value clamped to [0, MAX_ANCHOR], warning once per value; `where`: `header: start.`. */
export function checkedAnchor(a: ClockAnchor, where: string, warnings: ReadWarning[] | undefined): ClockAnchor {
  if (a.realtime <= MAX_ANCHOR && a.boottime <= MAX_ANCHOR && a.monotonic <= MAX_ANCHOR) return a;
  const out = { ...a };
  for (const k of ['realtime', 'boottime', 'monotonic'] as const) {
    if (out[k] <= MAX_ANCHOR) continue;
    warnings?.push({
      code: 'value-out-of-range',
      message: `${where}${k} ${out[k]} is out of range (over 2^62): clamped to ${MAX_ANCHOR}`,
    });
    out[k] = MAX_ANCHOR;
  }
  return out;
}

/**
 * Checks the u64 fields of the records of one file: timestamps within
 * MAX_TIME_OFFSET of the capture start, amounts at most MAX_AMOUNT. The fast
 * path is two comparisons; only a bad value costs more.
 */
export class ValueChecker {
  /** Smallest and largest timestamp kept as is. */
  readonly earliest: bigint;
  readonly latest: bigint;
  readonly #warnings: ReadWarning[];
  #bad = 0;

  constructor(startBoottime: bigint, warnings: ReadWarning[]) {
    this.earliest = startBoottime > MAX_TIME_OFFSET ? startBoottime - MAX_TIME_OFFSET : 0n;
    this.latest = startBoottime + MAX_TIME_OFFSET;
    this.#warnings = warnings;
  }

  /** A boot-clock timestamp. */
  time(v: bigint, site: ValueSite, field: string): bigint {
    if (v >= this.earliest && v <= this.latest) return v;
    const kept = clamp(v, this.earliest, this.latest);
    this.#report(site, field, v, kept, 'more than 2^52 ns from the capture start');
    return kept;
  }

  /** A timestamp where 0 means "not recorded" (kept as 0). */
  optionalTime(v: bigint, site: ValueSite, field: string): bigint {
    return v === 0n ? v : this.time(v, site, field);
  }

  /** A duration, byte count or counter. */
  amount(v: bigint, site: ValueSite, field: string): bigint {
    if (v <= MAX_AMOUNT) return v;
    this.#report(site, field, v, MAX_AMOUNT, 'over 2^53-1');
    return MAX_AMOUNT;
  }

  /** The rusage of an exit record, clamped in place. */
  rusage(r: Rusage, site: ValueSite): Rusage {
    for (const k of RUSAGE_FIELDS) if (r[k] > MAX_AMOUNT) r[k] = this.amount(r[k], site, RUSAGE_NAMES[k]);
    return r;
  }

  /** End of the file: a count of the values not warned about one by one. */
  finish(): void {
    if (this.#bad > DETAILED) {
      const n = this.#bad - DETAILED;
      this.#warnings.push({
        code: 'value-out-of-range',
        message: `${n} more value${n === 1 ? '' : 's'} out of range (clamped)`,
      });
    }
  }

  #report(site: ValueSite, field: string, v: bigint, kept: bigint, why: string): void {
    if (++this.#bad > DETAILED) return;
    this.#warnings.push({
      code: 'value-out-of-range',
      message: `record ${site.record} (${site.type}, pid ${site.pid}): ${field} ${v} is out of range (${why}): clamped to ${kept}`,
    });
  }
}
