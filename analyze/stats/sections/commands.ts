// Top commands: by number of runs and by cumulative time of their images.

import { basename } from '../../format.ts';
import { type ExecRow, processFailed } from '../../replay/model.ts';
import { compareUtf8, type StatsContext, TOP } from '../context.ts';
import { IntTotal } from '../tally.ts';
import type { CommandStat } from '../types.ts';

interface CommandTally {
  exe: string;
  count: number;
  total: IntTotal;
  max: bigint;
  failed: number;
}

/**
 * Each image's duration: from its exec to the process's next exec, its end,
 * or the capture's end; an image failed if it is the last one of a failed
 * process. Every command once (a build has a few hundred), the two orders in
 * JS (ties: exe by UTF-8 bytes).
 */
export function commandStats(ctx: StatsContext): { topByCount: CommandStat[]; topByTime: CommandStat[] } {
  const { execs, processes } = ctx.model;
  const byExe = new Map<string, CommandTally>();
  const imageEnds = (x: ExecRow, end: bigint): void => {
    let c = byExe.get(x.exe);
    if (c === undefined) byExe.set(x.exe, (c = { exe: x.exe, count: 0, total: new IntTotal(), max: 0n, failed: 0 }));
    const dur = end - x.time;
    const n = Number(dur);
    c.total.add(Number.isSafeInteger(n) ? n : dur);
    if (c.count === 0 || dur > c.max) c.max = dur;
    c.count++;
    const p = processes[x.processId - 1]!;
    if (x.seq === p.execCount - 1 && processFailed(p)) c.failed++;
  };
  // The process's image before this exec (an index into execs; -1: none yet): execs are in seq order per process.
  const current = new Int32Array(processes.length).fill(-1);
  for (let i = 0; i < execs.length; i++) {
    const x = execs[i]!;
    const before = current[x.processId - 1]!;
    if (before >= 0) imageEnds(execs[before]!, x.time);
    current[x.processId - 1] = i;
  }
  for (let id = 1; id <= processes.length; id++) {
    const last = current[id - 1]!;
    if (last >= 0) imageEnds(execs[last]!, processes[id - 1]!.end ?? ctx.end);
  }
  const all = [...byExe.values()].map((c) => ({
    exe: c.exe,
    count: c.count,
    totalNs: c.total.value,
    maxNs: Number(c.max),
    failed: c.failed,
    name: basename(c.exe),
  }));
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
