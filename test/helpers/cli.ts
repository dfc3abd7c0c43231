// The replay CLI run as a user runs it: `node bin/ptrace.js ARGS` as a child
// process, stdout not a TTY.
import { execFile, spawnSync } from 'node:child_process';
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

/** `ptrace otel ARGS` with no OTEL_* or TRACEPARENT from this environment, plus `env`; `ms`: its wall time. */
export function ptraceOtel(args: string[], env: Record<string, string> = {}): Promise<CliRun & { ms: number }> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('OTEL_') && k !== 'TRACEPARENT') base[k] = v;
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'otel', ...args],
      { env: { ...base, ...env }, maxBuffer: 256 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}
