// What writer.ts and writer-thread.ts say to each other.

import type { BatchBuffers, RowBatch } from './batch.ts';
import type { InsertSql } from './bulk.ts';

/** Slots of the shared control array (Int32). */
export const POSTED = 0;
export const CONSUMED = 1;
export const STATE = 2;
export const CONTROL_SLOTS = 3;

/** STATE values. */
export const RUNNING = 0;
export const DONE = 1;
export const FAILED = 2;

/** What the thread is started with: the file, and every statement it runs, as text. */
export interface WriterSetup {
  file: string;
  control: SharedArrayBuffer;
  /** CREATE TABLE statements. */
  tablesSql: string;
  /** The INSERT statements of each table, by name. */
  inserts: Record<string, InsertSql>;
}

export type WriterMessage =
  | { kind: 'rows'; batch: RowBatch }
  /** Streamed rows need their final process ids and numbering (bulk.ts completeStreamedRows). */
  | { kind: 'complete'; sql: string; processIds: Int32Array }
  /** Statements to run now, in the transaction (the indexes of tables whose rows are all in). */
  | { kind: 'sql'; sql: string }
  /** Commit, run `sql` (the remaining indexes, the views), close the file. */
  | { kind: 'end'; sql: string };

export type WriterReply =
  /** A batch's buffers, inserted, to be filled again. */
  | { kind: 'buffers'; buffers: BatchBuffers }
  | { kind: 'error'; name?: string; message: string; code?: unknown; stack?: string };
