// Search filters on file metadata and labels, resolved to the window ids they allow in one query.
import type { Database } from './connection.ts';
import { condition, whereClause } from './where.ts';
import type { SqlValue } from './where.ts';

export interface WindowFilter {
  /** Files at this absolute path or under it (`prefix` is the path with its trailing separator). */
  readonly folder?: { readonly path: string; readonly prefix: string };
  /** File modification time bounds, ms since the epoch (inclusive). */
  readonly modifiedFrom?: number;
  readonly modifiedTo?: number;
  /** File duration bounds in seconds (inclusive). */
  readonly minDuration?: number;
  readonly maxDuration?: number;
  /** Windows covered by a positive label of this name. */
  readonly label?: string;
}

/** Window ids that pass every filter given. */
export function filteredWindowIds(db: Database, f: WindowFilter): Set<number> {
  const where = whereClause([
    f.folder !== undefined ? ['(f.path = ? OR substr(f.path, 1, ?) = ?)', f.folder.path, f.folder.prefix.length, f.folder.prefix] : undefined,
    condition('f.mtime_ms >= ?', f.modifiedFrom),
    condition('f.mtime_ms <= ?', f.modifiedTo),
    condition('f.duration_s >= ?', f.minDuration),
    condition('f.duration_s <= ?', f.maxDuration),
    // A whole-file label covers all its windows; a moment label the windows overlapping it.
    condition(
      `EXISTS (SELECT 1 FROM labels l WHERE l.name = ? AND l.polarity = 'positive' AND l.file_id = w.file_id
                AND (l.start_s IS NULL OR (w.start_s < l.end_s AND w.end_s > l.start_s)))`,
      f.label,
    ),
  ]);
  const ids = db.prepare<SqlValue[], [number]>(`SELECT w.id FROM windows w JOIN files f ON f.id = w.file_id${where.sql}`).raw(true).all(...where.params);
  return new Set(ids.map((r) => r[0]));
}
