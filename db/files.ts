// Media files. A file is identified by its row id; the path is just where it is now, so a moved file
// keeps its windows, embeddings and labels (moveFile), found again by its content fingerprint.
import { FoleyError } from '../base/errors.ts';
import { now, write } from './connection.ts';
import type { Database } from './connection.ts';
import { equals, whereClause } from './where.ts';
import type { SqlValue } from './where.ts';

export type FileStatus = 'pending' | 'indexed' | 'failed' | 'missing';

export interface MediaFile {
  readonly id: number;
  readonly rootId: number | null;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly fingerprint: string | null;
  readonly durationS: number | null;
  /** The ffprobe stream summary as stored (JSON), or null before probing. */
  readonly streams: unknown;
  readonly status: FileStatus;
  readonly lastError: string | null;
  readonly addedAt: number;
  readonly updatedAt: number;
}

export interface NewFile {
  readonly rootId?: number | null;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly fingerprint?: string | null;
}

/** Fields a scan, probe or index step may change. `undefined` leaves a field as it is. */
export interface FilePatch {
  readonly size?: number;
  readonly mtimeMs?: number;
  readonly fingerprint?: string | null;
  readonly durationS?: number | null;
  readonly streams?: unknown;
  readonly status?: FileStatus;
  readonly lastError?: string | null;
}

interface FileRow {
  id: number;
  root_id: number | null;
  path: string;
  size: number;
  mtime_ms: number;
  fingerprint: string | null;
  duration_s: number | null;
  streams: string | null;
  status: FileStatus;
  last_error: string | null;
  added_at: number;
  updated_at: number;
}

const toFile = (r: FileRow): MediaFile => ({
  id: r.id,
  rootId: r.root_id,
  path: r.path,
  size: r.size,
  mtimeMs: r.mtime_ms,
  fingerprint: r.fingerprint,
  durationS: r.duration_s,
  streams: r.streams === null ? null : (JSON.parse(r.streams) as unknown),
  status: r.status,
  lastError: r.last_error,
  addedAt: r.added_at,
  updatedAt: r.updated_at,
});

export function addFile(db: Database, f: NewFile): MediaFile {
  return write(db, () => {
    const t = now();
    const { lastInsertRowid } = db
      .prepare('INSERT INTO files (root_id, path, size, mtime_ms, fingerprint, added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(f.rootId ?? null, f.path, f.size, Math.round(f.mtimeMs), f.fingerprint ?? null, t, t);
    return getFile(db, Number(lastInsertRowid))!;
  });
}

export function getFile(db: Database, id: number): MediaFile | undefined {
  const r = db.prepare<[number], FileRow>('SELECT * FROM files WHERE id = ?').get(id);
  return r === undefined ? undefined : toFile(r);
}

export function getFileByPath(db: Database, filePath: string): MediaFile | undefined {
  const r = db.prepare<[string], FileRow>('SELECT * FROM files WHERE path = ?').get(filePath);
  return r === undefined ? undefined : toFile(r);
}

/** Files with this content: candidates for "moved" when a new path turns up. */
export function findFilesByFingerprint(db: Database, fingerprint: string): MediaFile[] {
  return db.prepare<[string], FileRow>('SELECT * FROM files WHERE fingerprint = ? ORDER BY id').all(fingerprint).map(toFile);
}

export function listFiles(db: Database, filter: { rootId?: number; status?: FileStatus } = {}): MediaFile[] {
  const where = whereClause([equals('root_id', filter.rootId), equals('status', filter.status)]);
  return db.prepare<SqlValue[], FileRow>(`SELECT * FROM files${where.sql} ORDER BY path`).all(...where.params).map(toFile);
}

const PATCH_COLUMNS: Record<keyof FilePatch, string> = {
  size: 'size',
  mtimeMs: 'mtime_ms',
  fingerprint: 'fingerprint',
  durationS: 'duration_s',
  streams: 'streams',
  status: 'status',
  lastError: 'last_error',
};

export function updateFile(db: Database, id: number, patch: FilePatch): MediaFile {
  const sets: string[] = [];
  const args: (number | string | null)[] = [];
  for (const [key, column] of Object.entries(PATCH_COLUMNS) as [keyof FilePatch, string][]) {
    const value = patch[key];
    if (value === undefined) continue;
    sets.push(`${column} = ?`);
    args.push(key === 'streams' ? (value === null ? null : JSON.stringify(value)) : key === 'mtimeMs' ? Math.round(value as number) : (value as number | string | null));
  }
  return write(db, () => {
    db.prepare(`UPDATE files SET ${[...sets, 'updated_at = ?'].join(', ')} WHERE id = ?`).run(...args, now(), id);
    const file = getFile(db, id);
    if (file === undefined) throw new FoleyError(`no file with id ${id} in the library`);
    return file;
  });
}

/** A file was moved or renamed: same row, new path, so everything hanging off it stays. */
export function moveFile(db: Database, id: number, newPath: string, rootId?: number | null): MediaFile {
  return write(db, () => {
    const other = getFileByPath(db, newPath);
    if (other !== undefined && other.id !== id) throw new FoleyError('another library file already has this path', { file: newPath });
    const sql = rootId === undefined ? 'UPDATE files SET path = ?, updated_at = ? WHERE id = ?' : 'UPDATE files SET path = ?, updated_at = ?, root_id = ? WHERE id = ?';
    const args = rootId === undefined ? [newPath, now(), id] : [newPath, now(), rootId, id];
    if (db.prepare(sql).run(...args).changes === 0) throw new FoleyError(`no file with id ${id} in the library`);
    return getFile(db, id)!;
  });
}

/** Removes a file and (cascade) its windows, embeddings and labels. */
export function deleteFile(db: Database, id: number): boolean {
  return write(db, () => db.prepare('DELETE FROM files WHERE id = ?').run(id).changes > 0);
}
