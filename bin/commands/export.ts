import { Args, Flags } from '@oclif/core';
import { collectBetweenPhases } from '../../analyze/memory.ts';
import { checkOutput, printWarnings, secretsAwareMode, writeFileAtomic, writeStdout } from '../../analyze/output.ts';
import type { Redactor } from '../../analyze/secrets/index.ts';
import { UserError } from '../../formats/errors.ts';
import { PtraceCommand } from '../base.ts';
import { redactFlags, redactorFor } from '../redaction.ts';

export default class Export extends PtraceCommand {
  static override summary =
    'Export processes with their execs as an Arrow IPC file or JSON lines, or the capture as a Perfetto trace.';
  static override description =
    `One row per process; its execs, failed exec attempts, TCP connections, name lookups and DNS queries are nested lists (columns: analyze/SCHEMA.md, "Export"). Whether the capture is whole (footer, records lost per category) is in the Arrow schema metadata and in the first JSON line (a header). \`--format perfetto\` writes a Perfetto protobuf trace (docs/perfetto.md) to open in ui.perfetto.dev. Files are written to a temporary file and renamed into place, with the raw file's read/write permission bits (narrowed by the umask). Secrets in command lines, paths and names are replaced by ‹redacted:RULE:h› markers unless --no-redact (docs/secrets.md).`;
  static override examples = [
    '<%= config.bin %> export build.raw --format arrow -o build.arrow',
    "<%= config.bin %> export build.raw --format jsonl | jq -c 'select(.exit_code != 0)'",
    '<%= config.bin %> export build.raw --format perfetto -o build.pftrace',
  ];
  static override args = {
    file: Args.string({ description: 'raw capture file', required: true }),
  };
  static override flags = {
    format: Flags.string({ description: 'output format', options: ['arrow', 'jsonl', 'perfetto'], required: true }),
    output: Flags.string({ char: 'o', description: 'file to write, or - for stdout (jsonl default: stdout)' }),
    force: Flags.boolean({ char: 'f', description: 'replace OUTPUT if it exists' }),
    ...redactFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Export);
    const out = flags.output ?? (flags.format === 'jsonl' ? '-' : undefined);
    if (out === undefined) throw new UserError(`--format ${flags.format} needs -o FILE (or -o - for stdout)`);
    if (out === '-' && flags.format !== 'jsonl' && process.stdout.isTTY) {
      throw new UserError(
        `refusing to write ${flags.format === 'arrow' ? 'Arrow' : 'Perfetto'} (binary) to a terminal: use -o FILE`,
      );
    }
    if (out !== '-') checkOutput(out, flags.force);
    const redact = redactorFor(flags.redact, flags.rules, 'keyed');
    if (flags.format === 'perfetto') {
      await exportPerfetto(args.file, out, flags.force, redact);
      return;
    }

    // Loaded here, not at start-up: every ptrace command would pay for the loader and Arrow otherwise.
    const [{ load }, { captureInfo }, { exportCompleteness, exportRows, jsonLines, toArrowIpc }] = await Promise.all([
      import('../../analyze/replay/load.ts'),
      import('../../analyze/replay/capture-info.ts'),
      import('../../analyze/export/export.ts'),
    ]);
    const { model, warnings } = load(args.file, { env: false, redact }); // environments are not exported
    printWarnings(warnings);
    collectBetweenPhases(); // what the loader left behind
    const rows = exportRows(model);
    const completeness = exportCompleteness(captureInfo(model));

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

/** `export --format perfetto`: the (redacted) model straight to the trace, with no SQLite step. */
async function exportPerfetto(input: string, out: string, force: boolean, redact: Redactor | null): Promise<void> {
  const [{ load }, { captureInfo }, { perfettoPackets }, { encodeTrace }] = await Promise.all([
    import('../../analyze/replay/load.ts'),
    import('../../analyze/replay/capture-info.ts'),
    import('../../analyze/export/perfetto/trace.ts'),
    import('../../analyze/export/perfetto/encode.ts'),
  ]);
  const { model } = load(input, { env: false, redact }); // environments are not exported
  printWarnings(model.warnings);
  const packets = perfettoPackets({ model, capture: captureInfo(model) });
  if (out === '-') {
    encodeTrace(packets, (bytes) => process.stdout.write(bytes));
    return;
  }
  writeFileAtomic(out, force, secretsAwareMode(input, out, redact !== null), (put) => encodeTrace(packets, put));
}
