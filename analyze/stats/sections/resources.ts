// CPU and memory, from the resources rows (processes whose exit recorded usage).

import { commandName, PROCESS_COLUMNS, type ProcessRow, processStat, type StatsContext, TOP } from '../context.ts';
import type { CpuReport, MemoryReport } from '../types.ts';

const cpuExpr = 'CASE WHEN r.runtime_ns > 0 THEN r.runtime_ns ELSE r.cpu_ns END';

type UsageRow = ProcessRow & {
  cpuNs: number;
  userNs: number;
  systemNs: number;
  maxRssKib: number;
  majorFaults: number;
};

const usageSelect = `
    SELECT ${PROCESS_COLUMNS}, ${cpuExpr} AS cpuNs, r.utime_ns AS userNs, r.stime_ns AS systemNs,
           r.maxrss_kb AS maxRssKib, r.maj_flt AS majorFaults
    FROM resources r JOIN processes p ON p.id = r.process_id
    LEFT JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1`;

export interface UsageTotals {
  n: number;
  cpu: number;
  u: number;
  s: number;
}

export function usageTotals(ctx: StatsContext): UsageTotals {
  // Sums of u64 columns use total() (a double): sum() fails with "integer overflow" past int64 (values up to 2^53 each).
  return ctx.db
    .prepare(
      `SELECT count(*) AS n, total(${cpuExpr}) AS cpu, total(r.utime_ns) AS u, total(r.stime_ns) AS s FROM resources r`,
    )
    .get() as UsageTotals;
}

export function cpuStats(ctx: StatsContext, totals: UsageTotals): CpuReport {
  const { q, t0, end, capture } = ctx;
  const share = (ns: number): number => (totals.cpu > 0 ? Math.round((ns / totals.cpu) * 10000) / 10000 : 0);
  return {
    processesWithUsage: totals.n,
    totalNs: totals.cpu,
    userNs: totals.u,
    systemNs: totals.s,
    averageCpus: capture.end > 0 ? Math.round((totals.cpu / capture.end) * 100) / 100 : 0,
    topProcesses: q<UsageRow>(
      `${usageSelect} WHERE ${cpuExpr} > 0 ORDER BY cpuNs DESC, p.start_ns, p.pid LIMIT ${TOP}`,
      { t0, end },
    ).map((r) => ({
      ...processStat(ctx, r),
      cpuNs: r.cpuNs,
      userNs: r.userNs,
      systemNs: r.systemNs,
      share: share(r.cpuNs),
    })),
    topCommands: q<{ exe: string; processes: number; cpuNs: number }>(
      `SELECT x.exe, count(*) AS processes, total(${cpuExpr}) AS cpuNs
       FROM resources r JOIN processes p ON p.id = r.process_id
       JOIN execs x ON x.process_id = p.id AND x.seq = p.exec_count - 1
       GROUP BY x.exe HAVING cpuNs > 0 ORDER BY cpuNs DESC, x.exe LIMIT ${TOP}`,
    ).map((r) => ({
      name: commandName(r.exe, ctx.argv0),
      exe: r.exe,
      processes: r.processes,
      cpuNs: r.cpuNs,
      share: share(r.cpuNs),
    })),
  };
}

export function memoryStats(ctx: StatsContext, totals: UsageTotals): MemoryReport {
  const { t0, end } = ctx;
  return {
    processesWithUsage: totals.n,
    top: ctx
      .q<UsageRow>(`${usageSelect} WHERE r.maxrss_kb > 0 ORDER BY maxRssKib DESC, p.start_ns, p.pid LIMIT ${TOP}`, {
        t0,
        end,
      })
      .map((r) => ({
        ...processStat(ctx, r),
        maxRssKib: r.maxRssKib,
        majorFaults: r.majorFaults,
      })),
  };
}
