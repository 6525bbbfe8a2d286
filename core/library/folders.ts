// The library's folders (roots): what the API's library.* methods, `foley library` and `foley index`
// add, remove and list, with the checks they share. Removing a folder removes everything indexed under
// it (db/roots.ts cascades).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { FoleyError } from '../../base/errors.ts';
import { addRoot, listRoots, removeRoot } from '../../db/roots.ts';
import type { Root } from '../../db/roots.ts';
import type { Library } from './handle.ts';

export interface Folder {
  readonly path: string;
  /** False when it cannot be found now (an unplugged drive): its files are offline, not gone. */
  readonly online: boolean;
}

export function isFolder(dir: string): boolean {
  return existsSync(dir) && statSync(dir).isDirectory();
}

/** `dir` as an absolute path; throws (bad_request) when it is not a folder. */
export function requireFolder(dir: string): string {
  const abs = path.resolve(dir);
  if (!isFolder(abs)) throw new FoleyError('not a folder', { file: abs });
  return abs;
}

export function listFolders(library: Library): Folder[] {
  return listRoots(library.db).map((r) => ({ path: r.path, online: existsSync(r.path) }));
}

/** Adds folders (each checked first); one already in the library is returned as it is. */
export function addFolders(library: Library, dirs: readonly string[]): string[] {
  return dirs.map((d) => addRoot(library.db, requireFolder(d)).path);
}

/** Removes folders of the library and what was indexed under them; one that is not a folder of it is not_found. */
export function removeFolders(library: Library, dirs: readonly string[]): string[] {
  const roots = listRoots(library.db);
  return dirs.map((d) => {
    const abs = path.resolve(d);
    const root = roots.find((r) => r.path === abs);
    if (root === undefined) throw new FoleyError('not a folder of the library', { file: abs, code: 'not_found' });
    removeRoot(library.db, root.id);
    return root.path;
  });
}

/**
 * The roots an index run walks: `dirs` (checked, then added to the library) or, without any, every
 * root of the library. Offline roots are kept: the run marks their files offline.
 */
export function rootsToIndex(library: Library, dirs: readonly string[]): Root[] {
  const requested = dirs.map((r) => path.resolve(r));
  for (const r of requested) {
    if (!existsSync(r)) throw new FoleyError('no such folder', { file: r, code: 'not_found' });
    if (!statSync(r).isDirectory()) throw new FoleyError('not a folder (index takes folders; files are found inside them)', { file: r });
  }
  const roots = requested.length > 0 ? requested.map((r) => addRoot(library.db, r)) : listRoots(library.db);
  if (roots.length === 0) throw new FoleyError('the library has no folders yet: run "foley index DIR"', { code: 'conflict' });
  return roots;
}

/** Whether the library has any folder (an index run without folders has nothing to do). */
export function hasFolders(library: Library): boolean {
  return listRoots(library.db).length > 0;
}
