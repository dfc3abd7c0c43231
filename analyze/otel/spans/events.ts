// Events on process spans: failed exec attempts and failed file opens, each on
// the image of its process current at the time. docs/otel.md lists the attributes.

import { openFlagsText } from '../../replay/files.ts';
import type { Model } from '../../replay/model.ts';
import type { Attributes } from '../span.ts';
import type { ImageNodes } from './process.ts';

export function addProcessEvents(model: Model, images: ImageNodes): void {
  const { nodeAt } = images;
  for (const f of model.execFailures) {
    const n = nodeAt(f.processId, f.time);
    if (n === undefined) continue;
    const attrs: Attributes = {
      'process.executable.path': f.path,
      'error.type': f.errnoName,
      'ptrace.exec.errno': f.errno,
    };
    if (f.pathTruncated) attrs['ptrace.exec.path_truncated'] = true;
    (n.events ??= []).push({ name: 'exec failed', time: f.time, attributes: attrs });
  }
  for (const o of model.opens) {
    if (o.fd !== null) continue;
    const n = nodeAt(o.processId, o.time);
    if (n === undefined) continue;
    const attrs: Attributes = {
      'file.path': o.resolved ?? o.path,
      'error.type': o.errnoName ?? `E${o.errno}`,
      'ptrace.open.errno': o.errno ?? 0,
      'ptrace.open.flags': openFlagsText(o.flags),
    };
    if (o.resolved === null || o.resolved !== o.path) attrs['ptrace.open.path'] = o.path;
    if (o.dirfd !== -100) attrs['ptrace.open.dirfd'] = o.dirfd;
    if (o.pathTruncated) attrs['ptrace.open.path_truncated'] = true;
    (n.events ??= []).push({ name: 'file open failed', time: o.time, attributes: attrs });
  }
  for (const n of images.nodes)
    if (n.events !== null && n.events.length > 1)
      n.events.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}
