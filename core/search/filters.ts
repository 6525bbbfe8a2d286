// Filters on file metadata and labels, checked and resolved to the set of window ids they allow
// (one query, db/window-filters.ts).
// Engines take it as an `accept` predicate: exact search skips other windows; HNSW over-fetches
// candidates until enough pass.
import path from 'node:path';
import type { Database } from '../../db/connection.ts';
import { filteredWindowIds } from '../../db/window-filters.ts';
import type { WindowFilter } from '../../db/window-filters.ts';
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
  let folder: WindowFilter['folder'];
  if (f.folder !== undefined) {
    const dir = path.resolve(f.folder);
    folder = { path: dir, prefix: dir.endsWith(path.sep) ? dir : dir + path.sep };
  }
  return filteredWindowIds(db, { ...f, folder });
}
