// Containers and namespaces: the processes of each container their cgroup
// paths name (replay/container.ts), and how many cgroups and namespaces they
// were in (format 1.8).

import type { StatsContext } from '../context.ts';
import type { ContainerStat, ContainersReport } from '../types.ts';

export function containerStats(ctx: StatsContext): ContainersReport {
  const recorded =
    ctx.one<number>('SELECT count(*) FROM processes WHERE cgroup_id IS NOT NULL OR pid_ns IS NOT NULL') > 0;
  if (!recorded) return { recorded, containers: [], cgroups: 0, namespaces: { pid: 0, mnt: 0, net: 0, uts: 0 } };
  const containers = ctx.q<ContainerStat>(
    `SELECT container_runtime AS runtime, container_id AS id,
            (SELECT q.cgroup FROM processes q WHERE q.container_id IS p.container_id AND q.cgroup IS NOT NULL ORDER BY q.id LIMIT 1) AS cgroup,
            count(*) AS processes,
            sum(state = 'exited' AND (signal IS NOT NULL OR coalesce(exit_code, 0) != 0)) AS failed,
            sum(attached IS NOT NULL) AS attached
     FROM processes p WHERE cgroup_id IS NOT NULL OR pid_ns IS NOT NULL
     GROUP BY container_runtime, container_id ORDER BY processes DESC, id IS NULL, id`,
  );
  const n = (col: string): number => ctx.one<number>(`SELECT count(DISTINCT ${col}) FROM processes`);
  return {
    recorded,
    containers,
    cgroups: n('cgroup_id'),
    namespaces: { pid: n('pid_ns'), mnt: n('mnt_ns'), net: n('net_ns'), uts: n('uts_ns') },
  };
}
