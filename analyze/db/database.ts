// Rows → SQLite. One transaction, prepared statements, journal and fsync off:
// in memory for `stats` and `export`; `db` writes a file next to its output
// on a second thread while the file is read (writer.ts), then renames it.

import { collectBetweenPhases } from '../memory.ts';
import { printWarnings, writeAtomically } from '../output.ts';
import { type CaptureInfo, captureInfo } from '../replay/capture-info.ts';
import { type LoadedCapture, type LoadOptions, load } from '../replay/load.ts';
import type { Model } from '../replay/model.ts';
import { Progress } from '../replay/progress.ts';
import type { Redactor } from '../secrets/redactor.ts';
import { INDEXES_SQL, TABLES } from './schema.ts';
import { type Db, insertRows, openForBulkLoad, tableInsert } from './sqlite.ts';
import { DatabaseWriter } from './writer.ts';

export type { Db } from './sqlite.ts';

/** A new database holding `model`: in memory, or in the new file `file`. */
export function buildDatabase(model: Model, file = ':memory:'): Db {
  const db = openForBulkLoad(file);
  insertModel(db, model);
  db.exec(INDEXES_SQL);
  return db;
}

/** Inserts every row of `model` in one transaction. */
export function insertModel(db: Db, m: Model): void {
  db.transaction(() => {
    for (const t of TABLES) {
      const rows = t.rows(m);
      if (rows.length > 0) insertRows(tableInsert(db, t), rows);
    }
  })();
}

/**
 * Reads the raw file `path` into the database file `out`, atomically: built
 * in a temporary file next to it (created with `mode`) by a writer thread
 * while the file is read, fsynced, then renamed. `loaded` sees the capture
 * once it is read (its warnings), before the last rows are written.
 */
export function writeDatabaseFile(
  path: string,
  out: string,
  force: boolean,
  mode: number,
  redact: Redactor | null = null,
  loaded: (c: LoadedCapture) => void = () => {},
): void {
  writeAtomically(out, force, mode, (tmp) => {
    const writer = new DatabaseWriter(tmp);
    try {
      const c = load(path, { streamOpens: writer.openSink(), redact, onRead: (m) => writer.streamEnded(m) });
      loaded(c);
      // The load's garbage collected before the last tables are bound: the heap would grow on top of it.
      collectBetweenPhases();
      writer.finish(c.model);
    } finally {
      writer.close();
    }
  });
}

/**
 * Reads `path` into an in-memory database, printing the reader's warnings on
 * stderr; returns it with the capture's figures (the model itself is left to
 * the garbage collector). `env: false` leaves the environment tables empty
 * (for commands that never look at them); `redact` replaces the secrets first;
 * with `streamOpens`, the open rows go to that function instead of the opens table.
 */
export function loadDatabase(
  path: string,
  opts: Pick<LoadOptions, 'env' | 'streamOpens'> & { redact?: Redactor | null } = {},
): { db: Db; capture: CaptureInfo } {
  const progress = new Progress('reading');
  const { model } = load(path, { ...opts, progress });
  progress.step('building database');
  const db = buildDatabase(model);
  progress.done();
  printWarnings(model.warnings);
  return { db, capture: captureInfo(model) };
}
