import { Args, Flags } from '@oclif/core';
import { infoReport } from '../../analyze/info/report.ts';
import { renderInfo } from '../../analyze/info/text.ts';
import { printWarnings, writeStdout } from '../../analyze/output.ts';
import { PtraceCommand } from '../base.ts';
import { maskFlags, redactorFor } from '../redaction.ts';

export default class Info extends PtraceCommand {
  static override summary =
    'Describe a raw capture file: header, time span, record counts, losses, file opens, latency histograms, and whether it ended cleanly.';
  static override description =
    `Reads the whole file once (streaming). Warnings about damage (no footer, a cut-short record, garbage after the footer…) go to stderr as "ptrace: warning: …" lines; with --json they are in the "warnings" array instead. The JSON shape is documented in docs/info-json.md.`;
  static override examples = ['<%= config.bin %> info run.raw', '<%= config.bin %> info run.raw --json | jq .time'];
  static override args = {
    file: Args.string({ description: 'raw capture file', required: true }),
  };
  static override flags = {
    json: Flags.boolean({ description: 'print a JSON object (see docs/info-json.md)' }),
    ...maskFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Info);
    const redact = redactorFor(!flags['show-secrets'], flags.rules, 'plain');
    const report = infoReport(args.file);
    if (redact !== null) {
      // The command lines and the host name are the strings of the header that can hold secrets.
      report.capture.captureArgv = redact.argv(report.capture.captureArgv);
      report.capture.commandArgv = redact.argv(report.capture.commandArgv);
      report.capture.traceparent = redact.text(report.capture.traceparent);
      report.host.hostname = redact.text(report.host.hostname);
    }
    if (flags.json) {
      writeStdout(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    printWarnings(report.warnings);
    writeStdout(renderInfo(report));
  }
}
