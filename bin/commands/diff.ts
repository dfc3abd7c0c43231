import { Args, Flags } from '@oclif/core';
import { compareRuns, type DiffReport, hasDifferences, SECTIONS, type Section } from '../../analyze/diff/diff.ts';
import { diffDocument } from '../../analyze/diff/json.ts';
import { renderDiffText } from '../../analyze/diff/render.ts';
import { loadRun } from '../../analyze/diff/side.ts';
import { painter, stdoutColor } from '../../analyze/format.ts';
import { collectBetweenPhases } from '../../analyze/memory.ts';
import { printWarnings, writeStdout } from '../../analyze/output.ts';
import { Progress } from '../../analyze/replay/progress.ts';
import { matchRegex } from '../../analyze/tree/build.ts';
import { jsonChunks } from '../../analyze/tree/json-text.ts';
import { PtraceCommand } from '../base.ts';
import { maskFlags, redactorFor } from '../redaction.ts';

export default class Diff extends PtraceCommand {
  static override summary =
    'Compare two captures: what changed between a run that worked (A) and one that did not (B).';
  static override description =
    'Processes are matched as trees (by program and normalised command line under the matched parent, not by pid). Reported, most important first: the first divergence in time (the earliest image whose outcome differs: exit code, signal, failed exec) with its ancestry in both runs; processes only in A or B (grouped); commands whose argv, cwd, uid or executable changed (a word diff: [-removed-] {+added+}); environment differences (once, at the highest image; secrets masked); files found in A that fail in B; failed connects, DNS answers and peers that differ; duration, CPU and max RSS per command beyond noise thresholds. Exit status as diff(1): 0 no differences, 1 differences, 2 trouble. --json: docs/diff.md.';
  static override examples = [
    '<%= config.bin %> diff good.raw bad.raw',
    '<%= config.bin %> diff good.raw bad.raw --only failures,env',
    "<%= config.bin %> diff good.raw bad.raw --match 'gcc|ld' --json",
  ];
  static override args = {
    a: Args.string({ description: 'raw capture of the run that worked (A)', required: true }),
    b: Args.string({ description: 'raw capture of the run to compare (B)', required: true }),
  };
  static override flags = {
    pid: Flags.integer({
      description: 'only the subtree of this pid in either run (with its ancestors and their counterparts)',
      min: 0,
    }),
    match: Flags.string({ description: 'only images whose command line or exe matches REGEX in either run' }),
    depth: Flags.integer({ description: 'only N levels below the roots', min: 0 }),
    only: Flags.string({
      description: 'only these sections (repeatable, or comma-separated)',
      options: [...SECTIONS],
      multiple: true,
      // `--only env a.raw b.raw` must leave the files alone: one value per --only (or a,b,c).
      multipleNonGreedy: true,
      delimiter: ',',
    }),
    full: Flags.boolean({ description: 'whole command lines' }),
    json: Flags.boolean({ description: 'JSON (docs/diff.md)' }),
    ...maskFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Diff);
    const only = (flags.only ?? []) as Section[];
    const filters = {
      pid: flags.pid,
      match: flags.match === undefined ? undefined : matchRegex(flags.match),
      depth: flags.depth,
    };
    const env = only.length === 0 || only.includes('env');
    // The runs are compared as captured (a changed secret is a difference); what is shown is masked
    // by the shared rules unless --show-secrets (plain markers: the same report every time).
    const redactor = redactorFor(!flags['show-secrets'], flags.rules, 'plain');
    const progress = new Progress('reading');
    let report: DiffReport;
    try {
      const a = loadRun(args.a, 'A', { env, progress });
      printWarnings(a.model.warnings.map((w) => ({ message: `A: ${w.message}` })));
      const b = loadRun(args.b, 'B', { env, progress });
      printWarnings(b.model.warnings.map((w) => ({ message: `B: ${w.message}` })));
      progress.done();
      // Once, before the comparison: between the loads, B's own allocations collect what A left (a full
      // collection there cost ~0.4 s of CPU on two 100,000-process files for ~30 MB less peak).
      collectBetweenPhases();
      report = compareRuns(a, b, {
        filters,
        only,
        redact: redactor === null ? (_name, value) => value : (name, value) => redactor.envValue(name, value),
        redactArgv: redactor === null ? undefined : (argv) => redactor.argv(argv),
      });
    } finally {
      progress.done();
    }
    const different = hasDifferences(report);
    if (flags.json) {
      for (const chunk of jsonChunks(diffDocument(report, different))) writeStdout(chunk);
      writeStdout('\n');
    } else {
      const lines = renderDiffText(report, { paint: painter(stdoutColor()), full: flags.full });
      writeStdout(`${lines.join('\n')}\n`);
    }
    // Not this.exit(): it ends the process before a piped stdout is drained.
    if (different) process.exitCode = 1;
  }
}
