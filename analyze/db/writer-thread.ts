// The thread that owns the SQLite connection while `ptrace db` writes a file
// (writer.ts is the other side): it inserts the batches of rows it is sent,
// in order, in one transaction, then creates the indexes and closes the file.
// It runs synchronously, like the loader feeding it: it blocks on the control
// array until a message is there and takes it with receiveMessageOnPort.

import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { BatchDecoder, type RowBatch } from './batch.ts';
import type { TableStatements } from './bulk.ts';
import {
  CONSUMED,
  DONE,
  FAILED,
  POSTED,
  STATE,
  type WriterMessage,
  type WriterReply,
  type WriterSetup,
} from './writer-protocol.ts';

const { file, control, tablesSql, inserts, port } = workerData as WriterSetup & { port: MessagePort };
const state = new Int32Array(control);

function next(): WriterMessage {
  for (;;) {
    // The count before looking: a message posted after the look changes it, and the wait returns at once.
    const posted = Atomics.load(state, POSTED);
    const m = receiveMessageOnPort(port);
    if (m !== undefined) return m.message as WriterMessage;
    Atomics.wait(state, POSTED, posted, 1000);
  }
}

function reply(r: WriterReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(r, transfer);
}

function consumed(): void {
  Atomics.add(state, CONSUMED, 1);
  Atomics.notify(state, CONSUMED);
}

try {
  // Imported here, not at the top: a failure to load them is reported like any other.
  const bulk = await import('./bulk.ts');
  const db = bulk.bulkLoadConnection(file);
  db.exec(tablesSql);
  const statements = new Map<string, TableStatements>();
  const decoder = new BatchDecoder();
  db.exec('BEGIN');
  for (let m = next(); ; m = next()) {
    if (m.kind === 'rows') {
      insertBatch(m.batch);
      const { tags, nums, bigs } = m.batch;
      reply({ kind: 'buffers', buffers: { tags, nums, bigs } }, [
        tags.buffer,
        nums.buffer,
        bigs.buffer,
      ] as ArrayBuffer[]);
    } else if (m.kind === 'complete') {
      bulk.completeStreamedRows(db, m.processIds, m.sql);
    } else if (m.kind === 'sql') {
      db.exec(m.sql);
    } else {
      db.exec('COMMIT');
      db.exec(m.sql);
      db.close(); // journal_mode=OFF is not stored in the file: readers get the default
      consumed();
      break;
    }
    consumed();
  }
  Atomics.store(state, STATE, DONE);

  function insertBatch(b: RowBatch): void {
    let ins = statements.get(b.table);
    if (ins === undefined) statements.set(b.table, (ins = bulk.prepareInsert(db, inserts[b.table]!)));
    const { many, one, width } = ins;
    decoder.open(b);
    if (decoder.left >= bulk.BATCH) {
      const params = new Array(bulk.BATCH * width);
      while (decoder.left >= bulk.BATCH) {
        decoder.read(params, bulk.BATCH);
        many.run(...params);
      }
    }
    if (decoder.left > 0) {
      const params = new Array(width);
      while (decoder.left > 0) {
        decoder.read(params, 1);
        one.run(...params);
      }
    }
  }
} catch (err) {
  const e = err as Error & { code?: unknown };
  reply({ kind: 'error', name: e?.name, message: String(e?.message ?? err), code: e?.code, stack: e?.stack });
  Atomics.store(state, STATE, FAILED);
}
Atomics.notify(state, CONSUMED);
Atomics.notify(state, STATE);
port.close();
