import { openLibrary } from '../../core/library/handle.ts';
import { addFolders, listFolders, removeFolders } from '../../core/library/folders.ts';
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
      const added = addFolders(library, positionals);
      if (values.json === true) printJson({ added });
      else for (const a of added) console.log(`Added ${a}`);
    } else if (sub === 'remove') {
      if (positionals.length === 0) throw new UsageError('library remove takes one or more folders');
      const removed = removeFolders(library, positionals);
      if (values.json === true) printJson({ removed });
      else for (const r of removed) console.log(`Removed ${r}`);
    } else if (sub === 'list') {
      const roots = listFolders(library);
      if (values.json === true) printJson({ roots });
      else if (roots.length === 0) console.log('No folders yet: foley library add DIR (or foley index DIR)');
      else for (const r of roots) console.log(`${r.path}${r.online ? '' : ' (offline)'}`);
    } else {
      throw new UsageError(`unknown library command "${sub}" (add, remove, list)`);
    }
  } finally {
    library.close();
  }
}
