// Filters on file metadata and labels, resolved to the set of window ids they allow (one SQL query).
// Engines take it as an `accept` predicate: exact search skips other windows; HNSW over-fetches
// candidates until enough pass.
import path from 'node:path';
import type { Database } from '../../db/connection.ts';
import { FoleyError } from '../../base/errors.ts';
import type { SearchFilters } from './types.ts';

export function hasFilters(f: SearchFilters | undefined): f is SearchFilters {
  return f !== undefined && Object.values(f).some((v) => v !== undefined);
}

export function checkFilters(f: SearchFilters): void {
  for (const key of ['modifiedFrom', 'modifiedTo', 'minDuration', 'maxDuration'] as const) {
    const v = f[key];
    if (v !== undefined && !Number.isFinite(v)) throw new FoleyError(`filter ${key} must be a number (got ${String(v)})`);
  }
  if (f.folder !== undefined && f.folder === '') throw new FoleyError('filter folder must not be empty');
  if (f.label !== undefined && f.label === '') throw new FoleyError('filter label must not be empty');
}

/** Window ids that pass every filter. */
export function allowedWindows(db: Database, f: SearchFilters): Set<number> {
  checkFilters(f);
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (f.folder !== undefined) {
    const dir = path.resolve(f.folder);
    const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    where.push('(f.path = ? OR substr(f.path, 1, ?) = ?)');
    args.push(dir, prefix.length, prefix);
  }
  if (f.modifiedFrom !== undefined) {
    where.push('f.mtime_ms >= ?');
    args.push(f.modifiedFrom);
  }
  if (f.modifiedTo !== undefined) {
    where.push('f.mtime_ms <= ?');
    args.push(f.modifiedTo);
  }
  if (f.minDuration !== undefined) {
    where.push('f.duration_s >= ?');
    args.push(f.minDuration);
  }
  if (f.maxDuration !== undefined) {
    where.push('f.duration_s <= ?');
    args.push(f.maxDuration);
  }
  if (f.label !== undefined) {
    // A whole-file label covers all its windows; a moment label the windows overlapping it.
    where.push(`EXISTS (SELECT 1 FROM labels l WHERE l.name = ? AND l.polarity = 'positive' AND l.file_id = w.file_id
                AND (l.start_s IS NULL OR (w.start_s < l.end_s AND w.end_s > l.start_s)))`);
    args.push(f.label);
  }
  const sql = `SELECT w.id FROM windows w JOIN files f ON f.id = w.file_id${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`;
  const ids = db.prepare<(string | number)[], [number]>(sql).raw(true).all(...args);
  return new Set(ids.map((r) => r[0]));
}
