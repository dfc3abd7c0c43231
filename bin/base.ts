import { Command, Errors } from '@oclif/core';
import { terminalText } from '../analyze/format.ts';
import { writeError } from '../analyze/output.ts';
import { UserError } from '../formats/errors.ts';

/**
 * Every ptrace command extends this: errors the user caused are printed as a
 * single `ptrace: …` line with a non-zero exit; anything else is a bug and
 * keeps its stack.
 */
export abstract class PtraceCommand extends Command {
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    // A synchronous write to stdout redirected to a file (full disk): one line like any write error.
    if ((err as NodeJS.ErrnoException).syscall === 'write' && typeof (err as NodeJS.ErrnoException).code === 'string') {
      err = writeError('standard output', err);
    }
    if (err instanceof UserError) {
      process.stderr.write(`ptrace: ${terminalText(err.message)}\n`);
      this.exit(err.exitCode);
    }
    if (err instanceof Errors.CLIError && !(err instanceof Errors.ExitError)) {
      process.stderr.write(`ptrace: ${terminalText(oneLine(err.message))}\n`);
      this.exit(2);
    }
    return super.catch(err);
  }
}

/** oclif's parse errors span several lines with a preamble; keep what was wrong. */
function oneLine(message: string): string {
  return message
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^The following errors? occurred:?$/.test(line) && !/^See more help with/.test(line))
    .join('; ');
}
