// Runs ptrace commands on mutated files and judges the outcome, for
// test/cli/fuzz.test.ts and bench/fuzz.ts. Two ways, same verdicts:
//  - in workers (fuzz-worker.ts): many runs per Node process, a time limit per
//    request (a worker that overruns is killed: a hang) and the workers' peak RSS;
//  - as `node bin/ptrace.js …` child processes with a time limit and a V8 heap
//    limit, peak RSS read from bench/rss-hook.ts.
// The contract: exit 0 (warnings allowed), or exit 2/3 with exactly one
// `ptrace:` error line; stderr never holds anything but `ptrace:` lines.

import { type ChildProcess, fork, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RSS_HOOK, readFigures } from '../../bench/rss-figures.ts';
import type { RunResult, WorkerReply, WorkerRequest } from './fuzz-worker.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type Verdict = 'ok' | 'crash' | 'hang' | 'bad-output';

/** Why a run broke the contract, or null when it kept it. */
export function judge(r: Pick<RunResult, 'code' | 'stderr' | 'crash'>): { verdict: Verdict; why: string } | null {
  if (r.crash !== null) return { verdict: 'crash', why: r.crash.split('\n').slice(0, 6).join('\n') };
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('bench: '));
  const stray = lines.find((l) => !l.startsWith('ptrace: '));
  if (stray !== undefined)
    return {
      verdict: 'bad-output',
      why: `exit ${r.code}, stderr line without ptrace: prefix: ${lines.slice(0, 6).join('\n')}`,
    };
  if (r.code === 0) return null;
  if (r.code !== 2 && r.code !== 3) return { verdict: 'crash', why: `exit ${r.code}: ${lines.slice(0, 6).join('\n')}` };
  const errors = lines.filter((l) => !l.startsWith('ptrace: warning: '));
  if (errors.length !== 1)
    return {
      verdict: 'bad-output',
      why: `exit ${r.code} with ${errors.length} error lines: ${errors.slice(0, 6).join('\n')}`,
    };
  return null;
}

/** Replaces FILE and OUT in a command template. */
export const argvFor = (template: readonly string[], file: string, out: string): string[] =>
  template.map((a) => (a === 'FILE' ? file : a.replace(/^OUT/, out)));

export interface PoolResult {
  results: RunResult[];
  /** The request overran its time limit (the worker was killed). */
  hang: boolean;
  /** The worker died (e.g. V8 out of memory) while running it. */
  died: string | null;
}

interface Slot {
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  served: number;
}

/** Workers running requests one at a time each; restarted after `recycleAfter` requests so their peak RSS stays per-batch. */
export class WorkerPool {
  readonly #slots: Slot[] = [];
  readonly #waiting: ((s: Slot) => void)[] = [];
  #nextId = 1;
  /** Largest peak RSS any worker reported (KiB). */
  maxRssKb = 0;

  readonly opts: { timeoutMs: number; heapMb: number; recycleAfter: number };

  constructor(size: number, opts: { timeoutMs: number; heapMb: number; recycleAfter: number }) {
    this.opts = opts;
    for (let i = 0; i < size; i++) this.#slots.push(this.#start());
  }

  #start(): Slot {
    const child = fork(join(root, 'test/helpers/fuzz-worker.ts'), [], {
      execArgv: [`--max-old-space-size=${this.opts.heapMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr!.resume();
    const ready = new Promise<void>((resolve) => {
      child.once('message', () => resolve());
    });
    return { child, ready, busy: false, served: 0 };
  }

  async #acquire(): Promise<Slot> {
    const free = this.#slots.find((s) => !s.busy);
    if (free !== undefined) {
      free.busy = true;
      return free;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(s: Slot): void {
    let slot = s;
    if (s.served >= this.opts.recycleAfter) {
      s.child.kill('SIGKILL');
      slot = this.#start();
      this.#slots[this.#slots.indexOf(s)] = slot;
    }
    const next = this.#waiting.shift();
    if (next !== undefined) {
      slot.busy = true;
      next(slot);
    } else slot.busy = false;
  }

  #replace(s: Slot): Slot {
    s.child.kill('SIGKILL');
    const fresh = this.#start();
    fresh.busy = true;
    this.#slots[this.#slots.indexOf(s)] = fresh;
    return fresh;
  }

  /** Runs the argvs in one worker, in order. */
  async run(argvs: string[][]): Promise<PoolResult> {
    let slot = await this.#acquire();
    await slot.ready;
    const id = this.#nextId++;
    const child = slot.child;
    const outcome = await new Promise<PoolResult>((resolve) => {
      const timer = setTimeout(() => finish({ results: [], hang: true, died: null }), this.opts.timeoutMs);
      const onMessage = (m: WorkerReply): void => {
        if (m.id !== id) return;
        this.maxRssKb = Math.max(this.maxRssKb, m.maxRssKb);
        finish({ results: m.results, hang: false, died: null });
      };
      const onExit = (code: number | null, signal: string | null): void =>
        finish({ results: [], hang: false, died: `worker exited (code ${code}, signal ${signal})` });
      const finish = (r: PoolResult): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(r);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ id, argvs } satisfies WorkerRequest);
    });
    slot.served++;
    if (outcome.hang || outcome.died !== null) slot = this.#replace(slot);
    this.#release(slot);
    return outcome;
  }

  close(): void {
    for (const s of this.#slots) s.child.kill('SIGKILL');
  }
}

/** `node bin/ptrace.js ARGV` as a child process with a time limit and a V8 heap limit; peak RSS from bench/rss-hook.ts. */
export function spawnCli(
  argv: string[],
  opts: { timeoutMs: number; heapMb: number },
): Promise<RunResult & { hang: boolean; rssKb: number }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${opts.heapMb}`, '--import', RSS_HOOK, join(root, 'bin/ptrace.js'), ...argv],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let stdoutBytes = 0;
    let hang = false;
    child.stdout.on('data', (d: Buffer) => (stdoutBytes += d.length));
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 1 << 20) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      hang = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const figures = readFigures(stderr);
      resolve({
        argv,
        code: code ?? 128,
        stderr,
        stdoutBytes,
        crash: signal !== null && !hang ? `killed by ${signal}` : null,
        hang,
        rssKb: figures?.rssKb ?? 0,
      });
    });
  });
}
