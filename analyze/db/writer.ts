// Model rows → a SQLite file, on a second core. A worker thread
// (writer-thread.ts) owns the connection and inserts while this thread goes
// on decoding and building rows: the open rows are sent as the loader makes
// them, and indexed as soon as the file is read while this thread finishes
// the model; the other tables follow. Rows travel as bound
// values in batches (batch.ts); at most MAX_IN_FLIGHT batches wait at a
// time, so memory stays bounded however far the reader is ahead.

import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { Model, OpenRow } from '../replay/model.ts';
import { type BatchBuffers, BatchEncoder, batchTransfer } from './batch.ts';
import { type AnyTable, indexesSql, type SqlValue, TABLES, TABLES_SQL, VIEWS_SQL } from './schema.ts';
import { streamedRowsSql, type TableBinder, tableBinder, tableInsertSql, tableNamed } from './sqlite.ts';
import {
  CONSUMED,
  CONTROL_SLOTS,
  FAILED,
  POSTED,
  RUNNING,
  STATE,
  type WriterMessage,
  type WriterReply,
  type WriterSetup,
} from './writer-protocol.ts';

/** Batches sent and not yet inserted, at most. */
const MAX_IN_FLIGHT = 8;

export class DatabaseWriter {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly state: Int32Array;
  private readonly encoder = new BatchEncoder();
  private posted = 0;
  private current: { table: AnyTable; binder: TableBinder } | null = null;
  private values: SqlValue[] = [];
  private closed = false;
  /** Buffers of inserted batches, handed back by the thread. */
  private readonly spare: BatchBuffers[] = [];
  private error: Extract<WriterReply, { kind: 'error' }> | null = null;
  /** The streamed rows are all in, completed and indexed (streamEnded). */
  private streamDone = false;

  /** Starts the thread that writes the new database `file`. */
  constructor(file: string) {
    const control = new SharedArrayBuffer(4 * CONTROL_SLOTS);
    this.state = new Int32Array(control);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const setup: WriterSetup = {
      file,
      control,
      tablesSql: TABLES_SQL,
      inserts: Object.fromEntries(TABLES.map((t) => [t.name, tableInsertSql(t)])),
    };
    // The thread's module sits next to this one, with the same extension (.ts in a clone, .js in the package).
    const here = import.meta.url;
    this.worker = new Worker(new URL(`./writer-thread${here.slice(here.lastIndexOf('.'))}`, here), {
      workerData: { ...setup, port: port2 },
      transferList: [port2],
    });
    this.worker.unref();
  }

  /** A sink for the open rows as the loader makes them (model.ts ModelOptions.streamOpens). */
  openSink(): (row: OpenRow) => void {
    const opens = tableNamed('opens');
    return (row) => this.add(opens, row);
  }

  /**
   * The file is read (`model` just made): has the streamed rows completed if
   * they need it and their table indexed now, while this thread goes on with
   * the rest of the model (the opens are most of a build's rows: their
   * indexes are most of the indexing).
   */
  streamEnded(model: Model): void {
    const s = model.streamedOpens;
    if (this.streamDone || s === undefined) return;
    this.streamDone = true;
    this.flush();
    if (s.rows > 0 && !s.final) {
      this.post({ kind: 'complete', sql: streamedRowsSql(tableNamed('opens')), processIds: s.processIds });
    }
    this.post({ kind: 'sql', sql: indexesSql(new Set(['opens'])) });
  }

  /**
   * Sends the rest of `model` (every table but the streamed one), then waits
   * until the file is complete: committed, indexed, closed.
   */
  finish(model: Model): void {
    this.streamEnded(model);
    const streamed = model.streamedOpens !== undefined ? 'opens' : null;
    for (const t of TABLES) {
      if (t.name === streamed) continue;
      for (const row of t.rows(model)) this.add(t, row);
    }
    this.flush();
    const rest = new Set(TABLES.map((t) => t.name).filter((name) => name !== streamed));
    this.post({ kind: 'end', sql: `${indexesSql(rest)}\n${VIEWS_SQL}` });
    while (Atomics.load(this.state, STATE) === RUNNING) Atomics.wait(this.state, STATE, RUNNING, 1000);
    this.failIfFailed();
    this.close();
  }

  /** Stops the thread (after finish, or when the load failed). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }

  private add(t: AnyTable, row: unknown): void {
    let c = this.current;
    if (c === null || c.table !== t) {
      this.flush();
      c = this.current = { table: t, binder: tableBinder(t) };
      this.encoder.begin(t.name, c.binder.width, this.spareBuffers());
    } else if (this.encoder.full) {
      this.flush();
      this.encoder.begin(t.name, c.binder.width, this.spareBuffers());
    }
    c.binder.bind(row, this.values, 0);
    this.encoder.add(this.values);
  }

  private spareBuffers(): BatchBuffers | undefined {
    if (this.spare.length === 0) this.receive();
    return this.spare.pop();
  }

  /** Takes what the thread sent: buffers to use again, or its error (kept for failIfFailed). */
  private receive(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const r = m.message as WriterReply;
      if (r.kind === 'buffers') this.spare.push(r.buffers);
      else this.error = r;
    }
  }

  private flush(): void {
    if (this.current === null || this.encoder.empty) return;
    const batch = this.encoder.take();
    this.post({ kind: 'rows', batch }, batchTransfer(batch));
  }

  private post(m: WriterMessage, transfer: ArrayBuffer[] = []): void {
    this.failIfFailed();
    this.port.postMessage(m, transfer);
    this.posted++;
    Atomics.store(this.state, POSTED, this.posted);
    Atomics.notify(this.state, POSTED);
    for (let done: number; this.posted - (done = Atomics.load(this.state, CONSUMED)) > MAX_IN_FLIGHT; ) {
      if (Atomics.load(this.state, STATE) !== RUNNING) break;
      Atomics.wait(this.state, CONSUMED, done, 1000);
    }
  }

  /** Rethrows the thread's error here (SQLite's code kept: output.ts writeError turns SQLITE_FULL into one line). */
  private failIfFailed(): void {
    if (Atomics.load(this.state, STATE) !== FAILED) return;
    this.receive();
    const e = this.error;
    this.close();
    const err = Object.assign(new Error(e?.message ?? 'the database writer failed'), { code: e?.code });
    if (e?.name !== undefined) err.name = e.name;
    if (e?.stack !== undefined) err.stack = e.stack;
    throw err;
  }
}
