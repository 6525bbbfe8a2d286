// Resumable HTTP download. Bytes go to <dest>.part with a small sidecar recording the validator
// (ETag / Last-Modified) and total size; an interrupted download — a dropped connection within this
// run, or a killed process — continues with a Range request where it stopped, and starts over only
// when the server says the file changed (If-Range) or ignores ranges.
import { createWriteStream, existsSync } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { FoleyError } from '../../base/errors.ts';
import type { ProgressListener } from '../progress.ts';

interface PartMeta {
  readonly url: string;
  readonly validator: string | null;
  readonly total: number | null;
}

export interface DownloadOptions {
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /** Attempts after a dropped connection before giving up (each resumes). */
  readonly retries?: number;
  readonly retryDelayMs?: number;
}

export interface DownloadResult {
  readonly bytes: number;
  /** Bytes that were already on disk from an earlier attempt. */
  readonly resumedFrom: number;
}

async function readMeta(file: string): Promise<PartMeta | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as PartMeta;
  } catch {
    return undefined;
  }
}

function totalFrom(res: Response, offset: number): number | null {
  const range = res.headers.get('content-range');
  const m = range !== null ? /\/(\d+)\s*$/.exec(range) : null;
  if (m) return Number(m[1]);
  const len = res.headers.get('content-length');
  return len !== null ? offset + Number(len) : null;
}

export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const part = `${dest}.part`;
  const metaFile = `${dest}.part.json`;
  const retries = options.retries ?? 5;
  let meta = await readMeta(metaFile);
  if (meta !== undefined && meta.url !== url) meta = undefined;
  let offset = meta !== undefined && existsSync(part) ? (await stat(part)).size : 0;
  const resumedFrom = offset;
  let lastError: unknown;

  for (let attempt = 0; attempt <= retries; attempt++) {
    if (options.signal?.aborted) throw new FoleyError('download cancelled', { file: dest });
    const headers: Record<string, string> = {};
    if (offset > 0 && meta !== undefined) {
      headers.Range = `bytes=${offset}-`;
      if (meta.validator !== null) headers['If-Range'] = meta.validator;
    }
    let res: Response;
    try {
      res = await fetch(url, { headers, redirect: 'follow', ...(options.signal ? { signal: options.signal } : {}) });
    } catch (e) {
      lastError = e;
      await delay(options.retryDelayMs ?? 1000 * (attempt + 1), options.signal);
      continue;
    }
    if (res.status === 416 && meta?.total !== null && meta?.total === offset) {
      break; // Already complete.
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw new FoleyError(`download failed: HTTP ${res.status} ${res.statusText} from ${url}`, { file: dest });
    }
    if (res.status === 200 && offset > 0) offset = 0; // Server ignored the range or the file changed: start over.
    const total = totalFrom(res, offset);
    meta = { url, validator: res.headers.get('etag') ?? res.headers.get('last-modified'), total };
    await writeFile(metaFile, JSON.stringify(meta));

    const out = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' });
    try {
      if (res.body === null) throw new Error('empty response body');
      for await (const chunk of res.body) {
        const buf = chunk as Uint8Array;
        if (!out.write(buf)) await once(out, 'drain');
        offset += buf.byteLength;
        options.onProgress?.({ stage: 'download', label: 'Downloading', done: offset, total: total ?? 0, unit: 'bytes' });
      }
      out.end();
      await once(out, 'finish');
    } catch (e) {
      // Flush what arrived (it is valid data to resume from) and close before looking at the size.
      await new Promise<void>((resolve) => {
        out.once('error', () => resolve());
        out.end(() => resolve());
      });
      lastError = e;
      if (options.signal?.aborted) throw new FoleyError('download cancelled (kept the partial file to resume)', { file: dest });
      await delay(options.retryDelayMs ?? 1000 * (attempt + 1), options.signal);
      offset = existsSync(part) ? (await stat(part)).size : 0;
      continue;
    }
    if (total !== null && offset !== total) {
      lastError = new Error(`connection closed at ${offset} of ${total} bytes`);
      offset = (await stat(part)).size;
      continue;
    }
    lastError = undefined;
    break;
  }
  if (lastError !== undefined) {
    const why = lastError instanceof Error ? lastError.message : String(lastError);
    throw new FoleyError(`download interrupted (${why}); run the command again to resume`, { file: dest });
  }
  const size = (await stat(part)).size;
  if (meta?.total != null && size !== meta.total) {
    throw new FoleyError(`download has ${size} bytes but the server announced ${meta.total}`, { file: dest });
  }
  await rename(part, dest);
  await rm(metaFile, { force: true });
  return { bytes: size, resumedFrom };
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
