// Reading a big file one chunk ahead, on a worker thread: the consumer
// decodes chunk k while the worker copies chunk k + 1 out of the page cache
// (on this 2-core machine the read() calls of a 500 MiB capture cost about
// 0.4 s of a single thread). The API stays synchronous: the consumer blocks
// on an Atomics wait only when it catches up with the reads.

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

/**
 * Chunks of `fd` from `position` on, each `slotSize` bytes (the last one
 * shorter), read ahead by a worker into `slots` shared buffers.
 */
export class PrefetchingReader {
  private readonly worker: Worker;
  private readonly state: Int32Array;
  private readonly data: SharedArrayBuffer;
  private readonly slotSize: number;
  private readonly slots: number;
  private readonly errors: MessagePort;
  private current = -1;
  private finished = false;

  constructor(fd: number, position: number, slotSize: number, slots = 3) {
    this.slotSize = slotSize;
    this.slots = slots;
    this.data = new SharedArrayBuffer(slotSize * slots);
    const control = new SharedArrayBuffer(4 * (2 * slots + 1));
    this.state = new Int32Array(control);
    const { port1, port2 } = new MessageChannel();
    this.errors = port1;
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { fd, position, slotSize, slots, data: this.data, control, errors: port2 },
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
