// CPU and memory, from the resources rows (processes whose exit recorded usage).

import type { ResourceRow } from '../../replay/model.ts';
import { commandName, compareUtf8, processStat, type StatsContext, TOP } from '../context.ts';
import { compareBig, IntTotal, topOf } from '../tally.ts';
import type { CpuReport, MemoryReport } from '../types.ts';

/** A process's CPU time: the scheduler's runtime when recorded, else user + system (exact: their sum may pass 2^53). */
function cpuOf(r: ResourceRow): bigint {
  return r.runtimeNs > 0 ? BigInt(r.runtimeNs) : BigInt(r.utimeNs) + BigInt(r.stimeNs);
}

export interface UsageTotals {
  n: number;
  cpu: number;
  u: number;
  s: number;
  /** Each resources row's CPU time (cpuOf), in the same order. */
  cpuNs: bigint[];
}

export function usageTotals(ctx: StatsContext): UsageTotals {
  const { resources } = ctx.model;
  const cpu = new IntTotal();
  const u = new IntTotal();
  const s = new IntTotal();
  const cpuNs = resources.map(cpuOf);
  for (let i = 0; i < resources.length; i++) {
    cpu.add(cpuNs[i]!);
    u.add(resources[i]!.utimeNs);
    s.add(resources[i]!.stimeNs);
  }
  return { n: resources.length, cpu: cpu.value, u: u.value, s: s.value, cpuNs };
}

export function cpuStats(ctx: StatsContext, totals: UsageTotals): CpuReport {
  const { capture, model } = ctx;
  const share = (ns: number): number => (totals.cpu > 0 ? Math.round((ns / totals.cpu) * 10000) / 10000 : 0);
  const rows = model.resources.map((r, i) => ({ r, cpu: totals.cpuNs[i]!, p: model.processes[r.processId - 1]! }));
  const byCommand = new Map<string, { exe: string; processes: number; cpu: IntTotal }>();
  for (const { r, cpu } of rows) {
    const x = ctx.lastExec(r.processId);
    if (x === undefined) continue;
    let c = byCommand.get(x.exe);
    if (c === undefined) byCommand.set(x.exe, (c = { exe: x.exe, processes: 0, cpu: new IntTotal() }));
    c.processes++;
    c.cpu.add(cpu);
  }
  const commands = [...byCommand.values()]
    .map((c) => ({ exe: c.exe, processes: c.processes, cpuNs: c.cpu.value }))
    .filter((c) => c.cpuNs > 0);
  return {
    processesWithUsage: totals.n,
    totalNs: totals.cpu,
    userNs: totals.u,
    systemNs: totals.s,
    averageCpus: capture.end > 0 ? Math.round((totals.cpu / capture.end) * 100) / 100 : 0,
    topProcesses: topOf(
      rows.filter((x) => x.cpu > 0n),
      TOP,
      (a, b) => compareBig(b.cpu, a.cpu) || compareBig(a.p.start, b.p.start) || a.p.pid - b.p.pid,
    ).map(({ r, cpu }) => {
      const cpuNs = Number(cpu);
      return {
        ...processStat(ctx, ctx.listed(r.processId)),
        cpuNs,
        userNs: r.utimeNs,
        systemNs: r.stimeNs,
        share: share(cpuNs),
      };
    }),
    topCommands: topOf(commands, TOP, (a, b) => b.cpuNs - a.cpuNs || compareUtf8(a.exe, b.exe)).map((c) => ({
      name: commandName(c.exe, ctx.argv0),
      exe: c.exe,
      processes: c.processes,
      cpuNs: c.cpuNs,
      share: share(c.cpuNs),
    })),
  };
}

export function memoryStats(ctx: StatsContext, totals: UsageTotals): MemoryReport {
  const { model } = ctx;
  return {
    processesWithUsage: totals.n,
    top: topOf(
      model.resources.filter((r) => r.maxrssKb > 0),
      TOP,
      (a, b) => {
        const pa = model.processes[a.processId - 1]!;
        const pb = model.processes[b.processId - 1]!;
        return b.maxrssKb - a.maxrssKb || compareBig(pa.start, pb.start) || pa.pid - pb.pid;
      },
    ).map((r) => ({
      ...processStat(ctx, ctx.listed(r.processId)),
      maxRssKib: r.maxrssKb,
      majorFaults: r.majFlt,
    })),
  };
}
