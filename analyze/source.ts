// Raw file → Model: the common start of every replay command. Streams the
// reader's events straight into the ModelBuilder, so the events of a big file
// are never all held at once. (db.ts adds the in-memory SQLite step.)

import { readCaptureStream } from '../formats/reader.ts';
import type { Capture, ReadWarning } from '../formats/types.ts';
import { terminalText } from './format.ts';
import { ModelBuilder, type Model } from './model.ts';
import { Progress } from './progress.ts';

export function loadModel(path: string, progress = new Progress('reading'), opts: { env?: boolean } = {}): Model {
  const builder = new ModelBuilder(opts);
  let n = 0;
  const rest = readCaptureStream(path, (e) => {
    builder.add(e);
    progress.tick(++n);
  });
  return builder.finish(rest.header, rest.footer, {
    path,
    warnings: rest.warnings,
    recordCounts: rest.recordCounts,
    completeRecords: rest.completeRecords,
  });
}

/** Reads `path` into rows, printing the reader's warnings on stderr. `env: false` skips environments. */
export function readModel(path: string, opts: { env?: boolean } = {}): Model {
  const progress = new Progress('reading');
  const model = loadModel(path, progress, opts);
  progress.done();
  printWarnings(model.warnings);
  return model;
}

export function printWarnings(warnings: readonly ReadWarning[]): void {
  for (const w of warnings) process.stderr.write(`ptrace: warning: ${terminalText(w.message.split('\n')[0]!)}\n`);
}

/** The model of a capture already in memory (tests, tools that read buffers). */
export function modelOfCapture(c: Capture): Model {
  const builder = new ModelBuilder();
  for (const e of c.events) builder.add(e);
  return builder.finish(c.header, c.footer, {
    path: c.path,
    warnings: c.warnings,
    recordCounts: c.recordCounts,
    completeRecords: c.completeRecords,
  });
}
