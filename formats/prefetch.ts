// Reading a big file one chunk ahead, on a worker thread: the consumer
// decodes chunk k while the worker copies chunk k + 1 out of the page cache
// (on this 2-core machine the read() calls of a 500 MiB capture cost about
// 0.4 s of a single thread). The API stays synchronous: the consumer blocks
// on an Atomics wait only when it catches up with the reads. The same slots
// carry the decompressed bytes of a .raw.gz or .raw.zst file
// (DecompressingReader): the worker runs the zlib stream.

import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

/** Slot states in the control array. */
const EMPTY = 0;
const FULL = 1;
const DONE = 2;
const FAILED = 3;

// The worker: fills the slots in turn with positional reads until the end of
// the file, a short read, or an error (sent on \`errors\` before the slot is
// marked failed, so the consumer finds it there without waiting).
const WORKER = `
const { workerData } = require('node:worker_threads');
const { readSync } = require('node:fs');
const { fd, position, slotSize, slots, data, control, errors } = workerData;
const state = new Int32Array(control);
let pos = position;
for (let i = 0; ; i = (i + 1) % slots) {
  while (Atomics.load(state, 2 * i) !== ${EMPTY}) Atomics.wait(state, 2 * i, Atomics.load(state, 2 * i));
  if (Atomics.load(state, 2 * slots) === 1) break;
  const slot = new Uint8Array(data, i * slotSize, slotSize);
  let got = 0;
  try {
    for (let n; got < slotSize && (n = readSync(fd, slot, got, slotSize - got, pos + got)) > 0; ) got += n;
  } catch (err) {
    errors.postMessage({ message: err.message, code: err.code, syscall: err.syscall });
    Atomics.store(state, 2 * i, ${FAILED});
    Atomics.notify(state, 2 * i);
    break;
  }
  pos += got;
  Atomics.store(state, 2 * i + 1, got);
  Atomics.store(state, 2 * i, got < slotSize ? ${DONE} : ${FULL});
  Atomics.notify(state, 2 * i);
  if (got < slotSize) break;
}
`;

// The decompressing worker: a gzip or zstd stream of the file, its output
// copied into the slots in turn (each full slot is handed over, the last one
// short). An error (a damaged stream) is sent on \`errors\`, the slot marked failed.
const DECOMPRESS_WORKER = `
const { workerData } = require('node:worker_threads');
const { createReadStream } = require('node:fs');
const zlib = require('node:zlib');
const { path, kind, slotSize, slots, data, control, errors } = workerData;
const state = new Int32Array(control);
let i = 0;
let got = 0;
let slot = null;
const acquire = () => {
  while (Atomics.load(state, 2 * i) !== ${EMPTY}) Atomics.wait(state, 2 * i, Atomics.load(state, 2 * i));
  if (Atomics.load(state, 2 * slots) === 1) return false;
  slot = new Uint8Array(data, i * slotSize, slotSize);
  got = 0;
  return true;
};
const publish = (status) => {
  Atomics.store(state, 2 * i + 1, got);
  Atomics.store(state, 2 * i, status);
  Atomics.notify(state, 2 * i);
  i = (i + 1) % slots;
};
(async () => {
  if (!acquire()) return;
  try {
    const source = createReadStream(path);
    const z = kind === 'gzip' ? zlib.createGunzip() : zlib.createZstdDecompress();
    source.on('error', (err) => z.destroy(err));
    source.pipe(z);
    for await (const chunk of z) {
      for (let off = 0; off < chunk.length; ) {
        const n = Math.min(slotSize - got, chunk.length - off);
        slot.set(chunk.subarray(off, off + n), got);
        got += n;
        off += n;
        if (got === slotSize) {
          publish(${FULL});
          if (!acquire()) return;
        }
      }
    }
    publish(${DONE});
  } catch (err) {
    errors.postMessage({ message: err.message, code: err.code, syscall: err.syscall });
    publish(${FAILED});
  }
})();
`;

/** The consumer side of the slots: chunks in order, blocking only when the worker is behind. */
class SlotReader {
  private readonly worker: Worker;
  private readonly state: Int32Array;
  private readonly data: SharedArrayBuffer;
  private readonly slotSize: number;
  private readonly slots: number;
  private readonly errors: MessagePort;
  private current = -1;
  private finished = false;

  constructor(source: string, workerData: Record<string, unknown>, slotSize: number, slots: number) {
    this.slotSize = slotSize;
    this.slots = slots;
    this.data = new SharedArrayBuffer(slotSize * slots);
    const control = new SharedArrayBuffer(4 * (2 * slots + 1));
    this.state = new Int32Array(control);
    const { port1, port2 } = new MessageChannel();
    this.errors = port1;
    this.worker = new Worker(source, {
      eval: true,
      workerData: { ...workerData, slotSize, slots, data: this.data, control, errors: port2 },
      transferList: [port2],
    });
    this.worker.unref();
  }

  /** The next chunk (a view valid until the following call), or null at the end of the file. */
  next(): Buffer | null {
    if (this.finished) return null;
    if (this.current >= 0) this.release(this.current);
    const i = (this.current + 1) % this.slots;
    this.current = i;
    let s: number;
    while ((s = Atomics.load(this.state, 2 * i)) === EMPTY) Atomics.wait(this.state, 2 * i, EMPTY);
    if (s === FAILED) {
      const e = receiveMessageOnPort(this.errors)?.message as
        | { message: string; code?: string; syscall?: string }
        | undefined;
      this.close();
      throw Object.assign(new Error(e?.message ?? 'read failed'), { code: e?.code, syscall: e?.syscall });
    }
    const got = Atomics.load(this.state, 2 * i + 1);
    if (s === DONE) this.finished = true;
    return Buffer.from(this.data, i * this.slotSize, got);
  }

  private release(i: number): void {
    Atomics.store(this.state, 2 * i, EMPTY);
    Atomics.notify(this.state, 2 * i);
  }

  /** Stops the worker (it may be blocked waiting for a free slot). */
  close(): void {
    Atomics.store(this.state, 2 * this.slots, 1);
    for (let i = 0; i < this.slots; i++) this.release(i);
    this.errors.close();
    void this.worker.terminate();
  }
}

/**
 * Chunks of `fd` from `position` on, each `slotSize` bytes (the last one
 * shorter), read ahead by a worker into `slots` shared buffers.
 */
export class PrefetchingReader extends SlotReader {
  constructor(fd: number, position: number, slotSize: number, slots = 3) {
    super(WORKER, { fd, position }, slotSize, slots);
  }
}

/** The decompressed bytes of a gzip or zstd file from its start, in chunks of `slotSize` (the last one shorter). */
export class DecompressingReader extends SlotReader {
  constructor(path: string, kind: 'gzip' | 'zstd', slotSize: number, slots = 3) {
    super(DECOMPRESS_WORKER, { path, kind }, slotSize, slots);
  }
}
