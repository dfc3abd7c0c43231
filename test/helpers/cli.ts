// The replay CLI run as a user runs it: `node bin/ptrace.js ARGS` as a child
// process, stdout not a TTY.
import { spawnSync } from 'node:child_process';
import { CLI } from './real-capture.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function ptraceSync(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    maxBuffer: 1 << 28,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
