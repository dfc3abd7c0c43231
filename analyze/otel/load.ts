// Raw file → the model and the header/footer it came with (loadModel in
// analyze/source.ts keeps only the model; the span model also needs the
// header's identity, traceparent and host fields).

import { readCaptureStream } from '../../formats/reader.ts';
import type { CaptureHeader, FooterInfo, ReadWarning } from '../../formats/types.ts';
import { ModelBuilder, type Model } from '../model.ts';
import { Progress } from '../progress.ts';

export interface LoadedCapture {
  header: CaptureHeader;
  footer: FooterInfo | null;
  model: Model;
  warnings: ReadWarning[];
  /** TRACEPARENT in the environment of the root process's first exec ('' when absent, null when unknown). */
  rootTraceparent: string | null;
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
 * `env: false` skips the model's environments (faster; --env and -a over
 * `env` need them). The root's TRACEPARENT is picked up either way: from the
 * first exec of each process that no fork record announced (the root, in
 * practice the first exec of the file).
 */
export function loadCapture(path: string, opts: { env?: boolean } = {}, progress = new Progress('reading')): LoadedCapture {
  const builder = new ModelBuilder({ env: opts.env ?? true });
  const forked = new Set<number>();
  const firstExecTp = new Map<number, string | null>();
  let n = 0;
  const rest = readCaptureStream(path, (e) => {
    builder.add(e);
    if (e.kind === 'fork') forked.add(e.child.pid);
    else if (e.kind === 'exec' && !forked.has(e.process.pid) && !firstExecTp.has(e.process.pid)) {
      firstExecTp.set(e.process.pid, e.env === null ? null : traceparentOf(e.env));
    }
    progress.tick(++n);
  });
  const model = builder.finish(rest.header, rest.footer, {
    path,
    warnings: rest.warnings,
    recordCounts: rest.recordCounts,
    completeRecords: rest.completeRecords,
  });
  progress.done();
  const rootTraceparent = firstExecTp.get(rest.header.rootPid) ?? null;
  return { header: rest.header, footer: rest.footer, model, warnings: rest.warnings, rootTraceparent };
}
