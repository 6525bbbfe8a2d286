import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { FoleyError } from '../../base/errors.ts';
import { openLibrary } from '../../core/library.ts';
import { addRoot, listRoots, removeRoot } from '../../db/roots.ts';
import { dataDirFrom, parse, printJson, UsageError } from '../args.ts';

export const LIBRARY_HELP = `Usage:
  foley library add DIR…      add folders (index them with "foley index")
  foley library remove DIR…   remove folders and everything indexed under them
  foley library list          the folders of the library`;

export async function libraryCommand(argv: readonly string[]): Promise<void> {
  const [first, ...tail] = argv;
  const [sub, rest] = first !== undefined && first.startsWith('-') ? ['help', argv] : [first, tail];
  const { values, positionals } = parse(rest, {}, true);
  if (values.help === true || sub === undefined || sub === 'help') {
    console.log(LIBRARY_HELP);
    return;
  }
  const library = openLibrary(dataDirFrom(values));
  try {
    if (sub === 'add') {
      if (positionals.length === 0) throw new UsageError('library add takes one or more folders');
      const added = positionals.map((p) => {
        const abs = path.resolve(p);
        if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new FoleyError('not a folder', { file: abs });
        return addRoot(library.db, abs).path;
      });
      if (values.json === true) printJson({ added });
      else for (const a of added) console.log(`Added ${a}`);
    } else if (sub === 'remove') {
      if (positionals.length === 0) throw new UsageError('library remove takes one or more folders');
      const roots = listRoots(library.db);
      const removed: string[] = [];
      for (const p of positionals) {
        const root = roots.find((r) => r.path === path.resolve(p));
        if (root === undefined) throw new FoleyError('not a folder of the library', { file: path.resolve(p) });
        removeRoot(library.db, root.id);
        removed.push(root.path);
      }
      if (values.json === true) printJson({ removed });
      else for (const r of removed) console.log(`Removed ${r}`);
    } else if (sub === 'list') {
      const roots = listRoots(library.db);
      if (values.json === true) printJson({ roots: roots.map((r) => ({ path: r.path, online: existsSync(r.path) })) });
      else if (roots.length === 0) console.log('No folders yet: foley library add DIR (or foley index DIR)');
      else for (const r of roots) console.log(`${r.path}${existsSync(r.path) ? '' : ' (offline)'}`);
    } else {
      throw new UsageError(`unknown library command "${sub}" (add, remove, list)`);
    }
  } finally {
    library.close();
  }
}
