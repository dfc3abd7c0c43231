import { Command, Errors } from '@oclif/core';
import { UserError } from '../formats/errors.ts';

/**
 * Every ptrace command extends this: errors the user caused are printed as a
 * single `ptrace: …` line with a non-zero exit; anything else is a bug and
 * keeps its stack.
 */
export abstract class PtraceCommand extends Command {
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof UserError) {
      process.stderr.write(`ptrace: ${err.message}\n`);
      this.exit(err.exitCode);
    }
    if (err instanceof Errors.CLIError && !(err instanceof Errors.ExitError)) {
      process.stderr.write(`ptrace: ${err.message.split('\n')[0]}\n`);
      this.exit(2);
    }
    return super.catch(err);
  }
}
