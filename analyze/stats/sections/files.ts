// File opens: the most opened and written paths, failed opens by errno.
//
// Computed from the open rows one at a time (OpenTally), not with SQL: `stats`
// takes them from the loader as it makes them (model.ts streamOpens), so a
// build's opens, most of its rows, never go into SQLite; grouping them there
// took most of `stats`. The figures are the ones SQL gave: paths as
// coalesce(resolved_path, path or `<fd N>/path`), counts, distinct processes,
// ties ordered by the paths' UTF-8 bytes (SQLite's BINARY collation).

import type { OpenRow } from '../../replay/model.ts';
import { compareUtf8, optionRecorded, type StatsContext, TOP } from '../context.ts';
import { mostFrequent, topOf } from '../tally.ts';
import type { ErrnoStat, FilesReport, PathStat } from '../types.ts';

/** What the section reads of an open row. */
export type OpenFields = Pick<OpenRow, 'processId' | 'dirfd' | 'path' | 'resolved' | 'flags' | 'fd' | 'errnoName'>;

export function filesStats(ctx: StatsContext, opens: OpenTally): FilesReport {
  return {
    recorded: optionRecorded(ctx, 'files'),
    opens: opens.opens,
    failed: opens.failed,
    distinctPaths: opens.distinctPaths,
    topPaths: opens.topPaths(TOP),
    written: opens.topPaths(TOP, true),
    failedByErrno: opens.failedByErrno(),
  };
}

/** The tally of open rows (a model's, when the loader did not stream them). */
export function openTallyOf(rows: Iterable<OpenFields>): OpenTally {
  const tally = new OpenTally();
  for (const row of rows) tally.add(row);
  return tally;
}

/** Distinct processes up to which a Set holds them; past it, a bitmap indexed by process id. */
const SET_LIMIT = 32;

/**
 * Opens of one path and their distinct processes: most paths have one
 * process (no set), shared libraries and headers have thousands (a bitmap:
 * a Set of 34,000 ids cost more than the rest of the tally).
 */
class ProcessCount {
  private first = -1;
  private few: Set<number> | null = null;
  private bits: Uint8Array | null = null;
  private distinct = 1;
  count = 0;

  add(processId: number): void {
    this.count++;
    if (this.first === -1) this.first = processId;
    else if (processId === this.first) return;
    else if (this.bits !== null) this.mark(processId);
    else {
      const few = (this.few ??= new Set([this.first]));
      few.add(processId);
      if (few.size > SET_LIMIT) {
        this.distinct = 0;
        this.bits = new Uint8Array(0);
        for (const id of few) this.mark(id);
        this.few = null;
      }
    }
  }

  private mark(id: number): void {
    let bits = this.bits!;
    const byte = id >>> 3;
    if (byte >= bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, bits.length * 2, 64));
      grown.set(bits);
      this.bits = bits = grown;
    }
    const bit = 1 << (id & 7);
    if ((bits[byte]! & bit) === 0) {
      bits[byte]! |= bit;
      this.distinct++;
    }
  }

  get processes(): number {
    return this.bits !== null ? this.distinct : (this.few?.size ?? 1);
  }
}

interface PathTally {
  opened: ProcessCount | null;
  written: ProcessCount | null;
}

/** O_WRONLY | O_RDWR | O_CREAT. */
const WRITE_FLAGS = 67;
const EXAMPLES = 3;

export class OpenTally {
  opens = 0;
  failed = 0;
  private readonly paths = new Map<string, PathTally>();
  /** errno name (null: none, which the reader never gives) → path → failed opens. */
  private readonly failures = new Map<string | null, Map<string, number>>();

  readonly add = (row: OpenFields): void => {
    this.opens++;
    const path = row.resolved ?? (row.dirfd === -100 ? row.path : `<fd ${row.dirfd}>/${row.path}`);
    let t = this.paths.get(path);
    if (t === undefined) this.paths.set(path, (t = { opened: null, written: null }));
    if (row.fd === null) {
      this.failed++;
      const errno = row.errnoName;
      let byPath = this.failures.get(errno);
      if (byPath === undefined) this.failures.set(errno, (byPath = new Map()));
      byPath.set(path, (byPath.get(path) ?? 0) + 1);
      return;
    }
    (t.opened ??= new ProcessCount()).add(row.processId);
    if ((row.flags & WRITE_FLAGS) !== 0) (t.written ??= new ProcessCount()).add(row.processId);
  };

  get distinctPaths(): number {
    return this.paths.size;
  }

  /** The `top` paths opened successfully (with `written`: for writing), most opened first. */
  topPaths(top: number, written = false): PathStat[] {
    const out: PathStat[] = [];
    for (const [path, t] of this.paths) {
      const c = written ? t.written : t.opened;
      if (c !== null) out.push({ path, count: c.count, processes: c.processes });
    }
    return topOf(out, top, (a, b) => b.count - a.count || compareUtf8(a.path, b.path));
  }

  /** Failed opens by errno name, most frequent first, with their most frequent paths. */
  failedByErrno(): ErrnoStat[] {
    const out: ErrnoStat[] = [];
    for (const [errno, byPath] of this.failures) {
      let count = 0;
      for (const n of byPath.values()) count += n;
      const examples = mostFrequent(byPath, EXAMPLES).map(([p]) => p);
      out.push({ errno: errno as string, count, examples });
    }
    // SQL sorts NULL first.
    return out.sort(
      (a, b) => b.count - a.count || (a.errno === null ? -1 : b.errno === null ? 1 : compareUtf8(a.errno, b.errno)),
    );
  }
}
