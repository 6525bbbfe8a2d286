// Versioned schema: migration N brings a database from user_version N-1 to N, inside one transaction
// together with the version bump, so a crash mid-migration leaves the old version intact.
import type { Database } from '../connection.ts';
import { FoleyError } from '../../base/errors.ts';
import { initial } from './001-initial.ts';
import { learning } from './002-learning.ts';
import { evaluations } from './003-evaluations.ts';
import { frames } from './004-frames.ts';
import { frameVectors } from './005-frame-vectors.ts';
import { embeddingCounts } from './006-embedding-counts.ts';
import { classLogits } from './007-class-logits.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: (db: Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [initial, learning, evaluations, frames, frameVectors, embeddingCounts, classLogits];
export const SCHEMA_VERSION = MIGRATIONS.length;

/** PRAGMA application_id, "Foly": tells a Foley database from any other SQLite file. */
export const APPLICATION_ID = 0x466f6c79;

function userVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies the pending migrations; returns the version before them. */
export function migrate(db: Database, file: string): number {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const before = userVersion(db);
  if (appId !== APPLICATION_ID && appId !== 0) {
    throw new FoleyError('not a Foley database (another application_id); choose another data directory', { file });
  }
  if (before > SCHEMA_VERSION) {
    throw new FoleyError(
      `database schema is version ${before}, newer than this Foley understands (${SCHEMA_VERSION}); update Foley to open it`,
      { file },
    );
  }
  if (before === 0 && appId === 0) {
    const tables = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").get()!.n;
    if (tables > 0) throw new FoleyError('not a Foley database (it already has other tables)', { file });
  }
  for (const m of MIGRATIONS) {
    if (m.version <= before) continue;
    db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated while we waited for it.
      if (userVersion(db) >= m.version) return;
      m.up(db);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return before;
}
