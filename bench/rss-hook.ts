// Preloaded with `node --import ./bench/rss-hook.ts bin/ptrace.js …` by bench/replay.ts:
// reports the process's peak RSS and CPU time on stderr at exit, so the real
// CLI is measured without /usr/bin/time.
process.on('exit', () => {
  const r = process.resourceUsage();
  process.stderr.write(`\nbench: maxrss_kb=${r.maxRSS} user_us=${r.userCPUTime} system_us=${r.systemCPUTime}\n`);
});
