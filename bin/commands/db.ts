import { Args, Flags } from '@oclif/core';
import { checkOutput, outputModeFor, printWarnings } from '../../analyze/output.ts';
import { PtraceCommand } from '../base.ts';

export default class Db extends PtraceCommand {
  static override summary = 'Write a capture as a SQLite database (schema: analyze/SCHEMA.md).';
  static override description =
    `The database opens in the stock sqlite3 shell. It is written to a temporary file next to OUTPUT and renamed into place, so OUTPUT is never half-written; it gets the raw file's read/write permission bits (narrowed by the umask), since it holds the same environments.`;
  static override examples = [
    '<%= config.bin %> db build.raw -o build.sqlite',
    'sqlite3 build.sqlite "SELECT exe, count(*) FROM execs GROUP BY exe ORDER BY 2 DESC LIMIT 10"',
  ];
  static override args = {
    file: Args.string({ description: 'raw capture file', required: true }),
  };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'SQLite file to write', required: true }),
    force: Flags.boolean({ char: 'f', description: 'replace OUTPUT if it exists' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Db);
    checkOutput(flags.output, flags.force);
    // Loaded here, not at start-up: every ptrace command would pay for SQLite otherwise.
    const { writeDatabaseFile } = await import('../../analyze/db/database.ts');
    writeDatabaseFile(args.file, flags.output, flags.force, outputModeFor(args.file), ({ warnings }) =>
      printWarnings(warnings),
    );
  }
}
