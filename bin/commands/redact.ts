import { closeSync, openSync, statSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { terminalText } from '../../analyze/format.ts';
import {
  outputModeFor,
  printWarnings,
  removeQuietly,
  tempPathFor,
  writeAtomicallyAsync,
} from '../../analyze/output.ts';
import { FS_REASONS, UserError } from '../../formats/errors.ts';
import { compressionForName, openByteStream } from '../../formats/input.ts';
import { RECORD_SIZE } from '../../formats/layout.ts';
import type { RewriteResult } from '../../formats/rewrite.ts';
import { PtraceCommand } from '../base.ts';

export default class Redact extends PtraceCommand {
  static override summary = 'Write a copy of a capture with its secrets replaced, safe to attach to a bug report.';
  static override description =
    `Every secret the rule set finds (docs/secrets.md) in command lines, environments, paths, lookup names and the header is replaced by a marker ‹redacted:RULE:h›, where h is a keyed hash (the key is random per run and not stored): equal secrets stay visibly equal within the file, nobody can test a guess against a marker. The copy is a valid raw file of the same format version that replays like the original apart from the markers; its header says it was redacted (rule set version, options, a count per rule: \`ptrace info\`), and it gets fresh checksums. An OUTPUT ending in .gz or .zst is compressed. The input may itself be compressed. See README "Sharing a capture" for what no tool can promise.`;
  static override examples = [
    '<%= config.bin %> redact build.raw -o build-shared.raw.zst',
    '<%= config.bin %> redact build.raw -o shared.raw --drop-env --anonymize-paths',
    '<%= config.bin %> redact build.raw -o shared.raw --keep CI_JOB_ID --keep RUNNER_NAME --rules my-rules.json',
  ];
  static override args = {
    file: Args.string({ description: 'raw capture file (.raw, .raw.gz, .raw.zst)', required: true }),
  };
  static override flags = {
    output: Flags.string({
      char: 'o',
      description: 'redacted raw file to write (.gz or .zst: compressed)',
      required: true,
    }),
    force: Flags.boolean({ char: 'f', description: 'replace OUTPUT if it exists' }),
    'drop-env': Flags.boolean({ description: 'remove every environment (not only the secrets in them)' }),
    keep: Flags.string({ description: 'an environment variable left as it is (repeatable)', multiple: true }),
    'anonymize-paths': Flags.boolean({
      description:
        'replace home directories and user names consistently (/home/alice → /home/user1, USER=alice → USER=user1)',
    }),
    rules: Flags.string({ description: 'a rules file extending the built-in rules (docs/secrets.md)' }),
    quiet: Flags.boolean({ char: 'q', description: 'no summary on stderr' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Redact);
    const [{ builtinRules, loadRulesFile }, { redactIntoFd, compressFd }] = await Promise.all([
      import('../../analyze/secrets/index.ts'),
      import('../../analyze/redact/file.ts'),
    ]);
    const rules = flags.rules ? loadRulesFile(flags.rules) : builtinRules();
    const out = flags.output;
    const compression = compressionForName(out);
    let input: ReturnType<typeof openByteStream>;
    try {
      input = openByteStream(args.file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      throw new UserError(`cannot read ${args.file}: ${FS_REASONS[code] ?? (err as Error).message} (${code})`);
    }
    const started = performance.now();
    let result: Awaited<ReturnType<typeof redactIntoFd>> | undefined;
    try {
      await writeAtomicallyAsync(out, flags.force, outputModeFor(args.file), async (tmp) => {
        // compressed: the redacted raw file first (its header is completed at the end), then compressed
        const rawPath = compression ? `${tempPathFor(out)}.raw` : tmp;
        const fd = openSync(rawPath, compression ? 'wx+' : 'r+', 0o600);
        try {
          result = redactIntoFd(
            (buf, off, len) => readInput(input, args.file, buf, off, len),
            fd,
            {
              rules,
              dropEnv: flags['drop-env'],
              keep: flags.keep,
              anonymizePaths: flags['anonymize-paths'],
              userRules: flags.rules !== undefined,
            },
            args.file,
          );
          if (compression) {
            const to = openSync(tmp, 'r+');
            try {
              await compressFd(fd, to, compression);
            } finally {
              closeSync(to);
            }
          }
        } finally {
          closeSync(fd);
          if (compression) removeQuietly(rawPath);
        }
      });
    } finally {
      input.close();
    }
    if (result && !result.footer) printWarnings(unfinishedInput(result));
    if (flags.quiet || !result) return;
    const seconds = (performance.now() - started) / 1000;
    const perRule = result.counts.map(([r, n]) => `${r} ${n}`).join(', ');
    const size = statSync(out).size;
    process.stderr.write(
      `${terminalText(
        `ptrace: ${result.replaced} secrets replaced${perRule ? ` (${perRule})` : ''}; ${result.recordsOut} records, ${(size / 1048576).toFixed(1)} MiB written to ${out} in ${seconds.toFixed(2)} s${result.orphans ? `; ${result.orphans} chunks without an owner left out` : ''}`,
      )}\n`,
    );
  }
}

/** What the reader would have said of the input, and what it means for the copy. */
function unfinishedInput(r: RewriteResult): { message: string }[] {
  return [
    ...(r.partialBytes > 0
      ? [{ message: `the last record is cut short: ${r.partialBytes} bytes, expected ${RECORD_SIZE} (left out)` }]
      : []),
    {
      message: `no footer: the capture did not finish (crash, SIGKILL or full disk); ${r.recordsIn} complete records read, and the redacted copy has no footer either`,
    },
  ];
}

function readInput(
  input: ReturnType<typeof openByteStream>,
  name: string,
  buf: Buffer,
  off: number,
  len: number,
): number {
  try {
    return input.read(buf, off, len);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).syscall) throw err;
    throw new UserError(`cannot decompress ${name}: ${(err as Error).message}`);
  }
}
