// Library roots: folders the scanner walks. Removing a root removes its files and, through them,
// their windows, embeddings and labels (ON DELETE CASCADE).
import path from 'node:path';
import { now, write } from './connection.ts';
import type { Database } from './connection.ts';

export interface Root {
  readonly id: number;
  readonly path: string;
  readonly addedAt: number;
}

interface RootRow {
  id: number;
  path: string;
  added_at: number;
}

const toRoot = (r: RootRow): Root => ({ id: r.id, path: r.path, addedAt: r.added_at });

/** Adds a root (stored as an absolute path); adding it again returns the existing one. */
export function addRoot(db: Database, dir: string): Root {
  const abs = path.resolve(dir);
  return write(db, () => {
    db.prepare('INSERT INTO roots (path, added_at) VALUES (?, ?) ON CONFLICT (path) DO NOTHING').run(abs, now());
    return toRoot(db.prepare<[string], RootRow>('SELECT * FROM roots WHERE path = ?').get(abs)!);
  });
}

export function listRoots(db: Database): Root[] {
  return db.prepare<[], RootRow>('SELECT * FROM roots ORDER BY path').all().map(toRoot);
}

export function getRoot(db: Database, id: number): Root | undefined {
  const r = db.prepare<[number], RootRow>('SELECT * FROM roots WHERE id = ?').get(id);
  return r === undefined ? undefined : toRoot(r);
}

export function removeRoot(db: Database, id: number): boolean {
  return write(db, () => db.prepare('DELETE FROM roots WHERE id = ?').run(id).changes > 0);
}
