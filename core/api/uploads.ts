// Uploaded query bytes (a dropped file over IPC or HTTP) as a file ffmpeg can read: a private temp file
// under <data-dir>/tmp/queries, removed when the work on it is done, and the content hash that names it
// in caches (the same bytes uploaded again are the same query). Errors about it are said in the
// uploader's terms: "the uploaded file is not audio or video Foley can read", never the temp path.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FoleyError, MediaError } from '../../base/errors.ts';
import { DamagedMediaError } from '../../media/damage.ts';
import type { Library } from '../library/handle.ts';

export function contentKey(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function withUploadedFile<T>(library: Library, bytes: Uint8Array, media: 'audio' | 'image', use: (file: string) => Promise<T>): Promise<T> {
  const dir = path.join(library.dataDir, 'tmp', 'queries');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${randomUUID()}${media === 'image' ? '.img' : '.media'}`);
  await writeFile(file, bytes, { mode: 0o600 });
  try {
    return await use(file);
  } catch (e) {
    throw uploadError(e, file, media);
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * An error about the temp file, as the uploader should read it. Media that ffmpeg cannot read is the
 * upload's fault (415, what it is not); a damaged file says how; anything else keeps its code and
 * loses the path.
 */
export function uploadError(e: unknown, file: string, media: 'audio' | 'image'): unknown {
  const scrub = (m: string): string => m.replaceAll(`${file}: `, '').replaceAll(file, 'the uploaded file');
  if (!(e instanceof Error)) return e;
  if (e instanceof MediaError && e.code !== 'failed' && e.code !== 'not_found') {
    const said = scrub(e.message);
    if (/was cancelled|timed out|stalled/.test(said)) return new FoleyError(`the uploaded file could not be read in time (${said})`, { code: 'failed', cause: e });
    if (e instanceof DamagedMediaError) return new FoleyError(`the uploaded file is damaged: ${said}`, { code: 'unsupported', cause: e });
    // ffmpeg could not make sense of it at all: say what it is not, with ffmpeg's own words for reference.
    const unreadable = /^(?:not a media file ffmpeg can read \(ffmpeg: (.*)\)|reading media info failed: (.*)|decoding (?:image|audio) failed: (.*)|ffprobe returned unreadable output)$/.exec(said);
    if (unreadable !== null) {
      const detail = unreadable[1] ?? unreadable[2] ?? unreadable[3];
      return new FoleyError(`the uploaded file is not ${media === 'image' ? 'a picture' : 'audio or video'} Foley can read${detail !== undefined ? ` (ffmpeg: ${detail})` : ''}`, { code: 'unsupported', cause: e });
    }
    return new FoleyError(`the uploaded file: ${said}`, { code: e.code, cause: e });
  }
  if (!e.message.includes(file)) return e;
  if (e instanceof FoleyError) return new FoleyError(scrub(e.message), { code: e.code, cause: e });
  return new Error(scrub(e.message), { cause: e });
}
