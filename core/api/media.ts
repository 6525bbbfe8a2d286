// Media confinement: the only way a renderer (Electron's foley-media: protocol) or a browser (`foley
// serve`'s /api/media/) reaches a file on disk. A path is served only when its real path (symlinks
// resolved) is a regular file inside the real path of one of the library's roots; `..` segments are
// refused outright. Thumbnails are addressed by file id and window start, never by path.
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from './errors.ts';
import { MAX_PATH_LENGTH } from './contract.ts';

function samePathCase(p: string, platform: NodeJS.Platform): string {
  return platform === 'win32' || platform === 'darwin' ? p.toLowerCase() : p;
}

/** True when `child` is `parent` or lies below it (both already real, normalised paths). */
export function isInside(parent: string, child: string, platform: NodeJS.Platform = process.platform): boolean {
  const p = samePathCase(parent, platform);
  const c = samePathCase(child, platform);
  if (c === p) return true;
  const withSep = p.endsWith(path.sep) ? p : p + path.sep;
  return c.startsWith(withSep);
}

/**
 * The real path of `requested` if it is a regular file inside one of `roots`; throws ApiError
 * ('bad_request' for malformed paths and traversal, 'not_found', 'forbidden' outside the roots).
 */
export async function confineToRoots(roots: readonly string[], requested: unknown): Promise<string> {
  if (typeof requested !== 'string' || requested.length === 0 || requested.length > MAX_PATH_LENGTH) throw new ApiError('bad_request', 'media path must be a non-empty string');
  if (requested.includes('\0')) throw new ApiError('bad_request', 'media path contains a NUL character');
  if (!path.isAbsolute(requested)) throw new ApiError('bad_request', 'media path must be absolute');
  if (requested.split(/[\\/]/).includes('..')) throw new ApiError('bad_request', 'media path must not contain ".." (path traversal)');
  let real: string;
  try {
    real = await realpath(path.resolve(requested));
  } catch {
    throw new ApiError('not_found', 'no such file');
  }
  for (const root of roots) {
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch {
      continue; // an offline drive
    }
    if (isInside(realRoot, real)) {
      const st = await stat(real).catch(() => undefined);
      if (st === undefined || !st.isFile()) throw new ApiError('not_found', 'not a file');
      return real;
    }
  }
  throw new ApiError('forbidden', 'outside the library folders');
}

const TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.avi': 'video/x-msvideo',
  '.ogv': 'video/ogg',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
};

export function contentTypeOf(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export interface RangePlan {
  readonly status: 200 | 206 | 416;
  /** Inclusive byte range to send (absent for 416). */
  readonly start?: number;
  readonly end?: number;
  readonly headers: Record<string, string>;
}

/** RFC 9110 single byte range (what <video> seeking sends); multi-range requests get the whole file. */
export function planRange(size: number, rangeHeader: string | undefined | null, contentType: string): RangePlan {
  const base = { 'Content-Type': contentType, 'Accept-Ranges': 'bytes', 'Cache-Control': 'private, max-age=3600', 'X-Content-Type-Options': 'nosniff' };
  const m = rangeHeader != null ? /^bytes=(\d*)-(\d*)$/.exec(rangeHeader.trim()) : null;
  if (m === null || (m[1] === '' && m[2] === '')) {
    return { status: 200, start: 0, end: size - 1, headers: { ...base, 'Content-Length': String(size) } };
  }
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (!(start <= end) || start >= size) {
    return { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}` } };
  }
  return { status: 206, start, end, headers: { ...base, 'Content-Length': String(end - start + 1), 'Content-Range': `bytes ${start}-${end}/${size}` } };
}
