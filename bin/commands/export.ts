import { Args, Flags } from '@oclif/core';
import { collectBetweenPhases } from '../../analyze/memory.ts';
import { checkOutput, secretsAwareMode, writeFileAtomic, writeStdout } from '../../analyze/output.ts';
import { UserError } from '../../formats/errors.ts';
import { PtraceCommand } from '../base.ts';
import { redactFlags, redactorFor } from '../redaction.ts';

export default class Export extends PtraceCommand {
  static override summary = 'Export processes with their execs as an Arrow IPC file or JSON lines.';
  static override description =
    `One row per process; its execs, failed exec attempts, TCP connections, name lookups and DNS queries are nested lists (columns: analyze/SCHEMA.md, "Export"). Whether the capture is whole (footer, records lost per category) is in the Arrow schema metadata and in the first JSON line (a header). Files are written to a temporary file and renamed into place, with the raw file's read/write permission bits (narrowed by the umask). Secrets in command lines, paths and names are replaced by ‹redacted:RULE:h› markers unless --no-redact (docs/secrets.md).`;
  static override examples = [
    '<%= config.bin %> export build.raw --format arrow -o build.arrow',
    "<%= config.bin %> export build.raw --format jsonl | jq -c 'select(.exit_code != 0)'",
  ];
  static override args = {
    file: Args.string({ description: 'raw capture file', required: true }),
  };
  static override flags = {
    format: Flags.string({ description: 'output format', options: ['arrow', 'jsonl'], required: true }),
    output: Flags.string({ char: 'o', description: 'file to write, or - for stdout (jsonl default: stdout)' }),
    force: Flags.boolean({ char: 'f', description: 'replace OUTPUT if it exists' }),
    ...redactFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Export);
    const out = flags.output ?? (flags.format === 'jsonl' ? '-' : undefined);
    if (out === undefined) throw new UserError('--format arrow needs -o FILE (or -o - for stdout)');
    if (out === '-' && flags.format === 'arrow' && process.stdout.isTTY) {
      throw new UserError('refusing to write Arrow (binary) to a terminal: use -o FILE');
    }
    if (out !== '-') checkOutput(out, flags.force);
    const redact = redactorFor(flags.redact, flags.rules, 'keyed');

    // Loaded here, not at start-up: every ptrace command would pay for SQLite and Arrow otherwise.
    const [{ loadDatabase }, { exportCompleteness, jsonLines, readExportRows, toArrowIpc }] = await Promise.all([
      import('../../analyze/db/database.ts'),
      import('../../analyze/export/export.ts'),
    ]);
    const { db, capture } = loadDatabase(args.file, { env: false, redact }); // environments are not exported
    collectBetweenPhases(); // the rows are in SQLite now
    const rows = readExportRows(db);
    const completeness = exportCompleteness(capture);
    db.close();

    if (flags.format === 'arrow') {
      const bytes = toArrowIpc(rows, completeness);
      if (out === '-') process.stdout.write(bytes);
      else writeFileAtomic(out, flags.force, secretsAwareMode(args.file, out, redact !== null), (put) => put(bytes));
      return;
    }
    if (out === '-') {
      for (const line of jsonLines(rows, completeness)) writeStdout(`${line}\n`);
      return;
    }
    writeFileAtomic(out, flags.force, secretsAwareMode(args.file, out, redact !== null), (put) => {
      for (const line of jsonLines(rows, completeness)) put(`${line}\n`);
    });
  }
}
