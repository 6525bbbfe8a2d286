// Opens the one SQLite database in the data directory, the source of truth for the library.
// WAL lets searches read while the indexer writes; synchronous=NORMAL in WAL mode never corrupts the
// database on a crash (a power cut can lose the last commits, not break earlier ones) and saves an
// fsync per transaction, which matters with one transaction per indexed file.
import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { FoleyError } from '../base/errors.ts';
import { migrate } from './migrations/index.ts';

export type Database = BetterSqlite3.Database;

export const DATABASE_FILE_NAME = 'foley.db';

export function databasePath(dataDir: string): string {
  return path.join(dataDir, DATABASE_FILE_NAME);
}

/** How long a write waits for another process's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;

export function openDatabase(file: string): Database {
  const inMemory = file === ':memory:' || file === '';
  if (!inMemory) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let db: Database;
  try {
    db = new BetterSqlite3(file);
  } catch (cause) {
    throw new FoleyError(`cannot open database: ${(cause as Error).message}`, { file, cause });
  }
  try {
    // foreign_keys is per connection and a no-op inside a transaction, so it is set first, always.
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!inMemory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db, file);
    return db;
  } catch (cause) {
    db.close();
    if (cause instanceof FoleyError) throw cause;
    throw new FoleyError(`cannot open database: ${(cause as Error).message}`, { file, cause });
  }
}

/** Runs fn in a write transaction (BEGIN IMMEDIATE: takes the write lock up front, so two processes
 * cannot deadlock upgrading read locks). Nested calls become savepoints. */
export function write<T>(db: Database, fn: () => T): T {
  return db.transaction(fn).immediate();
}

export function now(): number {
  return Date.now();
}

/**
 * Where the database stands in writes: other connections' commits move `data_version`, this
 * connection's own writes `total_changes()`. Equal marks mean nothing was written in between.
 */
export function writeMark(db: Database): string {
  const dataVersion = db.pragma('data_version', { simple: true }) as number;
  const totalChanges = db.prepare<[], { n: number }>('SELECT total_changes() AS n').get()!.n;
  return `${dataVersion}:${totalChanges}`;
}
