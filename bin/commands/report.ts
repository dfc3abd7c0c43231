import { Args, Flags } from '@oclif/core';
import { checkOutput, outputModeFor, writeFileAtomic, writeStdout } from '../../analyze/output.ts';
import { PtraceCommand } from '../base.ts';

export default class Report extends PtraceCommand {
  static override summary =
    'Write a self-contained HTML report of a capture: failures, an interactive timeline, the tree and the stats.';
  static override description =
    `One HTML file with everything inlined (no network access: it opens from file:// in any current browser): the capture's header with its losses and truncation, the failures with their ancestry, a zoomable timeline with a row per process (click for argv, cwd, environment, CPU, RSS, opens and connections), the --dedup tree (searchable), and the stats sections (the figures of \`stats --json\` for the same file). Command lines, environment values and the other strings of the capture (paths, names) go through the secret rules (docs/secrets.md) before they are written (--no-redact keeps them as captured). The file is written to a temporary file and renamed into place, with the raw file's read/write permission bits (narrowed by the umask).`;
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
    redact: Flags.boolean({
      description: 'mask secrets in command lines and environments (--no-redact: as captured)',
      default: true,
      allowNo: true,
    }),
    rules: Flags.string({ description: 'more secret rules from FILE (docs/secrets.md), on top of the built-in ones' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Report);
    if (flags.output !== '-') checkOutput(flags.output, flags.force);
    // Loaded here, not at start-up: every ptrace command would pay for SQLite otherwise.
    const [{ generateReport }, { builtinRules, loadRulesFile }] = await Promise.all([
      import('../../analyze/report/generate.ts'),
      import('../../analyze/secrets/index.ts'),
    ]);
    const rules = flags.rules === undefined ? builtinRules() : loadRulesFile(flags.rules);
    const { html } = await generateReport(args.file, {
      rules: flags.redact ? rules : null,
      generatedBy: `ptrace ${this.config.version} report`,
    });
    if (flags.output === '-') writeStdout(html);
    else writeFileAtomic(flags.output, flags.force, outputModeFor(args.file), (put) => put(html));
  }
}
