import { Args, Flags } from '@oclif/core';
import { checkOutput, outputModeFor, writeFileAtomic, writeStdout } from '../../analyze/output.ts';
import { PtraceCommand } from '../base.ts';
import { redactFlags, redactorFor } from '../redaction.ts';

export default class Report extends PtraceCommand {
  static override summary =
    'Write a self-contained HTML report of a capture: failures, an interactive timeline, the tree and the stats.';
  static override description =
    `One HTML file with everything inlined (no network access: it opens from file:// in any current browser): the capture's header with its losses and truncation, the failures with their ancestry, a zoomable timeline with a row per process (click for argv, cwd, environment, CPU, RSS, opens and connections), the critical path, the --dedup tree (searchable), and the stats sections (the figures of \`stats --json\` for the same file). The file is meant to be shared: command lines, environment values and the capture's other strings go through the secret rules (docs/secrets.md) first, secrets replaced by ‹redacted:RULE:h› markers (--no-redact keeps them as captured). It is written to a temporary file and renamed into place, with the raw file's read/write permission bits (narrowed by the umask).`;
  static override examples = [
    '<%= config.bin %> report build.raw -o build.html',
    '<%= config.bin %> report build.raw -o - > build.html',
  ];
  static override args = {
    file: Args.string({ description: 'raw capture file', required: true }),
  };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'HTML file to write, or - for stdout', required: true }),
    force: Flags.boolean({ char: 'f', description: 'replace OUTPUT if it exists' }),
    ...redactFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Report);
    if (flags.output !== '-') checkOutput(flags.output, flags.force);
    const redactor = redactorFor(flags.redact, flags.rules, 'keyed');
    // Loaded here, not at start-up: every ptrace command would pay for SQLite otherwise.
    const { generateReport } = await import('../../analyze/report/generate.ts');
    const { html } = await generateReport(args.file, {
      redactor,
      generatedBy: `ptrace ${this.config.version} report`,
    });
    if (flags.output === '-') writeStdout(html);
    else writeFileAtomic(flags.output, flags.force, outputModeFor(args.file), (put) => put(html));
  }
}
