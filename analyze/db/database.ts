// Rows → SQLite. One transaction, prepared statements, journal and fsync off.
// `db` writes a file next to its output on a second thread while the file is
// read (writer.ts), then renames it; buildDatabase makes one in one go (in
// memory: the tests' SQL ground truths, the benchmarks).

import { collectBetweenPhases } from '../memory.ts';
import { writeAtomically } from '../output.ts';
import { type LoadedCapture, load } from '../replay/load.ts';
import type { Model } from '../replay/model.ts';
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
