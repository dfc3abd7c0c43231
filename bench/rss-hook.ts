// Preloaded with `node --import ./bench/rss-hook.ts bin/ptrace.js …` (bench/rss-figures.ts
// measuredCli): reports the process's peak RSS and CPU time on stderr at exit, so the
// real CLI is measured without /usr/bin/time.

import { figuresLine } from './rss-figures.ts';

process.on('exit', () => {
  process.stderr.write(figuresLine(process.resourceUsage()));
});
