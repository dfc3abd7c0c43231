import { Args, Flags } from '@oclif/core';
import { painter, stdoutColor } from '../../analyze/format.ts';
import { collectBetweenPhases } from '../../analyze/memory.ts';
import { printWarnings, writeStdout } from '../../analyze/output.ts';
import { PtraceCommand } from '../base.ts';
import { maskFlags, redactorFor } from '../redaction.ts';

export default class Stats extends PtraceCommand {
  static override summary =
    'Diagnose a capture: overview, top commands, slowest processes, the critical path, failures, concurrency, potential issues.';
  static override examples = [
    '<%= config.bin %> stats build.raw',
    '<%= config.bin %> stats build.raw --json | jq .failures',
  ];
  static override args = {
    file: Args.string({ description: 'raw capture file', required: true }),
  };
  static override flags = {
    json: Flags.boolean({ description: 'the report as JSON' }),
    ...maskFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Stats);
    // Loaded here, not at start-up: every ptrace command would pay for the loader and the sections otherwise.
    const [{ load }, { captureInfo }, { Progress }, { computeStats, OpenTally, renderStats }] = await Promise.all([
      import('../../analyze/replay/load.ts'),
      import('../../analyze/replay/capture-info.ts'),
      import('../../analyze/replay/progress.ts'),
      import('../../analyze/stats/stats.ts'),
    ]);
    const redact = redactorFor(!flags['show-secrets'], flags.rules, 'plain');
    // No section shows environments; the opens are tallied as they are read, not stored.
    const opens = new OpenTally();
    const progress = new Progress('reading');
    const { model, warnings } = load(args.file, { env: false, redact, streamOpens: opens.add, progress });
    collectBetweenPhases(); // what the loader left behind
    progress.step('computing');
    const report = computeStats(model, captureInfo(model), { opens });
    progress.done();
    printWarnings(warnings);
    if (flags.json) {
      writeStdout(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    const color = stdoutColor();
    writeStdout(`${renderStats(report, painter(color), color).join('\n')}\n`);
  }
}
