// Failed exec attempts by path and errno, and how many were PATH-search misses.

import type { StatsContext } from '../context.ts';
import type { FailedExecStat } from '../types.ts';

export function failedExecStats(ctx: StatsContext): FailedExecStat[] {
  return ctx.q<FailedExecStat>(
    `SELECT f.path, f.errno_name AS errno, count(*) AS count,
            sum(NOT EXISTS (SELECT 1 FROM execs x WHERE x.process_id = f.process_id AND x.time_ns >= f.time_ns)) AS final
     FROM exec_failures f GROUP BY f.path, f.errno_name ORDER BY final DESC, count DESC, f.path, f.errno_name`,
  );
}

/** SQLite has no basename(): what follows the last slash. */
const baseName = (column: string) => `replace(${column}, rtrim(${column}, replace(${column}, '/', '')), '')`;

/** Failed execs followed, in the same process, by a successful exec of a file with the same name. */
const PATH_SEARCH_MISSES = `SELECT count(*) FROM exec_failures f
  WHERE ${baseName('f.path')} = (SELECT ${baseName('x.filename')} FROM execs x
    WHERE x.process_id = f.process_id AND x.time_ns >= f.time_ns ORDER BY x.time_ns, x.seq LIMIT 1)`;

export function pathSearchMisses(ctx: StatsContext): number {
  return ctx.one<number>(PATH_SEARCH_MISSES);
}
