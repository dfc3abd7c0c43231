// Raw file → the model, with the typed header and footer it came with: the
// one loader every replay command starts from. Streams the reader's events
// straight into the ModelBuilder, so the events of a big file are never all
// held at once. (db/database.ts adds the in-memory SQLite step.)

import { readCaptureStream } from '../../formats/reader.ts';
import type { Capture, CaptureHeader, FooterInfo, ReadWarning } from '../../formats/types.ts';
import { redactModel, redactOpen } from '../secrets/model.ts';
import type { Redactor } from '../secrets/redactor.ts';
import { type Model, ModelBuilder, type ModelOptions, type OpenRow } from './model.ts';
import { Progress } from './progress.ts';

export interface LoadedCapture {
  header: CaptureHeader;
  footer: FooterInfo | null;
  warnings: ReadWarning[];
  model: Model;
  /** TRACEPARENT in the environment of the root process's first exec ('' when absent, null when unknown). */
  rootTraceparent: string | null;
}

export interface LoadOptions extends ModelOptions {
  /** The caller's progress line, left running for its next step; without it, load shows and ends its own. */
  progress?: Progress;
  /** Secrets in the model's strings replaced by this redactor's markers (header and model alike); null or absent: as captured. */
  redact?: Redactor | null;
  /** Called with the model as soon as the file is read, before its secrets are replaced: what was streamed is known then. */
  onRead?: (model: Model) => void;
}

const TP = Buffer.from('TRACEPARENT=');

/** The value of TRACEPARENT in an exec's environment strings (the first one wins, as getenv does). */
function traceparentOf(env: readonly Buffer[]): string {
  for (const b of env) {
    if (b.length >= TP.length && b.compare(TP, 0, TP.length, 0, TP.length) === 0) return b.toString('utf8', TP.length);
  }
  return '';
}

/**
 * Reads `path` into the model. The reader's warnings are returned, not
 * printed (output.ts's printWarnings). The root's TRACEPARENT is picked up whether or not
 * environments are kept: from the first exec of each process that no fork
 * record announced (the root, in practice the first exec of the file).
 */
export function load(path: string, opts: LoadOptions = {}): LoadedCapture {
  const progress = opts.progress ?? new Progress('reading');
  const r = opts.redact ?? null;
  const sink = opts.streamOpens;
  // Streamed open rows never pass through redactModel: each is redacted on its way out.
  const streamOpens = sink && r !== null ? (row: OpenRow) => sink(redactOpen(row, r)) : sink;
  const builder = new ModelBuilder({
    env: opts.env ?? true,
    ...(streamOpens ? { streamOpens } : {}),
  });
  const forked = new Set<number>();
  const firstExecTp = new Map<number, string | null>();
  let n = 0;
  const rest = readCaptureStream(
    path,
    (e) => {
      builder.add(e);
      if (e.kind === 'fork') forked.add(e.child.pid);
      else if (e.kind === 'exec' && !forked.has(e.process.pid) && !firstExecTp.has(e.process.pid)) {
        firstExecTp.set(e.process.pid, e.env === null ? null : traceparentOf(e.env));
      }
      progress.tick(++n);
    },
    { onHeader: (h) => builder.begin(h) },
  );
  const model = builder.finish(rest.header, rest.footer, {
    path,
    warnings: rest.warnings,
    recordCounts: rest.recordCounts,
    completeRecords: rest.completeRecords,
  });
  opts.onRead?.(model);
  if (opts.progress === undefined) progress.done();
  const tp = firstExecTp.get(rest.header.rootPid) ?? null;
  if (r === null)
    return { header: rest.header, footer: rest.footer, warnings: rest.warnings, model, rootTraceparent: tp };
  const redacted = redactModel(model, r);
  return {
    header: redacted.source.header,
    footer: rest.footer,
    warnings: rest.warnings,
    model: redacted,
    rootTraceparent: tp === null ? null : r.text(tp),
  };
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
