import { Args, Flags } from '@oclif/core';
import { checkOutput, printWarnings, secretsAwareMode } from '../../analyze/output.ts';
import { PtraceCommand } from '../base.ts';
import { redactFlags, redactorFor } from '../redaction.ts';

export default class Db extends PtraceCommand {
  static override summary = 'Write a capture as a SQLite database (schema: analyze/SCHEMA.md).';
  static override description =
    `The database opens in the stock sqlite3 shell. It is written to a temporary file next to OUTPUT and renamed into place, so OUTPUT is never half-written. Secrets (in command lines, environment values, paths, names) are replaced by ‹redacted:RULE:h› markers (docs/secrets.md) and the file gets the raw file's read/write permission bits (narrowed by the umask). With --no-redact it holds everything as captured, so it is written readable by you only (0600), and a line on stderr says so.`;
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
    ...redactFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Db);
    checkOutput(flags.output, flags.force);
    const redact = redactorFor(flags.redact, flags.rules, 'keyed');
    // Loaded here, not at start-up: every ptrace command would pay for SQLite otherwise.
    const { writeDatabaseFile } = await import('../../analyze/db/database.ts');
    const mode = secretsAwareMode(args.file, flags.output, redact !== null);
    writeDatabaseFile(args.file, flags.output, flags.force, mode, redact, ({ warnings }) => printWarnings(warnings));
  }
}
