// Uploaded query bytes (a dropped file over IPC or HTTP) as a file ffmpeg can read: a private temp file
// under <data-dir>/tmp/queries, removed when the work on it is done, and the content hash that names it
// in caches (the same bytes uploaded again are the same query).
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
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
  } finally {
    await rm(file, { force: true });
  }
}
