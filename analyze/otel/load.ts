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
}

export function loadCapture(path: string, progress = new Progress('reading')): LoadedCapture {
  const builder = new ModelBuilder();
  let n = 0;
  const rest = readCaptureStream(path, (e) => {
    builder.add(e);
    progress.tick(++n);
  });
  const model = builder.finish(rest.header, rest.footer, {
    path,
    warnings: rest.warnings,
    recordCounts: rest.recordCounts,
    completeRecords: rest.completeRecords,
  });
  progress.done();
  return { header: rest.header, footer: rest.footer, model, warnings: rest.warnings };
}
