// The capture sink (capture/sink.c): started by the capture tool beside the
// traced command, with the raw records on stdin (a pipe), the output on fd 3
// and a scratch file on fd 4 (both unnamed: the tool names the output once
// this process has succeeded). Redacts (--redact) and/or compresses
// (--compress gzip|zstd) the stream, so that neither the secrets nor an
// uncompressed copy reach the disk. Not a command: run by the tool only.

import { readSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compressFd, compressStream, redactIntoFd } from '../analyze/redact/file.ts';
import { builtinRules, loadRulesFile } from '../analyze/secrets/index.ts';
import type { Compression } from '../formats/input.ts';

const OUTPUT_FD = 3;
const SCRATCH_FD = 4;

const { values } = parseArgs({
  options: {
    compress: { type: 'string', default: 'none' },
    name: { type: 'string', default: 'output' },
    quiet: { type: 'boolean', default: false },
    redact: { type: 'boolean', default: false },
    'anonymize-paths': { type: 'boolean', default: false },
    rules: { type: 'string' },
    keep: { type: 'string', multiple: true, default: [] },
  },
});

/** stdin, read in order; EOF when the capture tool closes its end (or dies). */
function readStdin(buf: Buffer, off: number, len: number): number {
  for (;;) {
    try {
      return readSync(0, buf, off, len, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((err as NodeJS.ErrnoException).code === 'EOF') return 0;
      throw err;
    }
  }
}

async function main(): Promise<void> {
  const compression = values.compress === 'none' ? null : (values.compress as Compression);
  // Nothing at all: the capture failed to start (it said why); nothing to write either.
  const first = Buffer.alloc(1);
  if (readStdin(first, 0, 1) === 0) return;
  let pending: Buffer | null = first;
  const read = (buf: Buffer, off: number, len: number): number => {
    if (pending && len > 0) {
      buf[off] = pending[0]!;
      pending = null;
      return 1 + (len > 1 ? readStdin(buf, off + 1, len - 1) : 0);
    }
    return readStdin(buf, off, len);
  };
  if (!values.redact) {
    if (compression) await compressStream(read, OUTPUT_FD, compression);
    return;
  }
  const rules = values.rules ? loadRulesFile(values.rules) : builtinRules();
  const r = redactIntoFd(
    read,
    compression ? SCRATCH_FD : OUTPUT_FD,
    {
      rules,
      keep: values.keep,
      anonymizePaths: values['anonymize-paths'],
      userRules: values.rules !== undefined,
      atCapture: true,
    },
    values.name,
  );
  if (compression) await compressFd(SCRATCH_FD, OUTPUT_FD, compression);
  if (!values.quiet) {
    const perRule = r.counts.map(([rule, n]) => `${rule} ${n}`).join(', ');
    process.stderr.write(`ptrace: ${r.replaced} secrets replaced${perRule ? ` (${perRule})` : ''}\n`);
  }
}

main().catch((err: unknown) => {
  const e = err as Error & { code?: string };
  process.stderr.write(`ptrace: writing ${values.name}: ${e.message.split('\n')[0]}${e.code ? ` (${e.code})` : ''}\n`);
  process.exitCode = 1;
});
