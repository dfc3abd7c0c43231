// Top commands: by number of runs and by cumulative time of their images.

import { basename } from '../../format.ts';
import { compareUtf8, type StatsContext, TOP } from '../context.ts';
import type { CommandStat } from '../types.ts';

export function commandStats(ctx: StatsContext): { topByCount: CommandStat[]; topByTime: CommandStat[] } {
  const imagesCte = `
    WITH images AS (
      SELECT x.exe,
             coalesce(lead(x.time_ns) OVER (PARTITION BY x.process_id ORDER BY x.seq), p.end_ns, :end) - x.time_ns AS dur,
             (x.seq = p.exec_count - 1 AND p.state = 'exited'
              AND (p.signal IS NOT NULL OR coalesce(p.exit_code, 0) != 0)) AS failed
      FROM execs x JOIN processes p ON p.id = x.process_id
    )`;
  // Every command once (a build has a few hundred), the two orders in JS (SQLite's: exe by UTF-8 bytes last).
  const all = ctx
    .q<{ exe: string; count: number; totalNs: number; maxNs: number; failed: number }>(
      `${imagesCte}
       SELECT exe, count(*) AS count, total(dur) AS totalNs, max(dur) AS maxNs, sum(failed) AS failed
       FROM images GROUP BY exe`,
      { end: ctx.end },
    )
    .map((r) => ({ ...r, name: basename(r.exe) }));
  const top = (order: (a: CommandStat, b: CommandStat) => number): CommandStat[] =>
    [...all]
      .sort((a, b) => order(a, b) || compareUtf8(a.exe, b.exe))
      .slice(0, TOP)
      .map((c) => ({ ...c }));
  const topByCount = top((a, b) => b.count - a.count || b.totalNs - a.totalNs);
  const topByTime = top((a, b) => b.totalNs - a.totalNs || b.count - a.count);
  for (const list of [topByCount, topByTime]) {
    const seen = new Map<string, number>();
    for (const c of list) seen.set(c.name, (seen.get(c.name) ?? 0) + 1);
    for (const c of list) {
      if (seen.get(c.name)! > 1) c.name = c.exe;
      const a0 = ctx.argv0.get(c.exe);
      if (a0 !== undefined && a0 !== '' && a0 !== basename(c.exe)) c.name = `${a0} (${c.name})`;
    }
  }
  return { topByCount, topByTime };
}
