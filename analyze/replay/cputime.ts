import type { Rusage } from '../../formats/types.ts';

/**
 * User and system CPU time that add up to the precise runtime, split the way
 * the kernel's cputime_adjust() does for getrusage() and /proc/PID/stat:
 * the kernel samples utime and stime at ticks (a short process may show
 * "user 0, system 4 ms" next to a runtime of 2.8 ms), so the scheduler's
 * runtime is divided in their proportion, the system share rounded down.
 * Without a recorded runtime (0) the sampled values are kept as they are.
 */
export function splitCpuTime(r: Rusage): Rusage {
  const runtime = r.runtimeNs;
  if (runtime === 0n) return r;
  const ticks = r.utimeNs + r.stimeNs;
  let stime: bigint;
  if (r.stimeNs === 0n) stime = 0n;
  else if (r.utimeNs === 0n) stime = runtime;
  else stime = (r.stimeNs * runtime) / ticks;
  return { ...r, utimeNs: runtime - stime, stimeNs: stime };
}
