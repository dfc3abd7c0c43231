// A database's content as text, for comparing two databases: the schema,
// every row of every table with the storage class of each value, the views'
// rows, and PRAGMA integrity_check (B-tree structure, index entries, NOT NULL).

import type Database from 'better-sqlite3';

const show = (x: unknown): string =>
  x === null
    ? 'NULL'
    : typeof x === 'bigint'
      ? `int ${x}`
      : typeof x === 'number'
        ? `real ${x}`
        : typeof x === 'string'
          ? `text ${JSON.stringify(x)}`
          : Buffer.isBuffer(x)
            ? `blob ${x.toString('hex')}`
            : `? ${String(x)}`;

export function dumpDatabase(db: Database.Database): string {
  const lines: string[] = [];
  const rows = (sql: string): unknown[][] => db.prepare(sql).safeIntegers(true).raw(true).all() as unknown[][];
  const master = db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name').all() as { type: string; name: string; sql: string }[];
  for (const m of master) lines.push(`${m.type} ${m.name}: ${m.sql}`);
  for (const m of master) {
    if (m.type === 'table') {
      const withoutRowid = /WITHOUT ROWID/i.test(m.sql);
      lines.push(`-- ${m.name}`);
      for (const r of rows(`SELECT * FROM "${m.name}"${withoutRowid ? '' : ' ORDER BY rowid'}`)) lines.push(r.map(show).join(' | '));
    } else if (m.type === 'view') {
      lines.push(`-- view ${m.name}`);
      for (const r of rows(`SELECT * FROM "${m.name}"`).map((r) => r.map(show).join(' | ')).sort()) lines.push(r);
    }
  }
  lines.push(`integrity_check: ${(db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ')}`);
  return lines.join('\n');
}
