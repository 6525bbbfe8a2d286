// Walks library roots for media files. Hidden and system folders are skipped; symlinks are followed
// but every directory is visited once by its real path, so a link loop ends instead of recursing.
// Which files are media is decided by probing later: here a file is a candidate unless its extension
// says it is certainly not audio/video (documents, images, archives, code), so a video saved without
// an extension or with an odd one is still found.
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

const SKIP_DIRS = new Set([
  'node_modules',
  '$RECYCLE.BIN',
  'System Volume Information',
  'lost+found',
  '@eaDir', // Synology thumbnails
  '#recycle',
  '.Trashes',
  '.Spotlight-V100',
  '.fseventsd',
]);

const NOT_MEDIA = new Set(
  (
    'txt md json xml yaml yml csv tsv log ini cfg conf pdf doc docx xls xlsx ppt pptx odt ods rtf html htm css js ts py sh ' +
    'jpg jpeg png gif bmp tif tiff webp heic heif raw cr2 nef arw dng psd svg ico ' +
    'zip rar 7z tar gz bz2 xz zst dmg iso exe dll so dylib bin dat db sqlite sqlite3 wal shm part crdownload tmp ' +
    'srt vtt ass ssa sub idx nfo thm lrv xmp aae'
  ).split(' '),
);

export function isHiddenName(name: string): boolean {
  return name.startsWith('.') || SKIP_DIRS.has(name);
}

export function mayBeMedia(file: string): boolean {
  const ext = path.extname(file).slice(1).toLowerCase();
  return !NOT_MEDIA.has(ext);
}

export interface ScannedFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Every candidate media file below `root`, depth-first, in a stable (sorted) order. */
export async function* scanRoot(root: string, signal?: AbortSignal): AsyncGenerator<ScannedFile> {
  const seen = new Set<string>();
  const stack: string[] = [root];
  while (stack.length > 0) {
    if (signal?.aborted) return;
    const dir = stack.pop()!;
    let real: string;
    try {
      real = await realpath(dir);
    } catch {
      continue; // Vanished or unreadable while scanning: the next scan will see it.
    }
    if (seen.has(real)) continue;
    seen.add(real);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const e of entries) {
      if (isHiddenName(e.name)) continue;
      const full = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const s = await stat(full).catch(() => undefined);
        if (s === undefined) continue; // Dangling link.
        isDir = s.isDirectory();
        isFile = s.isFile();
      }
      if (isDir) subdirs.push(full);
      else if (isFile && mayBeMedia(full)) {
        const s = await stat(full).catch(() => undefined);
        // Empty files are yielded too: they are recorded as failed with a reason, not silently ignored.
        if (s !== undefined) yield { path: full, size: s.size, mtimeMs: Math.floor(s.mtimeMs) };
      }
    }
    // Reverse so the stack pops them in sorted order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
}
