import { Args, Flags } from '@oclif/core';
import { painter, parseDuration, stdoutColor } from '../../analyze/format.ts';
import { collectBetweenPhases } from '../../analyze/memory.ts';
import { printWarnings, writeStdout } from '../../analyze/output.ts';
import {
  captureInfo,
  categoryIncomplete,
  envsOfModel,
  lossWarning,
  processesIncomplete,
} from '../../analyze/replay/capture-info.ts';
import { load } from '../../analyze/replay/load.ts';
import { buildTree, dedupTree, filterTree, plainItems, type TreeFilters } from '../../analyze/tree/build.ts';
import { envIds } from '../../analyze/tree/display.ts';
import { treeDocument } from '../../analyze/tree/json.ts';
import { jsonChunks } from '../../analyze/tree/json-text.ts';
import { renderTreeText } from '../../analyze/tree/text.ts';
import { UserError } from '../../formats/errors.ts';
import { PtraceCommand } from '../base.ts';

export default class Tree extends PtraceCommand {
  static override summary = "Show the process tree of a capture: one line per exec'd image.";
  static override description =
    `Each line: the command line (shortened; --full for all of it), then (pid, duration, status). Non-zero exits and signals stand out. "(fork of X)" is a process that forked without exec; "↳" marks an image that replaced the one above it in the same process; "✗ exec" lines are failed exec attempts. --files lists file opens ("· open PATH (flags)", "✗ open PATH: ERRNO"); --resources adds CPU time (scheduler runtime) and max RSS, or "usage not recorded". --net lists name lookups ("? localhost → 127.0.0.1, ::1 (0.6ms)", "✗ lookup foo.invalid: EAI_NONAME"), DNS queries on the wire ("? dns A example.com → 93.184.216.34 (0.4ms, 127.0.0.53)", "✗ dns AAAA nope.test: NXDOMAIN (after 0.2ms, 127.0.0.53)") and TCP connections ("→ 10.1.2.3:443 (client, 12ms connect, 1.0 KiB out / 5.0 KiB in)", "→ localhost (127.0.0.1):8080 …" when a lookup gave the address, "← 127.0.0.1:50000 on :8080 (server, …)", "✗ connect ::1:8766: ECONNREFUSED"). Output is sorted by start time, then pid. Indentation stops growing after 64 levels: deeper lines start with "[depth N]". When the capture lost records, the first line says how many and of what ("⚠ … records lost …"), counts that may be too low read "×≥N" or "+≥N later", and a path whose bytes were lost reads "(path lost)". --json: docs/tree-json.md.`;
  static override examples = [
    '<%= config.bin %> tree build.raw --dedup',
    '<%= config.bin %> tree build.raw --failed',
    "<%= config.bin %> tree build.raw --match 'gcc|clang' --min-duration 1s",
  ];
  static override args = {
    file: Args.string({ description: 'raw capture file', required: true }),
  };
  static override flags = {
    dedup: Flags.boolean({
      description: 'collapse repeated sibling subtrees (never hiding a failure) and repeated values',
    }),
    full: Flags.boolean({ description: 'whole command lines' }),
    pid: Flags.integer({ description: 'only the subtree of this pid (with its ancestors)', min: 0 }),
    match: Flags.string({ description: 'only images whose command line or exe matches REGEX (with their ancestors)' }),
    failed: Flags.boolean({
      description:
        'only branches with a failure (non-zero exit or signal; with --net also a failed connect, name lookup or DNS query)',
    }),
    depth: Flags.integer({ description: 'show N levels below the roots', min: 0 }),
    'min-duration': Flags.string({
      description:
        'hide images shorter than DUR (e.g. 10ms, 1.5s) unless something below is shown; failures always shown',
    }),
    env: Flags.boolean({ description: 'show environments (secret-looking values masked)' }),
    files: Flags.boolean({
      description: 'show file opens under each image (paths resolved; failed opens with their errno, always shown)',
    }),
    resources: Flags.boolean({ description: 'add CPU time and max RSS to each process (format 1.1 captures)' }),
    net: Flags.boolean({
      description:
        'show name lookups (format 1.3), DNS queries (format 1.4) and TCP connections (format 1.2) under each image (with --dedup one line per name and per peer; failures always shown)',
    }),
    json: Flags.boolean({ description: 'JSON (docs/tree-json.md)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Tree);
    const filters: TreeFilters = {
      pid: flags.pid,
      match: flags.match === undefined ? undefined : regex(flags.match),
      failed: flags.failed,
      depth: flags.depth,
      minDuration: flags['min-duration'] === undefined ? undefined : parseDuration(flags['min-duration']),
    };

    const { model, warnings } = load(args.file, { env: flags.env === true });
    printWarnings(warnings); // environments only with --env
    collectBetweenPhases();
    const capture = captureInfo(model);
    const roots = filterTree(
      buildTree({
        capture,
        processes: model.processes,
        execs: model.execs,
        execFailures: model.execFailures,
        opens: flags.files ? model.opens : undefined,
        resources: flags.resources ? model.resources : undefined,
        connections: flags.net ? model.connections : undefined,
        lookups: flags.net ? model.dnsLookups : undefined,
        queries: flags.net ? model.dnsQueries : undefined,
      }),
      filters,
    );
    const items = flags.dedup ? dedupTree(roots) : plainItems(roots);
    const envs = flags.env ? envsOfModel(model, envIds(items)) : null;

    if (flags.json) {
      const doc = treeDocument(capture, items, {
        envs,
        dedup: flags.dedup,
        full: flags.full,
        filters,
        files: flags.files,
        resources: flags.resources,
        net: flags.net,
      });
      // Iterative and indentation-bounded: deep trees neither overflow the stack nor grow quadratically.
      for (const chunk of jsonChunks(doc)) writeStdout(chunk);
      writeStdout('\n');
      return;
    }
    const lines = renderTreeText(items, {
      full: flags.full,
      width: process.stdout.isTTY ? Math.max(60, process.stdout.columns || 120) : 120,
      paint: painter(stdoutColor()),
      envs,
      dedup: flags.dedup,
      files: flags.files,
      resources: flags.resources,
      net: flags.net,
      incomplete: {
        processes: processesIncomplete(capture),
        files: categoryIncomplete(capture, 'files'),
        execFailed: categoryIncomplete(capture, 'exec_failed'),
        net: categoryIncomplete(capture, 'net'),
        dns: categoryIncomplete(capture, 'dns'),
      },
    });
    if (lines.length === 0) {
      lines.push(model.processes.length === 0 ? '(no processes in this capture)' : '(no process matches)');
    }
    const loss = lossWarning(capture);
    if (loss !== null) lines.unshift(painter(stdoutColor())('yellow', `⚠ ${loss.message}`));
    writeStdout(`${lines.join('\n')}\n`);
  }
}

function regex(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new UserError(`bad --match regex: ${(err as Error).message}`);
  }
}
