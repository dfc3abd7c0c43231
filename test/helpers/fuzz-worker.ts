// Child process of the fuzz runner (test/helpers/fuzz-runner.ts): runs ptrace
// commands in-process through oclif's `run`, the same command classes that
// `bin/ptrace.js` executes, without paying for a Node start per run. Each
// request names a file and the argvs to run on it; the reply gives, per argv,
// the exit code, what went to stderr, and whether the command threw something
// other than oclif's exit (a crash). stdout is counted, not kept.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config, run } from '@oclif/core';

export interface WorkerRequest {
  id: number;
  argvs: string[][];
}

export interface RunResult {
  argv: string[];
  code: number;
  stderr: string;
  stdoutBytes: number;
  /** A stack: the command threw something other than an oclif exit. */
  crash: string | null;
}

export interface WorkerReply {
  id: number;
  results: RunResult[];
  /** Peak RSS of this worker so far (KiB). */
  maxRssKb: number;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const config = await Config.load({ root });
const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);

async function runOne(argv: string[]): Promise<RunResult> {
  let stderr = '';
  let stdoutBytes = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdoutBytes += chunk.length;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    if (stderr.length < 1 << 20) stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  let code = 0;
  let crash: string | null = null;
  try {
    await run(argv, config);
  } catch (err) {
    const exit = (err as { oclif?: { exit?: number } })?.oclif?.exit;
    if (typeof exit === 'number' && (err as { code?: string }).code === 'EEXIT') code = exit;
    else {
      code = 1;
      crash = err instanceof Error ? (err.stack ?? err.message) : String(err);
    }
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  return { argv, code, stderr, stdoutBytes, crash };
}

process.on('message', async (req: WorkerRequest) => {
  const results: RunResult[] = [];
  for (const argv of req.argvs) results.push(await runOne(argv));
  const reply: WorkerReply = { id: req.id, results, maxRssKb: process.resourceUsage().maxRSS };
  process.send!(reply);
});
process.send!({ ready: true });
