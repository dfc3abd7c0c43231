// TracePackets → bytes, through protobufjs and the .proto subset kept beside
// this file (perfetto_trace.proto, field numbers from Perfetto's public trace
// format). A Trace is `repeated TracePacket packet = 1`, so Trace messages
// encoded one after the other are one Trace: packets are encoded in chunks
// and each chunk is handed to `put` as soon as it is ready.

import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { TracePacket } from './trace.ts';

export const PROTO_PATH = fileURLToPath(new URL('./perfetto_trace.proto', import.meta.url));

let traceType: protobuf.Type | null = null;

/** perfetto.protos.Trace, parsed from the kept .proto once. */
export function traceMessage(): protobuf.Type {
  traceType ??= protobuf.loadSync(PROTO_PATH).lookupType('perfetto.protos.Trace');
  return traceType;
}

/** Encodes `packets` as a Trace, in chunks of `chunk` packets given to `put`; returns the bytes written. */
export function encodeTrace(packets: Iterable<TracePacket>, put: (bytes: Uint8Array) => void, chunk = 2048): number {
  const Trace = traceMessage();
  let batch: TracePacket[] = [];
  let written = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    const bytes = Trace.encode({ packet: batch }).finish();
    written += bytes.length;
    put(bytes);
    batch = [];
  };
  for (const p of packets) {
    batch.push(p);
    if (batch.length >= chunk) flush();
  }
  flush();
  return written;
}
