// Containers and namespaces: the processes of each container their cgroup
// paths name (replay/container.ts), and how many cgroups and namespaces they
// were in (format 1.8).

import { processFailed } from '../../replay/model.ts';
import type { StatsContext } from '../context.ts';
import { nullsFirstText } from '../tally.ts';
import type { ContainerStat, ContainersReport } from '../types.ts';

export function containerStats(ctx: StatsContext): ContainersReport {
  const { processes } = ctx.model;
  const placed = processes.filter((p) => p.cgroupId !== null || p.pidNs !== null);
  const recorded = placed.length > 0;
  if (!recorded) return { recorded, containers: [], cgroups: 0, namespaces: { pid: 0, mnt: 0, net: 0, uts: 0 } };
  // A container's cgroup: the first process's (by id) of any runtime with that container id (or none) and a cgroup.
  const cgroupOf = new Map<string | null, string>();
  for (const p of processes)
    if (p.cgroup !== null && !cgroupOf.has(p.containerId)) cgroupOf.set(p.containerId, p.cgroup);
  const groups = new Map<string, ContainerStat>();
  for (const p of placed) {
    const key = JSON.stringify([p.containerRuntime, p.containerId]);
    let c = groups.get(key);
    if (c === undefined) {
      groups.set(
        key,
        (c = {
          runtime: p.containerRuntime,
          id: p.containerId,
          cgroup: cgroupOf.get(p.containerId) ?? null,
          processes: 0,
          failed: 0,
          attached: 0,
        }),
      );
    }
    c.processes++;
    if (processFailed(p)) c.failed++;
    if (p.attached !== null) c.attached++;
  }
  // Most processes first; then by id, the processes in no container (null) first.
  const containers = [...groups.values()].sort(
    (a, b) => b.processes - a.processes || nullsFirstText(a.id, b.id) || nullsFirstText(a.runtime, b.runtime),
  );
  const distinct = (of: (p: (typeof processes)[number]) => number | null): number => {
    const seen = new Set<number>();
    for (const p of processes) {
      const v = of(p);
      if (v !== null) seen.add(v);
    }
    return seen.size;
  };
  return {
    recorded,
    containers,
    cgroups: distinct((p) => p.cgroupId),
    namespaces: {
      pid: distinct((p) => p.pidNs),
      mnt: distinct((p) => p.mntNs),
      net: distinct((p) => p.netNs),
      uts: distinct((p) => p.utsNs),
    },
  };
}
