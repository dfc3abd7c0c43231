// File opens: the most opened and written paths, failed opens by errno.

import { optionRecorded, type StatsContext, TOP } from '../context.ts';
import type { FilesReport, PathStat } from '../types.ts';

export function filesStats(ctx: StatsContext): FilesReport {
  const { q, one } = ctx;
  const pathExpr = `coalesce(resolved_path, CASE WHEN dirfd = -100 THEN path ELSE '<fd ' || dirfd || '>/' || path END)`;
  return {
    recorded: optionRecorded(ctx, 'files'),
    opens: one<number>('SELECT count(*) FROM opens'),
    failed: one<number>('SELECT count(*) FROM opens WHERE fd IS NULL'),
    distinctPaths: one<number>(`SELECT count(DISTINCT ${pathExpr}) FROM opens`),
    topPaths: q<PathStat>(
      `SELECT ${pathExpr} AS path, count(*) AS count, count(DISTINCT process_id) AS processes FROM opens
       WHERE fd IS NOT NULL GROUP BY 1 ORDER BY count DESC, path LIMIT ${TOP}`,
    ),
    written: q<PathStat>(
      `SELECT ${pathExpr} AS path, count(*) AS count, count(DISTINCT process_id) AS processes FROM opens
       WHERE fd IS NOT NULL AND (flags & 67) != 0 GROUP BY 1 ORDER BY count DESC, path LIMIT ${TOP}`,
    ),
    failedByErrno: q<{ errno: string; count: number }>(
      `SELECT errno_name AS errno, count(*) AS count FROM opens WHERE fd IS NULL GROUP BY 1 ORDER BY count DESC, errno`,
    ).map((r) => ({
      ...r,
      examples: q<{ p: string }>(
        `SELECT ${pathExpr} AS p, count(*) AS n FROM opens WHERE fd IS NULL AND errno_name = :e GROUP BY 1 ORDER BY n DESC, p LIMIT 3`,
        { e: r.errno },
      ).map((x) => x.p),
    })),
  };
}
